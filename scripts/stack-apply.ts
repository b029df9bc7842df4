/**
 * `npx tsx scripts/stack-apply.ts <stack> [--destroy] [--auto-approve] [--import Kind/name]... [--state-rm Kind/name]... [--lock-timeout 0s]`
 *
 * Applies (or destroys) one stack with the Terraform on PATH on the output of
 * the cdktf app synthesized with every deploy key required (requireContext),
 * so a privileged job runs only what the lockfile pins: no cdktf CLI
 * fetched at run time. Terraform plans, prints the plan, then applies exactly
 * that plan; without --auto-approve it asks first (a person reviews it).
 * `-lock-timeout` (30m; `--lock-timeout 0s` to fail at once) makes a second
 * apply of the same stack wait for the state lock instead of being dropped.
 * `--import Kind/name` brings an existing Kubernetes object of the stack's
 * configuration into state before the plan (Terraform would fail to create
 * it); `--state-rm Kind/name` forgets one the configuration no longer has,
 * leaving it in the cluster (Terraform would delete it). Both serve hand-overs
 * between Terraform and Flagger (runbooks/canary-toggle.md).
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { synthInfra } from '../infra/main';
import { defineCommand, parseCommandLine, runCli, UsageError, usageLine } from './lib/cli';

export const LOCK_TIMEOUT = '30m';

export interface ApplyArgs {
  readonly stack: string;
  readonly destroy: boolean;
  readonly autoApprove: boolean;
  /** `Kind/name` of Kubernetes objects to import before the plan. */
  readonly imports: readonly string[];
  /** `Kind/name` of Kubernetes objects to remove from state (kept in the cluster) before the plan. */
  readonly stateRemovals: readonly string[];
  /** How long to wait for the state lock; `0s` fails at once when another apply holds it. */
  readonly lockTimeout: string;
}

const OBJECT_REF = /^[A-Za-z]+\/[a-z0-9][a-z0-9.-]*$/;

export const STACK_APPLY = defineCommand({
  usage: `usage: npx tsx scripts/stack-apply.ts <stack> [--destroy] [--auto-approve] [--import Kind/name]... [--state-rm Kind/name]... [--lock-timeout <n>s|<n>m]

Plans the synthesized stack with Terraform, shows the plan and applies exactly it.
  --destroy             plan and apply the stack's destruction
  --auto-approve        apply without asking (CI, where the environment allows it)
  --import Kind/name    import an existing Kubernetes object of the stack before the plan
  --state-rm Kind/name  forget an object the stack no longer has, leaving it in the cluster
  --lock-timeout <d>    wait this long for the state lock (default ${LOCK_TIMEOUT}; 0s fails at once)`,
  options: {
    destroy: { type: 'boolean', default: false },
    'auto-approve': { type: 'boolean', default: false },
    import: { type: 'string', multiple: true, default: [] },
    'state-rm': { type: 'string', multiple: true, default: [] },
    'lock-timeout': { type: 'string', default: LOCK_TIMEOUT },
  },
  allowPositionals: true,
});

export function parseApplyArgs(argv: readonly string[]): ApplyArgs {
  const { values, positionals } = parseCommandLine(STACK_APPLY, argv);
  if (positionals.length !== 1)
    throw new UsageError(`expected one stack name\n${usageLine(STACK_APPLY.usage)}`);
  for (const [flag, refs] of [
    ['--import', values.import],
    ['--state-rm', values['state-rm']],
  ] as const) {
    const bad = refs.find((ref) => !OBJECT_REF.test(ref));
    if (bad !== undefined)
      throw new UsageError(`${flag} takes Kind/name, got ${bad}\n${usageLine(STACK_APPLY.usage)}`);
  }
  const lockTimeout = values['lock-timeout'];
  if (!/^\d+[sm]$/.test(lockTimeout))
    throw new UsageError(
      `--lock-timeout takes <n>s or <n>m, got ${lockTimeout}\n${usageLine(STACK_APPLY.usage)}`,
    );
  return {
    stack: positionals[0]!,
    destroy: values.destroy,
    autoApprove: values['auto-approve'],
    imports: values.import,
    stateRemovals: values['state-rm'],
    lockTimeout,
  };
}

