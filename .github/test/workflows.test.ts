/**
 * The workflows are checked as data: actionlint, the commands and stacks
 * they name exist, and the security rules (pins, permissions, identities,
 * forks, prod behind a protected environment) hold for every job.
 */
import { parseApplyArgs } from '../../scripts/stack-apply';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ENVIRONMENT_NAMES, EnvironmentName, environmentConfig } from '../../config/environments';
import { stackName } from '../../config/names';
import { ENV_ACTIONS, EnvAction, planEnvAction } from '../../scripts/env-plan';
import { synthInfra } from '../../infra/main';
import { spawnSync } from 'child_process';
import type { LintProblem } from '../../scripts/actionlint';
import { VERIFIED_ACTIONS } from './verified-actions';

const formatProblem = (p: LintProblem) => `${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`;
import {
  REPO_ROOT,
  Step,
  Workflow,
  Job,
  allJobs,
  authenticates,
  callersOf,
  environmentName,
  expand,
  loadCompositeActions,
  loadWorkflows,
  matrixValues,
  stepsOf,
} from './workflow-model';

const SAMPLE_PR = 123;
const workflows = loadWorkflows();
const actions = loadCompositeActions();
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};

/** One concrete run of a job: a reusable workflow's job once per caller, with that caller's inputs. */
interface JobInstance {
  readonly label: string;
  readonly workflow: Workflow;
  readonly job: Job;
  readonly inputs: Record<string, string[]>;
  readonly matrix: Record<string, string[]>;
}

/** Values a caller passes: literals, or every choice of its own workflow_dispatch input. */
function callerValues(caller: Workflow, value: unknown): string[] {
  const text = String(value);
  const m = /^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$/.exec(text);
  const dispatch = caller.on.workflow_dispatch as { inputs?: Record<string, { options?: string[] }> } | null;
  const options = m ? dispatch?.inputs?.[m[1]!]?.options : undefined;
  return options ?? [text];
}

function instances(): JobInstance[] {
  return allJobs(workflows).flatMap(({ workflow, id, job }) => {
    const matrix = matrixValues(job);
    const callers = callersOf(workflows, workflow.path);
    if (callers.length === 0) return [{ label: `${workflow.path}#${id}`, workflow, job, inputs: {}, matrix }];
    return callers.flatMap(({ workflow: caller, job: callerJob }) => {
      // One instance per combination of the caller's values (a dispatch choice fans out).
      let combos: Record<string, string[]>[] = [{}];
      for (const [k, v] of Object.entries(callerJob.with ?? {})) {
        combos = combos.flatMap((c) => callerValues(caller, v).map((value) => ({ ...c, [k]: [value] })));
      }
      return combos.map((inputs) => ({
        label: `${workflow.path}#${id} (from ${caller.path} with ${JSON.stringify(inputs)})`,
        workflow,
        job,
        inputs,
        matrix,
      }));
    });
  });
}

const all = instances();

function stepEnv(inst: JobInstance, step: Step): Record<string, string> {
  return { ...(inst.workflow.env ?? {}), ...(inst.job.env ?? {}), ...(step.env ?? {}) };
}

function runs(inst: JobInstance): { step: Step; run: string }[] {
  return stepsOf(inst.job, actions)
    .filter((s): s is Step & { run: string } => typeof s.run === 'string')
    .map((step) => ({ step, run: step.run }));
}

/**
 * A shell word: a literal, or "$VAR"/"${VAR}" resolved through the step's env,
 * then expressions expanded. A `for VAR in <list>` loop variable resolves to
 * the literal list; a computed list (e.g. scripts/changed-stacks.ts output,
 * which comes from the cdktf app itself) resolves to nothing.
 */
