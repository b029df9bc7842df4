/**
 * Pull request previews (`preview-pr-<n>` on the preview-hosting environment).
 *
 *   npm run preview -- --pr <n> --dry-run            synthesize and list what would be created
 *   npm run preview -- --pr <n> [--digest sha256:…]  deploy (digest also from TEKUTOKO_IMAGE_DIGEST)
 *   npm run preview -- --pr <n> --destroy            destroy, then remove the abandoned IAM database user
 *
 * The preview stack exists only when the cdktf app gets the `pr` context
 * (PREVIEW_PR), so every cdktf command here runs with it. A new preview
 * beyond the host's cap (config/connection-budget.ts) is refused
 * before anything is applied; the running previews are the labelled
 * namespaces kubectl lists on the host cluster. In GitHub Actions the
 * preview URL (`url=`) or the refusal (`refused=`) is written to $GITHUB_OUTPUT. Sweeping
 * closed or expired previews is scripts/preview-sweep.ts (it calls --destroy).
 */
import { spawnSync } from 'child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { IMAGE_DIGEST_KEY, UNRELEASED_IMAGE_DIGEST, imageDigestFrom } from '../charts/environments';
import { maxConcurrentPreviews, previewCapExplanation } from '../config/connection-budget';
import { resolveContext } from '../config/context';
import {
  EnvironmentConfig,
  envVarForKey,
  loadEnvironments,
  previewHost,
  previewHostname,
} from '../config/environments';
import { iamDatabaseUser, serviceIdentity, stackName } from '../config/names';
import { type CommandArgs, confirm, defineCommand, parseCommandLine, runCli, UsageError } from './lib/cli';
import { LABEL } from '../charts/lib/labels';
import { previewsFromNamespaces } from './preview-sweep';

/** Terraform on the synthesized stack (scripts/stack-apply.ts): nothing fetched at run time. */
export const STACK_APPLY = ['npx', 'tsx', 'scripts/stack-apply.ts'] as const;

export const PREVIEW = defineCommand({
  usage: `usage: npm run preview -- --pr <n> [--dry-run | --destroy [--yes]] [--digest sha256:…]

  --pr <n>            the pull request number
  --dry-run           synthesize and list what would be created; change nothing
  --digest sha256:…   the image to deploy (also TEKUTOKO_IMAGE_DIGEST; --image-digest is the same)
  --destroy           destroy the preview and its IAM database user (asks first)
  --yes               destroy without asking (CI, scripts)`,
  options: {
    pr: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    destroy: { type: 'boolean', default: false },
    digest: { type: 'string' },
    'image-digest': { type: 'string' },
    yes: { type: 'boolean', default: false },
  },
});

export interface PreviewArgs {
  readonly mode: 'dry-run' | 'deploy' | 'destroy';
  readonly pr?: number;
  readonly digest?: string;
  /** Destroy without asking. */
  readonly yes?: boolean;
}

/** The command line as PreviewArgs; UsageError names what is wrong. */
export function parsePreviewArgs(argv: readonly string[]): PreviewArgs {
  return previewArgs(parseCommandLine(PREVIEW, argv).values);
}

function previewArgs(values: CommandArgs<typeof PREVIEW>['values']): PreviewArgs {
  if (values.pr === undefined) throw new UsageError('--pr is required');
  const pr = serviceIdentityPr(values.pr);
  if (values['dry-run'] && values.destroy) throw new UsageError('--dry-run or --destroy, not both');
  const mode = values['dry-run'] ? 'dry-run' : values.destroy ? 'destroy' : 'deploy';
  const digest = values.digest ?? values['image-digest'];
  return { mode, pr, ...(digest ? { digest } : {}), ...(values.yes ? { yes: true } : {}) };
}

