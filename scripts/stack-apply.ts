/**
 * `npx tsx scripts/stack-apply.ts <stack> [--destroy] [--auto-approve]`
 *
 * Applies (or destroys) one stack with the Terraform on PATH on the output of
 * the cdktf app synthesized with every deploy key required (requireContext),
 * so a privileged job runs only what the lockfile pins: no cdktf CLI
 * fetched at run time. Terraform plans, prints the plan, then applies exactly
 * that plan; without --auto-approve it asks first (a person reviews it).
 * `-lock-timeout` makes a second apply of the same stack wait for the state
 * lock instead of failing or being dropped.
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { synthInfra } from '../infra/main';
import { defineCommand, parseCommandLine, runCli, UsageError, usageLine } from './lib/cli';

export const LOCK_TIMEOUT = '30m';

export interface ApplyArgs {
  readonly stack: string;
  readonly destroy: boolean;
  readonly autoApprove: boolean;
}

export const STACK_APPLY = defineCommand({
  usage: `usage: npx tsx scripts/stack-apply.ts <stack> [--destroy] [--auto-approve]

Plans the synthesized stack with Terraform, shows the plan and applies exactly it.
  --destroy        plan and apply the stack's destruction
  --auto-approve   apply without asking (CI, where the environment allows it)`,
  options: {
    destroy: { type: 'boolean', default: false },
    'auto-approve': { type: 'boolean', default: false },
  },
  allowPositionals: true,
});

export function parseApplyArgs(argv: readonly string[]): ApplyArgs {
  const { values, positionals } = parseCommandLine(STACK_APPLY, argv);
  if (positionals.length !== 1)
    throw new UsageError(`expected one stack name\n${usageLine(STACK_APPLY.usage)}`);
  return { stack: positionals[0]!, destroy: values.destroy, autoApprove: values['auto-approve'] };
}

/** The terraform commands, in order, run in the stack's synthesized directory. */
export function terraformCommands(a: ApplyArgs): string[][] {
  const plan = ['plan', '-input=false', `-lock-timeout=${LOCK_TIMEOUT}`, '-out=stack.tfplan'];
  return [
    ['init', '-input=false'],
    a.destroy ? [...plan, '-destroy'] : plan,
    ...(a.autoApprove ? [] : [['show', 'stack.tfplan']]),
    // A saved plan applies without a prompt: ask here when no one approved up front.
    ['apply', '-input=false', `-lock-timeout=${LOCK_TIMEOUT}`, 'stack.tfplan'],
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

function main(argv: string[]): number {
  const args = parseApplyArgs(argv);
  const outdir = mkdtempSync(join(tmpdir(), 'stack-apply-'));
  try {
    synthInfra(outdir, { argv: [], requireContext: true });
    const dir = join(outdir, 'stacks', args.stack);
    if (!existsSync(dir)) throw new Error(`${args.stack}: the cdktf app does not synthesize this stack`);
    for (const command of terraformCommands(args)) {
      if (command[0] === 'apply' && !args.autoApprove) confirm(args.stack);
      console.log(`$ terraform ${command.join(' ')}`);
      const r = spawnSync('terraform', command, { cwd: dir, stdio: 'inherit' });
      if (r.error) throw new Error(`terraform could not start: ${r.error.message}`);
      if (r.status !== 0) throw new Error(`${args.stack}: terraform ${command[0]} failed (exit ${r.status})`);
    }
    return 0;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

runCli(module, STACK_APPLY, () => main(process.argv.slice(2)));
