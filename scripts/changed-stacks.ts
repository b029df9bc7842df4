/**
 * `npx tsx scripts/changed-stacks.ts --base <git ref>`
 *
 * Prints, one per line, the stacks whose synthesized Terraform JSON differs
 * between <git ref> (the pull request's base) and the working tree: the
 * stacks a change really touches, whatever files it edits (a shared
 * construct, environments.ts, a chart). Previews are not compared.
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { synthInfra } from '../infra/main';
import { type CommandArgs, defineCommand, runCli, UsageError } from './lib/cli';

/** stack name → its cdk.tf.json text, for every stack under `<outdir>/stacks`. */
export function readStacks(outdir: string): Map<string, string> {
  const dir = join(outdir, 'stacks');
  const stacks = new Map<string, string>();
  if (!existsSync(dir)) return stacks;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name, 'cdk.tf.json');
    if (existsSync(file)) stacks.set(name, readFileSync(file, 'utf8'));
  }
  return stacks;
}

/** Stacks that are new in `head` or whose JSON changed; removed stacks cannot be planned and are left out. */
export function changedStacks(base: Map<string, string>, head: Map<string, string>): string[] {
  return [...head.entries()]
    .filter(([name, json]) => base.get(name) !== json)
    .map(([name]) => name)
    .sort();
}

function git(args: string[]): void {
  const r = spawnSync('git', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed (exit ${r.status})`);
}

/** Runs `fn` in a detached worktree of `ref` that shares this checkout's node_modules. */
export function atRef<T>(ref: string, fn: (tree: string) => T): T {
  const tree = mkdtempSync(join(tmpdir(), 'base-tree-'));
  try {
    git(['worktree', 'add', '--detach', tree, ref]);
    symlinkSync(resolve('node_modules'), join(tree, 'node_modules'), 'dir');
    return fn(tree);
  } finally {
    git(['worktree', 'remove', '--force', tree]);
  }
}

/** Synthesizes the cdktf app as it is at `ref`. */
function synthAtRef(ref: string, outdir: string): void {
  atRef(ref, (tree) => {
    const r = spawnSync('npx', ['tsx', 'infra/main.ts'], {
      cwd: tree,
      env: { ...process.env, CDKTF_OUTDIR: outdir },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    // A base that does not synthesize compares as empty: every head stack counts as changed.
    if (r.status !== 0) console.error(`synth at ${ref} failed; treating every stack as changed`);
  });
}

export const CHANGED_STACKS = defineCommand({
  usage: `usage: npx tsx scripts/changed-stacks.ts --base <git ref>

Prints the stacks whose synthesized Terraform JSON differs between <git ref> and the working tree.`,
  options: { base: { type: 'string' } },
});

function main({ values }: CommandArgs<typeof CHANGED_STACKS>): void {
  const ref = values.base;
  if (!ref) throw new UsageError('--base <git ref> is required');
  const work = mkdtempSync(join(tmpdir(), 'changed-stacks-'));
  try {
    synthAtRef(ref, join(work, 'base'));
    synthInfra(join(work, 'head'), { argv: [] });
    for (const stack of changedStacks(readStacks(join(work, 'base')), readStacks(join(work, 'head')))) {
      console.log(stack);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

runCli(module, CHANGED_STACKS, main);