/** A PR number, validated by the naming contract's own rule. */
function serviceIdentityPr(raw: string): number {
  const pr = /^\d+$/.test(raw) ? Number(raw) : NaN;
  try {
    serviceIdentity(pr); // throws naming the value when it is not a valid PR number
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return pr;
}

export interface PlannedResource {
  /** Terraform address, `<type>.<name>`. */
  readonly address: string;
  /** For Kubernetes objects: `<Kind>/<name>`. */
  readonly object?: string;
}

export interface PreviewPlan {
  readonly stack: string;
  readonly url: string;
  readonly namespace: string;
  readonly imageDigest: string;
  readonly resources: readonly PlannedResource[];
}

interface StackJson {
  resource?: Record<string, Record<string, { manifest?: { kind?: string; metadata?: { name?: string } } }>>;
}

/** Synthesizes the app with `pr` into a temporary directory and lists the preview stack's resources. */
export function planPreview(pr: number, digest?: string, env: NodeJS.ProcessEnv = process.env): PreviewPlan {
  // Loaded lazily: the cdktf app is only needed for the dry run.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { synthInfra } = require('../infra/main') as typeof import('../infra/main');
  const outdir = mkdtempSync(join(tmpdir(), 'preview-'));
  try {
    const context = { pr: String(pr), ...(digest ? { [IMAGE_DIGEST_KEY]: digest } : {}) };
    const config = synthInfra(outdir, { context, env, argv: [] });
    const stack = stackName.preview(pr);
    const json = JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as StackJson;
    const resources: PlannedResource[] = [];
    for (const [type, byName] of Object.entries(json.resource ?? {})) {
      for (const [name, body] of Object.entries(byName)) {
        const m = body.manifest;
        resources.push({
          address: `${type}.${name}`,
          ...(m?.kind ? { object: `${m.kind}/${m.metadata?.name ?? '?'}` } : {}),
        });
      }
    }
    return {
      stack,
      url: `https://${previewHostname(previewHost(config), pr)}`,
      namespace: serviceIdentity(pr).namespace,
      imageDigest: imageDigestFrom(context, env),
      resources,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function formatPlan(plan: PreviewPlan): string {
  const lines = [
    `stack:     ${plan.stack}`,
    `namespace: ${plan.namespace}`,
    `url:       ${plan.url}`,
    `image:     ${plan.imageDigest}${plan.imageDigest === UNRELEASED_IMAGE_DIGEST ? ' (placeholder: give --digest to deploy)' : ''}`,
    `would create ${plan.resources.length} resources:`,
    ...plan.resources.map((r) => `  + ${r.address}${r.object ? `  (${r.object})` : ''}`),
  ];
  return lines.join('\n');
}

type Runner = (command: readonly string[], env?: NodeJS.ProcessEnv) => { status: number; stdout: string };

const run: Runner = (command, env = process.env) => {
  console.log(`$ ${command.join(' ')}`);
  const r = spawnSync(command[0]!, command.slice(1), {
    env,
    stdio: ['inherit', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.error) throw new Error(`${command[0]} could not start: ${r.error.message}`);
  process.stdout.write(r.stdout ?? '');
  return { status: r.status ?? 1, stdout: r.stdout ?? '' };
};

function hostConfig(env: NodeJS.ProcessEnv): EnvironmentConfig {
  const { context } = resolveContext({ env, argv: [] });
  return previewHost(loadEnvironments(context, env));
}

function writeGithubOutput(key: string, value: string, env: NodeJS.ProcessEnv): void {
  if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, `${key}=${value}\n`);
}

/**
 * Why a preview of `pr` may not start beside the `running` ones, or undefined
 * when it may (a running preview is always updated).
 */
export function previewCapRefusal(
  pr: number,
  running: readonly number[],
  host: EnvironmentConfig,
): string | undefined {
  const others = [...new Set(running)].filter((p) => p !== pr).sort((a, b) => a - b);
  if (others.length < maxConcurrentPreviews(host) || running.includes(pr)) return undefined;
  return (
    `no preview for PR ${pr}: ${others.length} previews run (PRs ${others.map((p) => `#${p}`).join(', ')}) ` +
    `and ${host.name}'s database carries ${maxConcurrentPreviews(host)} ` +
    `(${previewCapExplanation(host)}). Close a pull request (its preview goes at once) or wait for ` +
    `the daily sweep of expired ones, then push again.`
  );
}

/** PR numbers of the previews on the host cluster (their labelled namespaces). */
function runningPreviews(): number[] {
  const r = spawnSync('kubectl', ['get', 'namespaces', '-l', LABEL.previewPr, '-o', 'json'], {
    encoding: 'utf8',
  });
  if (r.error || r.status !== 0)
    throw new Error(`cannot list the running previews (kubectl get namespaces): ${(r.stderr ?? '').trim()}`);
  return previewsFromNamespaces(JSON.parse(r.stdout)).map((p) => p.pr);
}

function deploy(pr: number, digest: string | undefined, env: NodeJS.ProcessEnv): void {
  const raw = digest ?? env[envVarForKey(IMAGE_DIGEST_KEY)];
  const imageDigest = imageDigestFrom({ [IMAGE_DIGEST_KEY]: raw }, {});
  if (imageDigest === UNRELEASED_IMAGE_DIGEST) {
    throw new Error(
      `a preview deploys a built image: give --digest sha256:… or ${envVarForKey(IMAGE_DIGEST_KEY)}`,
    );
  }
  const host = hostConfig(env);
  const refused = previewCapRefusal(pr, runningPreviews(), host);
  if (refused) {
    writeGithubOutput('refused', refused, env);
    throw new Error(refused);
  }
  const url = `https://${previewHostname(host, pr)}`;
  const childEnv = {
    ...env,
    [envVarForKey('pr')]: String(pr),
    [envVarForKey(IMAGE_DIGEST_KEY)]: imageDigest,
  };
  const r = run([...STACK_APPLY, stackName.preview(pr), '--auto-approve'], childEnv);
  if (r.status !== 0) throw new Error(`deploy of ${stackName.preview(pr)} failed (exit ${r.status})`);
  writeGithubOutput('url', url, env);
  writeGithubOutput('namespace', serviceIdentity(pr).namespace, env);
  console.log(`preview of PR ${pr}: ${url}`);
}

/** Destroys the stack; then deletes the IAM database user the stack abandons (best effort). */
function destroy(pr: number, env: NodeJS.ProcessEnv): void {
  const stack = stackName.preview(pr);
  const r = run([...STACK_APPLY, stack, '--destroy', '--auto-approve'], {
    ...env,
    [envVarForKey('pr')]: String(pr),
  });
  if (r.status !== 0) throw new Error(`destroy of ${stack} failed (exit ${r.status})`);
  const host = hostConfig(env);
  const user = iamDatabaseUser(serviceIdentity(pr).googleServiceAccountId, host.projectId);
  const del = run([
    'gcloud',
    'sql',
    'users',
    'delete',
    user,
    `--instance=${host.database.instanceName}`,
    `--project=${host.projectId}`,
    '--quiet',
  ]);
  if (del.status !== 0)
    console.warn(`could not delete IAM database user ${user} (already gone, or still owns objects)`);
}

export async function main(
  values: CommandArgs<typeof PREVIEW>['values'],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const args = previewArgs(values);
  switch (args.mode) {
    case 'dry-run':
      console.log(formatPlan(planPreview(args.pr!, args.digest, env)));
      return 0;
    case 'deploy':
      deploy(args.pr!, args.digest, env);
      return 0;
    case 'destroy':
      await confirm(
        `destroy ${stackName.preview(args.pr!)} (namespace ${serviceIdentity(args.pr!).namespace}, its database and IAM user)?`,
        { yes: args.yes === true },
      );
      destroy(args.pr!, env);
      return 0;
  }
}

runCli(module, PREVIEW, ({ values }) => main(values));