interface ManifestValue {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

const refOf = (m: ManifestValue) => `${m.kind}/${m.metadata.name}`;

/** The `kubernetes_manifest` address and import id of each `Kind/name` in a synthesized stack (cdk.tf.json). */
export function importTargets(stackJson: unknown, refs: readonly string[]): [string, string][] {
  const manifests =
    (stackJson as { resource?: { kubernetes_manifest?: Record<string, { manifest: ManifestValue }> } })
      .resource?.kubernetes_manifest ?? {};
  return refs.map((ref) => {
    const hit = Object.entries(manifests).find(([, r]) => refOf(r.manifest) === ref);
    if (!hit) throw new Error(`--import ${ref}: the stack's configuration has no such object`);
    const m = hit[1].manifest;
    // The provider's import id (registry.terraform.io/providers/hashicorp/kubernetes, kubernetes_manifest "Import").
    const id = [
      `apiVersion=${m.apiVersion}`,
      `kind=${m.kind}`,
      ...(m.metadata.namespace ? [`namespace=${m.metadata.namespace}`] : []),
      `name=${m.metadata.name}`,
    ].join(',');
    return [`kubernetes_manifest.${hit[0]}`, id];
  });
}

/** The state address of each `Kind/name`, from `terraform show -json` of the stack's state. */
export function stateAddresses(showJson: unknown, refs: readonly string[]): string[] {
  const resources =
    (
      showJson as {
        values?: {
          root_module?: {
            resources?: { address: string; type: string; values: { manifest?: ManifestValue } }[];
          };
        };
      }
    ).values?.root_module?.resources ?? [];
  return refs.map((ref) => {
    const hit = resources.find(
      (r) => r.type === 'kubernetes_manifest' && r.values.manifest && refOf(r.values.manifest) === ref,
    );
    if (!hit) throw new Error(`--state-rm ${ref}: not in the stack's state`);
    return hit.address;
  });
}

export interface Resolved {
  readonly imports: readonly [string, string][];
  readonly stateRemovals: readonly string[];
}

/** The terraform commands, in order, run in the stack's synthesized directory. */
export function terraformCommands(
  a: ApplyArgs,
  resolved: Resolved = { imports: [], stateRemovals: [] },
): string[][] {
  const lock = `-lock-timeout=${a.lockTimeout}`;
  const plan = ['plan', '-input=false', lock, '-out=stack.tfplan'];
  return [
    ['init', '-input=false'],
    ...resolved.stateRemovals.map((address) => ['state', 'rm', lock, address]),
    ...resolved.imports.map(([address, id]) => ['import', '-input=false', lock, address, id]),
    a.destroy ? [...plan, '-destroy'] : plan,
    ...(a.autoApprove ? [] : [['show', 'stack.tfplan']]),
    // A saved plan applies without a prompt: ask here when no one approved up front.
    ['apply', '-input=false', lock, 'stack.tfplan'],
  ];
}

function confirm(stack: string): void {
  const r = spawnSync(
    'bash',
    ['-c', `read -r -p "apply this plan to ${stack}? type yes: " a && [ "$a" = yes ]`],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) throw new Error(`${stack}: not applied (no "yes")`);
}

function terraform(dir: string, stack: string, command: string[], capture = false): string {
  console.log(`$ terraform ${command.join(' ')}`);
  const r = spawnSync('terraform', command, {
    cwd: dir,
    stdio: capture ? ['inherit', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.error) throw new Error(`terraform could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${stack}: terraform ${command[0]} failed (exit ${r.status})`);
  return capture ? r.stdout : '';
}

function main(argv: string[]): number {
  const args = parseApplyArgs(argv);
  const outdir = mkdtempSync(join(tmpdir(), 'stack-apply-'));
  try {
    synthInfra(outdir, { argv: [], requireContext: true });
    const dir = join(outdir, 'stacks', args.stack);
    if (!existsSync(dir)) throw new Error(`${args.stack}: the cdktf app does not synthesize this stack`);
    const imports = importTargets(JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')), args.imports);
    let stateRemovals: string[] = [];
    if (args.stateRemovals.length > 0) {
      terraform(dir, args.stack, ['init', '-input=false']);
      stateRemovals = stateAddresses(
        JSON.parse(terraform(dir, args.stack, ['show', '-json'], true)),
        args.stateRemovals,
      );
    }
    for (const command of terraformCommands(args, { imports, stateRemovals })) {
      if (command[0] === 'apply' && !args.autoApprove) confirm(args.stack);
      terraform(dir, args.stack, command);
    }
    return 0;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

runCli(module, STACK_APPLY, () => main(process.argv.slice(2)));