function resolveWord(word: string, inst: JobInstance, step: Step, run: string): string[] {
  const unquoted = word.replace(/^"|"$/g, '');
  const variable = /^\$\{?(\w+)\}?$/.exec(unquoted)?.[1];
  if (variable) {
    const loop = new RegExp(`for ${variable} in ([^;\\n]+)`).exec(run)?.[1];
    if (loop !== undefined) return loop.includes('$') ? [] : loop.trim().split(/\s+/);
  }
  const value = variable ? stepEnv(inst, step)[variable] : unquoted;
  if (value === undefined) return [`<unset ${variable}>`];
  return expand(value, { inputs: inst.inputs, matrix: inst.matrix });
}

interface StackUse {
  readonly action: string;
  readonly stack: string;
}

/** Stacks a job instance deploys, destroys, diffs or plans. */
function stackUses(inst: JobInstance): StackUse[] {
  const out: StackUse[] = [];
  for (const { step, run } of runs(inst)) {
    for (const m of run.matchAll(
      /\bcdktf(?:-cli@[\d.]+)?\s+(deploy|destroy|diff|plan)\s+("?\$?\{?[\w.-]+\}?"?)/g,
    )) {
      resolveWord(m[2]!, inst, step, run).forEach((stack) => out.push({ action: m[1]!, stack }));
    }
    for (const m of run.matchAll(/scripts\/stack-apply\.ts\s+("?\$?\{?[\w.-]+\}?"?)((?:\s+--[\w-]+)*)/g)) {
      const action = m[2]!.includes('--destroy') ? 'destroy' : 'deploy';
      resolveWord(m[1]!, inst, step, run).forEach((stack) => out.push({ action, stack }));
    }
    for (const m of run.matchAll(/scripts\/stack-plan\.ts\s+("?\$?\{?[\w.-]+\}?"?)/g)) {
      resolveWord(m[1]!, inst, step, run).forEach((stack) => out.push({ action: 'plan', stack }));
    }
    // `npm run env -- <action> <env>`: the stacks scripts/env-plan.ts applies for it.
    for (const m of run.matchAll(/npm run env -- ("?\$?\{?[\w-]+\}?"?) ("?\$?\{?[\w-]+\}?"?)/g)) {
      const acts = resolveWord(m[1]!, inst, step, run).filter((a) => ENV_ACTIONS.includes(a as EnvAction));
      const envs = resolveWord(m[2]!, inst, step, run).filter((e) =>
        ENVIRONMENT_NAMES.includes(e as EnvironmentName),
      );
      for (const action of acts.length ? acts : ENV_ACTIONS.filter((a) => a === 'pause' || a === 'resume')) {
        // An environment computed at run time (a step output) is not expanded here.
        for (const env of envs) {
          const plan = planEnvAction(action as EnvAction, environmentConfig(env as EnvironmentName));
          for (const c of [...plan.before, ...plan.after].map((st) => st.command)) {
            const at = c.indexOf('scripts/stack-apply.ts');
            if (at >= 0)
              out.push({ action: c.includes('--destroy') ? 'destroy' : 'deploy', stack: c[at + 1]! });
          }
        }
      }
    }
    for (const m of run.matchAll(/npm run(?:\s+-s)? preview -- .*?(--destroy|--dry-run)?\s*$/gm)) {
      out.push({ action: m[1] === '--destroy' ? 'destroy' : 'deploy', stack: stackName.preview(SAMPLE_PR) });
    }
  }
  return out;
}

let synthesized: string[] = [];

