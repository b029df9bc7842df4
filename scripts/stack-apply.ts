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
import { runCli } from './lib/cli';

export const LOCK_TIMEOUT = '30m';

export interface ApplyArgs {
  readonly stack: string;
  readonly destroy: boolean;
  readonly autoApprove: boolean;
}

const USAGE = 'usage: npx tsx scripts/stack-apply.ts <stack> [--destroy] [--auto-approve]';

export function parseApplyArgs(argv: readonly string[]): ApplyArgs {
  const flags = argv.filter((a) => a.startsWith('--'));
  const rest = argv.filter((a) => !a.startsWith('--'));
  const unknown = flags.filter((f) => f !== '--destroy' && f !== '--auto-approve');
  if (rest.length !== 1 || unknown.length > 0) throw new Error(USAGE);
  return {
    stack: rest[0]!,
    destroy: flags.includes('--destroy'),
    autoApprove: flags.includes('--auto-approve'),
  };
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

runCli(module, main);
