/**
 * Waits for walk-service's rollout after `cdktf deploy <env>-app`, as the
 * deploy workflow runs it (kubectl credentials for the cluster already set):
 *
 *   npx tsx scripts/canary-wait.ts record
 *       prints the Canary's status.lastAppliedSpec now ("" without a Canary)
 *   npx tsx scripts/canary-wait.ts wait --digest sha256:… [--since <spec>] [--timeout-minutes 80]
 *   (--help for all; a mistyped flag is a usage error, exit 2)
 *       with a Flagger Canary: waits until Flagger has seen the new revision
 *       (lastAppliedSpec differs from --since) and ends Succeeded (exit 0)
 *       or Failed (exit 1: Flagger routed traffic back, the primary still
 *       serves the previous digest); without one: `kubectl rollout status`.
 */
import { spawnSync } from 'child_process';
import { SERVICE_NAME, SERVICE_NAMESPACE, servingDeploymentName } from '../config/names';
import { type CommandArgs, defineCommand, runCli, UsageError } from './lib/cli';

export interface CanaryStatus {
  readonly phase?: string;
  readonly lastAppliedSpec?: string;
  readonly failedChecks?: number;
  readonly canaryWeight?: number;
}

export type Verdict = 'wait' | 'promoted' | 'failed';

/**
 * `since` is lastAppliedSpec before the deploy. Flagger writes a new one when
 * it starts analysing a new revision; until then an old phase says nothing
 * about this release — unless the primary already runs the digest (a
 * re-deploy of the serving release, which starts no analysis).
 */
export function canaryVerdict(
  status: CanaryStatus,
  since: string,
  primaryImage: string,
  digest: string,
): Verdict {
  const seenNewRevision = (status.lastAppliedSpec ?? '') !== since;
  if (!seenNewRevision) {
    const alreadyServing = primaryImage.endsWith(`@${digest}`);
    return alreadyServing && ['Succeeded', 'Initialized'].includes(status.phase ?? '') ? 'promoted' : 'wait';
  }
  if (status.phase === 'Succeeded') return 'promoted';
  if (status.phase === 'Failed') return 'failed';
  // First deploy: Flagger initializes the primary from this revision without an analysis.
  if (status.phase === 'Initialized' && primaryImage.endsWith(`@${digest}`)) return 'promoted';
  return 'wait';
}

function kubectl(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('kubectl', ['--namespace', SERVICE_NAMESPACE, ...args], { encoding: 'utf8' });
  if (r.error) throw new Error(`kubectl could not start: ${r.error.message}`);
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function canaryStatus(): CanaryStatus | undefined {
  const r = kubectl(['get', `canary/${SERVICE_NAME}`, '--ignore-not-found', '-o', 'json']);
  if (r.status !== 0) throw new Error(`kubectl get canary failed: ${r.stderr.trim()}`);
  if (r.stdout.trim() === '') return undefined;
  return ((JSON.parse(r.stdout) as { status?: CanaryStatus }).status ?? {}) as CanaryStatus;
}

function primaryImage(): string {
  const r = kubectl([
    'get',
    `deployment/${servingDeploymentName(true)}`,
    '--ignore-not-found',
    '-o',
    `jsonpath={.spec.template.spec.containers[?(@.name=="${SERVICE_NAME}")].image}`,
  ]);
  return r.status === 0 ? r.stdout.trim() : '';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const CANARY_WAIT = defineCommand({
  usage: `usage: npx tsx scripts/canary-wait.ts record | wait --digest sha256:… [--since <spec>] [--timeout-minutes N]

  record                  print the Canary's status.lastAppliedSpec now ("" without a Canary)
  wait                    wait until the release of --digest is promoted (exit 0) or rolled back (exit 1)
  --digest sha256:…       the image digest just deployed (wait)
  --since <spec>          what record printed before the deploy (wait; default "")
  --timeout-minutes N     give up after N minutes (wait; default 80)`,
  options: {
    digest: { type: 'string' },
    since: { type: 'string', default: '' },
    'timeout-minutes': { type: 'string', default: '80' },
  },
  allowPositionals: true,
});

type WaitOptions = CommandArgs<typeof CANARY_WAIT>['values'];

async function waitForRollout(values: WaitOptions): Promise<number> {
  const digest = values.digest;
  if (!digest || !/^sha256:[0-9a-f]{64}$/.test(digest))
    throw new UsageError('wait needs --digest sha256:<64 hex>');
  const since = values.since;
  const timeoutMinutes = Number(values['timeout-minutes']);
  if (!Number.isInteger(timeoutMinutes) || timeoutMinutes < 1)
    throw new UsageError(
      `--timeout-minutes must be a whole number of minutes, got "${values['timeout-minutes']}"`,
    );
  const first = canaryStatus();
  if (first === undefined) {
    // Rolling-update environment (no canary configured): Kubernetes' own wait.
    const r = spawnSync(
      'kubectl',
      [
        '--namespace',
        SERVICE_NAMESPACE,
        'rollout',
        'status',
        `deployment/${SERVICE_NAME}`,
        `--timeout=${timeoutMinutes}m`,
      ],
      { stdio: 'inherit' },
    );
    return r.status === 0 ? 0 : 1;
  }
  const deadline = Date.now() + timeoutMinutes * 60_000;
  let last = '';
  for (;;) {
    const status = canaryStatus() ?? {};
    const line = `phase=${status.phase ?? '?'} weight=${status.canaryWeight ?? 0} failedChecks=${status.failedChecks ?? 0}`;
    if (line !== last) console.log(`${new Date().toISOString()} canary/${SERVICE_NAME}: ${line}`);
    last = line;
    const verdict = canaryVerdict(status, since, primaryImage(), digest);
    if (verdict === 'promoted') {
      console.log(`promoted: ${servingDeploymentName(true)} runs ${digest}`);
      return 0;
    }
    if (verdict === 'failed') {
      console.error(`canary failed: Flagger rolled back; the previous release keeps serving.`);
      kubectl(['describe', `canary/${SERVICE_NAME}`])
        .stdout.split('\n')
        .slice(-25)
        .forEach((l) => console.error(l));
      return 1;
    }
    if (Date.now() > deadline) {
      console.error(`timed out after ${timeoutMinutes} minutes waiting for canary/${SERVICE_NAME}`);
      return 1;
    }
    await sleep(15_000);
  }
}

async function main({ values, positionals }: CommandArgs<typeof CANARY_WAIT>): Promise<number> {
  const [command, ...rest] = positionals;
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  if (command === 'record') {
    console.log(canaryStatus()?.lastAppliedSpec ?? '');
    return 0;
  }
  if (command === 'wait') return waitForRollout(values);
  throw new UsageError(command ? `unknown command "${command}"` : 'record or wait?');
}

runCli(module, CANARY_WAIT, main);
