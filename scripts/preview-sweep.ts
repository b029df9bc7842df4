/**
 * `npx tsx scripts/preview-sweep.ts [--dry-run]`
 *
 * Destroys every PR preview whose pull request is closed or whose expiry
 * label (moved on each deploy) has passed, with `scripts/preview.ts
 * --destroy` (which also deletes the PR's abandoned IAM database user).
 * Previews are found both as labelled namespaces on the preview-hosting
 * cluster and as `preview-pr-<n>` state prefixes (a half-
 * destroyed preview has state but maybe no namespace). Open pull requests
 * come from `gh pr list` (GH_TOKEN). Writes what it removed to stdout and
 * $GITHUB_STEP_SUMMARY.
 */
import { spawnSync } from 'child_process';
import { appendFileSync } from 'fs';
import { LABEL } from '../charts/lib/labels';
import { resolveContext } from '../config/context';
import { loadEnvironments } from '../config/environments';
import { stackName, statePrefix } from '../config/names';
import { type CommandArgs, defineCommand, runCli } from './lib/cli';

export interface FoundPreview {
  readonly pr: number;
  /** Unix seconds from the namespace's expiry label; undefined when only state was found. */
  readonly expiresAt?: number;
}

export interface SweepDecision {
  readonly pr: number;
  readonly reason: string;
}

/** Which previews to remove, in PR order; one entry per PR. */
export function sweepDecisions(
  found: readonly FoundPreview[],
  openPrs: ReadonlySet<number>,
  now: Date,
): SweepDecision[] {
  const byPr = new Map<number, FoundPreview>();
  for (const f of found) {
    const seen = byPr.get(f.pr);
    if (!seen || (f.expiresAt ?? 0) > (seen.expiresAt ?? 0)) byPr.set(f.pr, f);
  }
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const out: SweepDecision[] = [];
  for (const f of [...byPr.values()].sort((a, b) => a.pr - b.pr)) {
    if (!openPrs.has(f.pr)) out.push({ pr: f.pr, reason: 'pull request is closed' });
    else if (f.expiresAt !== undefined && f.expiresAt < nowSeconds) {
      out.push({ pr: f.pr, reason: `expired ${new Date(f.expiresAt * 1000).toISOString()}` });
    }
  }
  return out;
}

interface NamespaceList {
  items: { metadata: { name: string; labels?: Record<string, string> } }[];
}

/** Previews from `kubectl get namespaces -l <preview label> -o json`. */
export function previewsFromNamespaces(list: NamespaceList): FoundPreview[] {
  return list.items.flatMap((ns) => {
    const labels = ns.metadata.labels ?? {};
    const pr = Number(labels[LABEL.previewPr]);
    if (!Number.isInteger(pr) || pr < 1) return [];
    const expires = Number(labels[LABEL.previewExpiresAt]);
    return [{ pr, ...(Number.isFinite(expires) && expires > 0 ? { expiresAt: expires } : {}) }];
  });
}

/** Previews from `gcloud storage ls gs://<bucket>/stacks/` lines (`…/stacks/preview-pr-<n>/`). */
export function previewsFromStatePrefixes(lines: string): FoundPreview[] {
  const prefix = statePrefix(stackName.preview(1)).replace(/1$/, '');
  return lines
    .split('\n')
    .map((l) => l.trim().replace(/\/$/, ''))
    .flatMap((l) => {
      const at = l.lastIndexOf(prefix);
      const pr = at >= 0 ? Number(l.slice(at + prefix.length)) : NaN;
      return Number.isInteger(pr) && pr > 0 ? [{ pr }] : [];
    });
}

function capture(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${command} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${(r.stderr ?? '').trim()}`);
  return r.stdout ?? '';
}

function run(command: string, args: string[]): boolean {
  console.log(`$ ${command} ${args.join(' ')}`);
  return spawnSync(command, args, { stdio: 'inherit' }).status === 0;
}

export const PREVIEW_SWEEP = defineCommand({
  usage: `usage: npx tsx scripts/preview-sweep.ts [--dry-run]

Destroys every preview whose pull request is closed or whose expiry has passed.
  --dry-run   list what would be removed, remove nothing`,
  options: { 'dry-run': { type: 'boolean', default: false } },
});

function main({ values }: CommandArgs<typeof PREVIEW_SWEEP>): number {
  const dryRun = values['dry-run'];
  const { context, env } = resolveContext({ argv: [] });
  const config = loadEnvironments(context, env);
  const namespaces = JSON.parse(
    capture('kubectl', ['get', 'namespaces', '-l', LABEL.previewPr, '-o', 'json']),
  ) as NamespaceList;
  let state = '';
  try {
    state = capture('gcloud', ['storage', 'ls', `gs://${config.bootstrap.stateBucket}/stacks/`]);
  } catch (e) {
    console.error(`state prefixes not listed (${(e as Error).message}); sweeping namespaces only`);
  }
  const open = JSON.parse(
    capture('gh', ['pr', 'list', '--state', 'open', '--limit', '1000', '--json', 'number']),
  ) as {
    number: number;
  }[];
  const decisions = sweepDecisions(
    [...previewsFromNamespaces(namespaces), ...previewsFromStatePrefixes(state)],
    new Set(open.map((p) => p.number)),
    new Date(),
  );
  const report = [`## Preview sweep${dryRun ? ' (dry run)' : ''}`, ''];
  if (decisions.length === 0) report.push('Nothing to remove.');
  let failures = 0;
  for (const d of decisions) {
    if (dryRun) {
      report.push(`- would remove PR #${d.pr} (${d.reason})`);
      continue;
    }
    // preview.ts --destroy also deletes the PR's abandoned IAM database user.
    const destroyed = run('npx', ['tsx', 'scripts/preview.ts', '--pr', String(d.pr), '--destroy', '--yes']);
    if (!destroyed) failures++;
    report.push(`- ${destroyed ? 'removed' : 'FAILED to remove'} PR #${d.pr} (${d.reason})`);
  }
  const text = report.join('\n');
  console.log(text);
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${text}\n`);
  return failures === 0 ? 0 : 1;
}

runCli(module, PREVIEW_SWEEP, main);
