/**
 * `npx tsx scripts/stack-plan.ts <stack> [--markdown <file>]`
 *
 * Read-only plan of one stack, as CI's pull-request diff and the nightly
 * drift check run it: synthesizes the cdktf app, then `terraform plan
 * -detailed-exitcode -lock=false` in `stacks/<stack>` (ADR 0050). An
 * `<env>-app` stack is planned with the digest it runs now (read from its
 * state), so the diff shows configuration changes, not "new image".
 * Exit 0: no changes; 2: changes; 1: error. --markdown appends a section for
 * the PR comment or drift issue.
 */
import { spawnSync } from 'child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { resolveContext } from '../config/context';
import { loadEnvironments } from '../config/environments';
import { statePrefix } from '../config/names';
import { synthInfra } from '../infra/main';
import { type CommandArgs, defineCommand, runCli, UsageError } from './lib/cli';

/** Most of a PR comment's 65 536 characters, shared by every stack. */
const MAX_PLAN_CHARS = 12_000;

/** The digest an app stack's `image` output names (`…@sha256:…`), or undefined. */
export function digestFromState(stateJson: string): string | undefined {
  const state = JSON.parse(stateJson) as { outputs?: { image?: { value?: unknown } } };
  const image = state.outputs?.image?.value;
  const match = typeof image === 'string' ? /@(sha256:[0-9a-f]{64})$/.exec(image) : null;
  return match?.[1];
}

export type PlanVerdict = 'no changes' | 'changes' | 'error';

export function verdictOf(exitCode: number | null): PlanVerdict {
  if (exitCode === 0) return 'no changes';
  if (exitCode === 2) return 'changes';
  return 'error';
}

/** Terraform's one-line summary, e.g. `Plan: 1 to add, 2 to change, 0 to destroy.` */
export function planHeadline(output: string, verdict: PlanVerdict): string {
  if (verdict === 'no changes') return 'no changes';
  const line = /^(Plan: .*|Changes to Outputs:.*|Error: .*)$/m.exec(output)?.[1];
  return line ?? verdict;
}

export function markdownSection(stack: string, verdict: PlanVerdict, output: string): string {
  const icon = verdict === 'no changes' ? '✅' : verdict === 'changes' ? '📝' : '❌';
  const body = output.length > MAX_PLAN_CHARS ? `${output.slice(0, MAX_PLAN_CHARS)}\n… (truncated)` : output;
  return [
    `<details><summary>${icon} <code>${stack}</code>: ${planHeadline(output, verdict)}</summary>`,
    '',
    '```',
    body.trim(),
    '```',
    '</details>',
    '',
  ].join('\n');
}

function run(command: string, args: string[], cwd?: string): { status: number | null; output: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${command} could not start: ${r.error.message}`);
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function deployedDigest(bucket: string, stack: string): string | undefined {
  const r = run('gcloud', ['storage', 'cat', `gs://${bucket}/${statePrefix(stack)}/default.tfstate`]);
  if (r.status === 0) return digestFromState(r.output);
  // Never deployed: no state object. Anything else (permissions, network) is an error, not "no drift".
  if (/not found|No URLs matched|404/i.test(r.output)) return undefined;
  throw new Error(`cannot read the state of ${stack}: ${r.output.trim()}`);
}

export const STACK_PLAN = defineCommand({
  usage: `usage: npx tsx scripts/stack-plan.ts <stack> [--markdown <file>]

Read-only terraform plan of one synthesized stack. Exit 0: no changes; 2: changes; 1: error.
  --markdown <file>   append a section for the PR comment or drift issue`,
  options: { markdown: { type: 'string' } },
  allowPositionals: true,
});

function main({ values, positionals }: CommandArgs<typeof STACK_PLAN>): number {
  const [stack, ...rest] = positionals;
  if (!stack || rest.length > 0) throw new UsageError('expected one stack name');
  const markdownFile = values.markdown;
  const { context, env } = resolveContext({ argv: [] });
  const extra: Record<string, string> = {};
  if (stack.endsWith('-app')) {
    const digest = deployedDigest(loadEnvironments(context, env).bootstrap.stateBucket, stack);
    if (!digest) {
      const note = `${stack} has no deployed image yet: nothing to compare.`;
      console.log(note);
      if (markdownFile) appendFileSync(markdownFile, `- <code>${stack}</code>: ${note}\n`);
      return 0;
    }
    extra.imageDigest = digest;
  }
  const outdir = mkdtempSync(join(tmpdir(), 'stack-plan-'));
  try {
    synthInfra(outdir, { context: extra, argv: [] });
    const dir = join(outdir, 'stacks', stack);
    const init = run('terraform', ['init', '-input=false', '-no-color'], dir);
    const plan =
      init.status === 0
        ? run('terraform', ['plan', '-input=false', '-lock=false', '-no-color', '-detailed-exitcode'], dir)
        : init;
    const verdict = verdictOf(plan.status);
    console.log(plan.output);
    console.log(`${stack}: ${planHeadline(plan.output, verdict)}`);
    if (markdownFile) appendFileSync(markdownFile, markdownSection(stack, verdict, plan.output));
    return verdict === 'no changes' ? 0 : verdict === 'changes' ? 2 : 1;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

runCli(module, STACK_PLAN, main);
