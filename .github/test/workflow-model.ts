/**
 * The workflows as data for the tests: every workflow and local composite
 * action parsed once, with helpers that follow reusable-workflow calls and
 * expand the few expressions that name stacks or environments.
 */
import { existsSync, readFileSync, readdirSync } from 'fs';
import { join, relative } from 'path';
import { parse } from 'yaml';

export const REPO_ROOT = join(__dirname, '..', '..');
export const WORKFLOWS_DIR = join(REPO_ROOT, '.github', 'workflows');
export const ACTIONS_DIR = join(REPO_ROOT, '.github', 'actions');

export type Env = Record<string, string>;

export interface Step {
  readonly name?: string;
  readonly id?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Env;
}

export interface Job {
  readonly name?: string;
  readonly if?: string;
  readonly uses?: string;
  readonly with?: Record<string, unknown>;
  readonly needs?: string | string[];
  readonly permissions?: Record<string, string> | string;
  readonly environment?: string | { name: string; url?: string };
  readonly concurrency?: string | { group: string; 'cancel-in-progress'?: unknown };
  readonly env?: Env;
  readonly strategy?: { matrix?: Record<string, unknown> };
  readonly steps?: Step[];
}

export interface Workflow {
  /** Path relative to the repository root, e.g. `.github/workflows/ci.yml`. */
  readonly path: string;
  readonly text: string;
  readonly on: Record<string, unknown>;
  readonly permissions?: unknown;
  readonly env?: Env;
  readonly jobs: Record<string, Job>;
}

export interface CompositeAction {
  readonly path: string;
  readonly text: string;
  readonly steps: Step[];
}

function triggers(on: unknown): Record<string, unknown> {
  if (typeof on === 'string') return { [on]: null };
  if (Array.isArray(on)) return Object.fromEntries(on.map((t: string) => [t, null]));
  return (on ?? {}) as Record<string, unknown>;
}

export function loadWorkflows(dir = WORKFLOWS_DIR): Workflow[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => {
      const text = readFileSync(join(dir, f), 'utf8');
      const doc = parse(text) as Record<string, unknown>;
      return {
        path: relative(REPO_ROOT, join(dir, f)),
        text,
        on: triggers(doc.on ?? doc.true),
        permissions: doc.permissions,
        env: doc.env as Env | undefined,
        jobs: (doc.jobs ?? {}) as Record<string, Job>,
      };
    });
}

export function loadCompositeActions(dir = ACTIONS_DIR): CompositeAction[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => ['action.yml', 'action.yaml'].map((f) => join(dir, d.name, f)))
    .filter(existsSync)
    .map((file) => {
      const text = readFileSync(file, 'utf8');
      const doc = parse(text) as { runs?: { steps?: Step[] } };
      return { path: relative(REPO_ROOT, file), text, steps: doc.runs?.steps ?? [] };
    });
}

/** `./.github/workflows/x.yml` → `.github/workflows/x.yml`. */
export function localPath(uses: string): string {
  return uses.replace(/^\.\//, '');
}

/** Every job that calls the reusable workflow at `path`, with the workflow it is in. */
export function callersOf(workflows: readonly Workflow[], path: string): { workflow: Workflow; job: Job }[] {
  return workflows.flatMap((workflow) =>
    Object.values(workflow.jobs)
      .filter((job) => job.uses !== undefined && localPath(job.uses) === path)
      .map((job) => ({ workflow, job })),
  );
}

/** Steps a job runs, composite actions' steps inlined. */
export function stepsOf(job: Job, actions: readonly CompositeAction[]): Step[] {
  return (job.steps ?? []).flatMap((step) => {
    const action = step.uses?.startsWith('./')
      ? actions.find((a) => a.path.startsWith(localPath(step.uses!)))
      : undefined;
    return action ? [step, ...action.steps] : [step];
  });
}

/** True when the job, or a reusable workflow it calls, runs google-github-actions/auth. */
export function authenticates(
  job: Job,
  workflows: readonly Workflow[],
  actions: readonly CompositeAction[],
): boolean {
  if (job.uses?.startsWith('./')) {
    const called = workflows.find((w) => w.path === localPath(job.uses!));
    return (
      called !== undefined && Object.values(called.jobs).some((j) => authenticates(j, workflows, actions))
    );
  }
  return stepsOf(job, actions).some((s) => s.uses?.startsWith('google-github-actions/auth@'));
}

/**
 * Expands `${{ inputs.x }}` with every value callers pass and `${{ matrix.x }}`
 * with every matrix value; other expressions are left as they are.
 */
export function expand(
  value: string,
  ctx: { inputs?: Record<string, string[]>; matrix?: Record<string, string[]> },
  depth = 0,
): string[] {
  const m = /\$\{\{\s*(inputs|matrix)\.([\w-]+)\s*\}\}/.exec(value);
  // A value that is itself an expression of the caller stays as it is (no recursion through it).
  if (!m || depth > 3) return [value];
  const candidates = (m[1] === 'inputs' ? ctx.inputs : ctx.matrix)?.[m[2]!] ?? [];
  return candidates.flatMap((c) => expand(value.replace(m[0], c), ctx, depth + 1));
}

/** Values each input of reusable workflow `path` receives from its callers. */
export function inputValues(workflows: readonly Workflow[], path: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const { job } of callersOf(workflows, path)) {
    for (const [k, v] of Object.entries(job.with ?? {})) (out[k] ??= []).push(String(v));
  }
  return out;
}

export function matrixValues(job: Job): Record<string, string[]> {
  const matrix = job.strategy?.matrix ?? {};
  return Object.fromEntries(
    Object.entries(matrix)
      .filter(([, v]) => Array.isArray(v))
      .map(([k, v]) => [k, (v as unknown[]).map(String)]),
  );
}

export function environmentName(job: Job): string | undefined {
  return typeof job.environment === 'string' ? job.environment : job.environment?.name;
}

export function allJobs(workflows: readonly Workflow[]): { workflow: Workflow; id: string; job: Job }[] {
  return workflows.flatMap((workflow) =>
    Object.entries(workflow.jobs).map(([id, job]) => ({ workflow, id, job })),
  );
}