beforeAll(() => {
  // The cdktf app as CI synthesizes it, previews included for a sample pull request.
  const outdir = mkdtempSync(join(tmpdir(), 'workflows-synth-'));
  try {
    synthInfra(outdir, { context: { pr: String(SAMPLE_PR) }, env: {}, argv: [] });
    synthesized = readdirSync(join(outdir, 'stacks')).sort();
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

describe('workflow files', () => {
  it('exist for CI, image build, deploy, previews, sweep, drift and the dev schedule', () => {
    const names = workflows.map((w) => w.path.replace('.github/workflows/', ''));
    for (const required of [
      'ci.yml',
      'deploy.yml',
      'preview.yml',
      'preview-deploy.yml',
      'preview-sweep.yml',
      'drift.yml',
      'env-schedule.yml',
    ]) {
      expect(names).toContain(required);
    }
  });

  it('pass actionlint (v1.7.7, offline WebAssembly build)', () => {
    // A child process: the linter's package loads an ESM-only dependency that jest cannot require.
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'scripts/actionlint.ts', '--json'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    const problems = (JSON.parse(r.stdout) as LintProblem[]).map(formatProblem);
    expect(problems).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('call only npm scripts that package.json defines, and TypeScript files that exist', () => {
    const missing: string[] = [];
    for (const inst of all) {
      for (const { run } of runs(inst)) {
        for (const m of run.matchAll(/\bnpm run(?:\s+-s)?\s+([\w:.-]+)/g)) {
          if (!(m[1]! in pkg.scripts)) missing.push(`${inst.label}: npm run ${m[1]}`);
        }
        for (const m of run.matchAll(/\b(?:npx )?tsx\s+([\w./-]+\.ts)\b/g)) {
          if (!existsSync(join(REPO_ROOT, m[1]!))) missing.push(`${inst.label}: ${m[1]} does not exist`);
        }
      }
      for (const step of stepsOf(inst.job, actions)) {
        if (step.uses?.startsWith('./') && !existsSync(join(REPO_ROOT, step.uses))) {
          missing.push(`${inst.label}: ${step.uses} does not exist`);
        }
      }
      if (inst.job.uses?.startsWith('./') && !existsSync(join(REPO_ROOT, inst.job.uses))) {
        missing.push(`${inst.label}: ${inst.job.uses} does not exist`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('deploy, destroy and plan only stacks the cdktf app synthesizes (preview for a sample PR)', () => {
    expect(synthesized).toContain(stackName.preview(SAMPLE_PR));
    const uses = all.flatMap((inst) => stackUses(inst).map((u) => ({ ...u, label: inst.label })));
    expect(uses.length).toBeGreaterThan(0);
    const unknown = uses
      .filter((u) => !synthesized.includes(u.stack))
      .map((u) => `${u.label}: ${u.action} ${u.stack}`);
    expect(unknown).toEqual([]);
    // Each long-lived environment's app stack is deployed by some workflow.
    const deployed = new Set(uses.filter((u) => u.action === 'deploy').map((u) => u.stack));
    for (const env of ['dev', 'staging', 'prod']) expect(deployed).toContain(stackName.app(env));
    // env-schedule.yml's `npm run env -- pause|resume dev` applies dev's platform stack.
    expect(deployed).toContain(stackName.platform('dev'));
  });

  it('check every long-lived stack for drift', () => {
    const drift = workflows.find((w) => w.path.endsWith('/drift.yml'))!;
    const planned = new Set(
      all
        .filter((i) => i.workflow === drift)
        .flatMap((i) =>
          stackUses(i)
            .filter((u) => u.action === 'plan')
            .map((u) => u.stack),
        ),
    );
    const longLived = synthesized.filter((s) => s !== stackName.preview(SAMPLE_PR));
    expect([...planned].sort()).toEqual(longLived);
  });
});

describe('ci.yml', () => {
  it('runs install with cache, lint, typecheck, tests, synth, actionlint and the production audit', () => {
    const ci = workflows.find((w) => w.path.endsWith('/ci.yml'))!;
    const text = all
      .filter((i) => i.workflow === ci)
      .flatMap((i) => stepsOf(i.job, actions))
      .map((st) => `${st.run ?? ''} ${JSON.stringify(st.with ?? {})}`)
      .join('\n');
    for (const needle of [
      'npm ci',
      '"cache":"npm"',
      'npm run lint',
      'npm run typecheck',
      'npm test',
      'npm run synth',
      'scripts/actionlint.ts',
      'npm audit --omit=dev',
      'scripts/changed-stacks.ts',
      'scripts/stack-plan.ts',
    ]) {
      expect(text).toContain(needle);
    }
  });

  it("puts the change's monthly cost delta in the plan comment, computed before any credential is held", () => {
    const ci = workflows.find((w) => w.path.endsWith('/ci.yml'))!;
    const diff = Object.values(ci.jobs).find((j) =>
      (j.steps ?? []).some((st) => st.run?.includes('scripts/stack-plan.ts')),
    )!;
    const steps = diff.steps!;
    const cost = steps.findIndex((st) =>
      /scripts\/cost\.ts --compare "origin\/\$\{BASE_REF\}" > cost\.md/.test(st.run ?? ''),
    );
    const auth = steps.findIndex((st) => st.uses?.startsWith('google-github-actions/auth@'));
    expect(cost).toBeGreaterThanOrEqual(0);
    expect(cost).toBeLessThan(auth);
    expect(steps.find((st) => st.id === 'plan')!.run).toContain('cat cost.md >> plan.md');
  });
});

describe('security', () => {
  const usesLines = [...workflows, ...actions].flatMap((f) =>
    f.text
      .split('\n')
      .map((line, i) => ({ file: f.path, line: i + 1, text: line }))
      .filter((l) => /^\s*(-\s+)?uses:/.test(l.text)),
  );

  it('pin every third-party action by a verified full commit SHA with its version in a comment', () => {
    expect(usesLines.length).toBeGreaterThan(0);
    const bad: string[] = [];
    for (const l of usesLines) {
      const m = /uses:\s*([^\s#]+)\s*(?:#\s*(\S+))?/.exec(l.text)!;
      const ref = m[1]!;
      if (ref.startsWith('./')) continue;
      const pin = /^([\w.-]+\/[\w.-]+)(?:\/[\w./-]+)?@([0-9a-f]{40})$/.exec(ref);
      const version = m[2];
      if (!pin || !version) {
        bad.push(`${l.file}:${l.line}: ${ref} must be owner/repo@<40-hex SHA> # vX.Y.Z`);
        continue;
      }
      const verified = VERIFIED_ACTIONS[pin[1]!]?.[version];
      if (verified !== pin[2])
        bad.push(`${l.file}:${l.line}: ${pin[1]}@${pin[2]} # ${version} is not a verified release commit`);
    }
    expect(bad).toEqual([]);
  });

  it('set permissions on every job and none by default at the workflow level', () => {
    const bad = allJobs(workflows)
      .filter(({ job }) => job.permissions === undefined)
      .map(({ workflow, id }) => `${workflow.path}#${id}`);
    expect(bad).toEqual([]);
    for (const w of workflows) expect(w.permissions).toEqual({});
  });

  it('grant id-token: write exactly to the jobs that authenticate to Google Cloud', () => {
    const bad: string[] = [];
    for (const { workflow, id, job } of allJobs(workflows)) {
      const perms = typeof job.permissions === 'object' ? job.permissions : {};
      const idToken = perms['id-token'] === 'write';
      const auth = authenticates(job, workflows, actions);
      if (idToken !== auth)
        bad.push(`${workflow.path}#${id}: id-token=${perms['id-token'] ?? 'none'}, authenticates=${auth}`);
    }
    expect(bad).toEqual([]);
  });

  it('authenticate only through Workload Identity Federation: no key files, no secrets in scripts', () => {
    const bad: string[] = [];
    for (const inst of all) {
      for (const step of stepsOf(inst.job, actions)) {
        if (step.uses?.startsWith('google-github-actions/auth@')) {
          if (step.with?.credentials_json !== undefined) bad.push(`${inst.label}: credentials_json`);
          if (!step.with?.workload_identity_provider)
            bad.push(`${inst.label}: auth without workload_identity_provider`);
        }
        if (
          step.run &&
          /\$\{\{\s*(secrets\.|steps\.[\w-]+\.outputs\.(access_token|id_token))/.test(step.run)
        ) {
          bad.push(`${inst.label}: a secret or token expanded inside run:`);
        }
      }
    }
    for (const w of workflows) {
      for (const m of w.text.matchAll(/secrets\.(\w+)/g))
        if (m[1] !== 'GITHUB_TOKEN') bad.push(`${w.path}: secrets.${m[1]}`);
    }
    expect(bad).toEqual([]);
  });

  it('never give cloud credentials to pull requests from forks', () => {
    const guard = /github\.event\.pull_request\.head\.repo\.full_name\s*==\s*github\.repository/;
    const bad: string[] = [];
    for (const w of workflows.filter((w) => 'pull_request' in w.on || 'pull_request_target' in w.on)) {
      for (const [id, job] of Object.entries(w.jobs)) {
        // Either the same-repository check, or a condition that only a non-PR event can meet.
        const cond = job.if ?? '';
        const nonPrOnly =
          /github\.event_name\s*==\s*'(push|schedule|workflow_dispatch)'/.test(cond) && !cond.includes('||');
        if (authenticates(job, workflows, actions) && !guard.test(cond) && !nonPrOnly)
          bad.push(`${w.path}#${id}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('plan with the read-only identity: pull-request CI and drift never get the deploy identity', () => {
    const readOnly = workflows.filter((w) => 'pull_request' in w.on || w.path.endsWith('/drift.yml'));
    let checked = 0;
    for (const w of readOnly) {
      for (const [id, job] of Object.entries(w.jobs)) {
        if (job.uses !== undefined) continue; // reusable calls are checked where they authenticate
        for (const step of stepsOf(job, actions).filter((st) =>
          st.uses?.startsWith('google-github-actions/auth@'),
        )) {
          checked++;
          expect({ job: `${w.path}#${id}`, sa: step.with?.service_account }).toEqual({
            job: `${w.path}#${id}`,
            sa: '${{ vars.GCP_PLAN_SERVICE_ACCOUNT }}',
          });
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2); // ci.yml's diff and drift.yml's plans
  });

  it('never run a checked-out pull request on the runner (its commit is only a build context)', () => {
    const bad: string[] = [];
    for (const inst of all) {
      const steps = stepsOf(inst.job, actions);
      for (const s of steps.filter(
        (s) => s.uses?.startsWith('actions/checkout@') && s.with?.ref !== undefined,
      )) {
        const path = String(s.with?.path ?? '');
        if (path === '' || path === '.') {
          bad.push(`${inst.label}: checkout of another ref into the workspace root`);
          continue;
        }
        // Reading it (git -C, a build context) is fine; executing or entering it is not.
        const p = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        const exec = new RegExp(
          `(^|[\\s;&|(])(cd|bash|sh|node|source|\\.|npx|npm|make)\\s+(\\S+\\s+)*["']?(\\./)?${p}(/|\\s|$)|\\./${p}/|--prefix[ =]${p}`,
        );
        const runsIt = steps.some(
          (o) =>
            (o.run !== undefined && exec.test(o.run)) ||
            (o as { 'working-directory'?: string })['working-directory']?.startsWith(path) ||
            (o.uses?.startsWith(`./${path}`) ?? false),
        );
        if (runsIt) bad.push(`${inst.label}: a step runs files from ${path}/`);
      }
      for (const s of steps.filter((s) => s.uses?.startsWith('actions/checkout@'))) {
        if (s.with?.['persist-credentials'] !== false)
          bad.push(`${inst.label}: checkout keeps the token (persist-credentials)`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('supply chain and credentials (ADR 0110, 0111)', () => {
  const authSteps = (inst: JobInstance) =>
    stepsOf(inst.job, actions).filter((st) => st.uses?.startsWith('google-github-actions/auth@'));
  const identityOf = (inst: JobInstance) => authSteps(inst).map((st) => String(st.with?.service_account));
  const holdsCredential = (inst: JobInstance) => authSteps(inst).length > 0;
  /** Can mint a Google credential: `id-token: write` (job, else workflow, or write-all), whatever its steps do. */
  const mintsIdToken = (inst: JobInstance) => {
    const perms = (inst.job.permissions ?? inst.workflow.permissions) as
      Record<string, string> | string | undefined;
    return (
      perms === 'write-all' || (typeof perms === 'object' && perms !== null && perms['id-token'] === 'write')
    );
  };

  it('never run on pull_request_target (the federation rejects it too)', () => {
    expect(workflows.filter((w) => 'pull_request_target' in w.on).map((w) => w.path)).toEqual([]);
  });

  it("give pull-request runs, which execute the pull request's code, no identity but the read-only plan", () => {
    const prRuns = all.filter((i) => 'pull_request' in i.workflow.on && holdsCredential(i));
    for (const inst of prRuns)
      expect({ job: inst.label, sa: identityOf(inst) }).toEqual({
        job: inst.label,
        sa: ['${{ vars.GCP_PLAN_SERVICE_ACCOUNT }}'],
      });
    // preview.yml builds the pull request's image with no credential at all.
    const preview = all.filter((i) => i.workflow.path.endsWith('/preview.yml'));
    expect(preview.length).toBeGreaterThan(0);
    for (const inst of preview) {
      const perms = typeof inst.job.permissions === 'object' ? inst.job.permissions : {};
      expect({ job: inst.label, idToken: perms['id-token'], auth: holdsCredential(inst) }).toEqual({
        job: inst.label,
        idToken: undefined,
        auth: false,
      });
    }
  });

  it('deploy pull-request images only from workflow_run jobs that check out main and run none of the PR', () => {
    const deploy = workflows.find((w) => w.path.endsWith('/preview-deploy.yml'))!;
    expect(Object.keys(deploy.on)).toEqual(['workflow_run']);
    const guard = /github\.event\.workflow_run\.head_repository\.full_name\s*==\s*github\.repository/;
    for (const [id, job] of Object.entries(deploy.jobs)) {
      const chain = [job, ...[job.needs ?? []].flat().map((n) => deploy.jobs[n]!)];
      expect({ id, guarded: chain.some((j) => guard.test(j.if ?? '')) }).toEqual({ id, guarded: true });
      for (const st of stepsOf(job, actions).filter((x) => x.uses?.startsWith('actions/checkout@')))
        expect({ id, ref: st.with?.ref }).toEqual({ id, ref: undefined });
    }
  });

  it('use a deploy identity only inside a GitHub environment, the build identity only from main pushes', () => {
    const bad: string[] = [];
    for (const inst of all) {
      for (const sa of identityOf(inst)) {
        if (sa.includes('GCP_DEPLOY_SERVICE_ACCOUNT') && environmentName(inst.job) === undefined)
          bad.push(`${inst.label}: deploy identity outside an environment`);
        if (sa.includes('GCP_BUILD_SERVICE_ACCOUNT')) {
          const callers = callersOf(workflows, inst.workflow.path);
          const fromPush = callers.every(({ job }) => /github\.event_name == 'push'/.test(job.if ?? ''));
          if (callers.length === 0 || !fromPush)
            bad.push(`${inst.label}: build identity outside a push to main`);
        }
        if (/APPLY_SERVICE_ACCOUNT/.test(sa)) bad.push(`${inst.label}: the retired shared apply identity`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('run only lockfile-pinned tools where a credential is: no npx of a package, no global install', () => {
    const bins = new Set(readdirSync(join(REPO_ROOT, 'node_modules', '.bin')));
    const bad: string[] = [];
    const privileged = all.filter((i) => mintsIdToken(i) || holdsCredential(i));
    // Keyed on the permission: a job that can mint a token counts even without an auth step.
    expect(
      all
        .filter(holdsCredential)
        .filter((i) => !mintsIdToken(i))
        .map((i) => i.label),
    ).toEqual([]);
    for (const inst of privileged) {
      for (const { run } of runs(inst)) {
        if (/\bnpm\s+(i|install|add)\s+(-g|--global)\b|\bnpm\s+exec\b|\bnpx\s+(-y|--yes)\b/.test(run))
          bad.push(`${inst.label}: ${run.trim().split('\n')[0]}`);
        for (const m of run.matchAll(/\bnpx\s+([^\s-][^\s]*)/g))
          if (m[1]!.includes('@') || !bins.has(m[1]!))
            bad.push(`${inst.label}: npx ${m[1]} is not a lockfile bin`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('install one pinned Cloud SDK version wherever setup-gcloud runs (the latest would be unreviewed code)', () => {
    const versions = new Set<string>();
    const bad: string[] = [];
    for (const inst of all)
      for (const st of stepsOf(inst.job, actions).filter((x) =>
        x.uses?.startsWith('google-github-actions/setup-gcloud@'),
      )) {
        const v = String(st.with?.version ?? '');
        if (!/^\d+\.\d+\.\d+$/.test(v)) bad.push(`${inst.label}: setup-gcloud version "${v}"`);
        versions.add(v);
      }
    expect(bad).toEqual([]);
    expect(versions.size).toBe(1);
  });

  it('fail every run step on any failed command (bash -euo pipefail), with no command hidden in echo', () => {
    const bad: string[] = [];
    for (const w of workflows) {
      const shell = (w.text.match(/^defaults:\n\s+run:\n\s+(?:#.*\n\s+)*shell:\s*(.+)$/m) ?? [])[1] ?? '';
      if (!/-e\b|-\w*e\w*\b/.test(shell) || !/pipefail/.test(shell) || !/-\w*u/.test(shell))
        bad.push(`${w.path}: defaults.run.shell is "${shell}"`);
    }
    for (const inst of all) {
      for (const { step, run } of runs(inst)) {
        const own = (step as { shell?: string }).shell;
        const lines = run.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
        if (own !== undefined && lines.length > 1 && !/pipefail/.test(own))
          bad.push(
            `${inst.label}: step "${step.name ?? run.slice(0, 30)}" overrides the shell without pipefail`,
          );
        // `echo "x=$(cmd)"` succeeds when cmd fails; assign first (set -e stops there), then echo.
        for (const l of lines)
          if (/\b(echo|printf)\b[^\n]*\$\(/.test(l)) bad.push(`${inst.label}: ${l.trim()}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('never let a deploy replace a queued pause (or the reverse): no concurrency group shared across workflows', () => {
    const groups = new Map<string, Set<string>>();
    for (const inst of all) {
      const c = inst.job.concurrency;
      const group = typeof c === 'string' ? c : c?.group;
      if (!group) continue;
      for (const g of expand(group, { inputs: inst.inputs, matrix: inst.matrix }))
        (groups.get(g) ?? groups.set(g, new Set()).get(g)!).add(inst.workflow.path);
    }
    const shared = [...groups]
      .filter(([, files]) => files.size > 1)
      .map(([g, f]) => `${g}: ${[...f].join(', ')}`);
    expect(shared).toEqual([]);
    // Deploys and pauses are never cancelled once running.
    for (const inst of all.filter(holdsCredential)) {
      const c = inst.job.concurrency;
      if (typeof c === 'object')
        expect({ job: inst.label, cancel: c['cancel-in-progress'] }).toEqual({
          job: inst.label,
          cancel: false,
        });
    }
  });
});

describe('deploys', () => {
  const deploying = all
    .map((inst) => ({
      inst,
      stacks: stackUses(inst).filter((u) => u.action === 'deploy' || u.action === 'destroy'),
    }))
    .filter((d) => d.stacks.length > 0);

  it.each(['staging', 'prod'])(
    'put every %s deploy behind the protected environment of that name',
    (target) => {
      const jobs = deploying.filter((d) => d.stacks.some((u) => u.stack.startsWith(`${target}-`)));
      expect(jobs.length).toBeGreaterThan(0);
      for (const { inst } of jobs) {
        const env = environmentName(inst.job);
        expect({
          job: inst.label,
          env: env === undefined ? [] : expand(env, { inputs: inst.inputs, matrix: inst.matrix }),
        }).toEqual({ job: inst.label, env: [target] });
      }
    },
  );

  it('never drop a pending deploy, rollback or pause: environments serialize on the state lock, previews per PR', () => {
    const groupOf = (inst: JobInstance) => {
      const c = inst.job.concurrency ?? inst.workflow.text.match(/^concurrency:\n\s+group:\s*(.+)$/m)?.[1];
      return typeof c === 'string' ? c : c?.group;
    };
    for (const { inst, stacks } of deploying) {
      const group = groupOf(inst);
      if (stacks.some((s) => s.stack.startsWith('preview-'))) {
        expect({ job: inst.label, group: group !== undefined }).toEqual({ job: inst.label, group: true });
        expect(expand(String(group), { inputs: inst.inputs, matrix: inst.matrix }).join(' ')).toMatch(
          /pull_request\.number|workflow_run\.pull_requests\[0\]\.number/,
        );
      } else {
        // GitHub cancels a group's pending run when another one queues: no group for environments.
        expect({ job: inst.label, group }).toEqual({ job: inst.label, group: undefined });
      }
    }
    // A deploy that meets another apply of its stack fails at once (never applies after a newer one).
    const deployEnv = all.filter((i) => i.workflow.path.endsWith('/deploy-env.yml'));
    expect(deployEnv.length).toBeGreaterThan(0);
    for (const inst of deployEnv) {
      const applies = runs(inst).flatMap(({ run }) => [
        ...run.matchAll(/npx tsx scripts\/stack-apply\.ts "\$STACK"([^\n]*)/g),
      ]);
      expect(applies).toHaveLength(1);
      const args = parseApplyArgs(['x-app', ...applies[0]![1]!.trim().split(/\s+/)]);
      expect(args.lockTimeout).toBe('0s');
    }
  });

  it('refuse a dev pause while a dev deploy runs, and a dev deploy while a pause runs', () => {
    const stepIndex = (inst: JobInstance, re: RegExp) => runs(inst).findIndex(({ run }) => re.test(run));
    const schedule = all.find((i) => i.workflow.path.endsWith('/env-schedule.yml'))!;
    const guard = stepIndex(schedule, /--workflow deploy\.yml[\s\S]*test\("deploy dev\$"\)[\s\S]*exit 1/);
    expect(guard).toBeGreaterThanOrEqual(0);
    expect(guard).toBeLessThan(stepIndex(schedule, /npm run env -- /));
    // The job name the guard looks for is the one deploy-env gives a dev deploy.
    const deployEnv = all.find((i) => i.workflow.path.endsWith('/deploy-env.yml'))!;
    expect(expand(String(deployEnv.job.name), { inputs: { environment: ['dev'] }, matrix: {} })).toEqual([
      'deploy dev',
    ]);
    const back = stepIndex(deployEnv, /--workflow env-schedule\.yml[\s\S]*exit 1/);
    expect(back).toBeGreaterThanOrEqual(0);
    expect(back).toBeLessThan(stepIndex(deployEnv, /scripts\/stack-apply\.ts/));
    for (const inst of [schedule, deployEnv])
      expect({ job: inst.label, actions: (inst.job.permissions as Record<string, string>).actions }).toEqual({
        job: inst.label,
        actions: 'read',
      });
  });

  it('promote dev → staging → prod, each after the previous one', () => {
    const deploy = workflows.find((w) => w.path.endsWith('/deploy.yml'))!;
    const jobFor = (env: string) =>
      Object.entries(deploy.jobs).find(([, j]) => j.uses !== undefined && j.with?.environment === env)!;
    const needs = (env: string) => [jobFor(env)[1].needs ?? []].flat();
    expect(needs('staging')).toContain(jobFor('dev')[0]);
    expect(needs('prod')).toContain(jobFor('staging')[0]);
  });

  it('offer a rollback: a manual run that deploys a given digest', () => {
    const deploy = workflows.find((w) => w.path.endsWith('/deploy.yml'))!;
    const dispatch = deploy.on.workflow_dispatch as { inputs?: Record<string, unknown> } | undefined;
    expect(Object.keys(dispatch?.inputs ?? {})).toContain('digest');
  });
});
