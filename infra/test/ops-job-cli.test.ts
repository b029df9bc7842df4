/**
 * `npm run ops-job` / `npm run cutover` as an operator runs them: the real CLI
 * in its own process with the deploy's TEKUTOKO_* variables, and a kubectl on
 * PATH that records what it is asked (the cluster is not here). What the CLI
 * applies must name the configured project and instance, never a placeholder.
 */
import { spawnSync } from 'child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { DEPLOY_VARS as DEPLOY_ENV, releaseImage } from './deploy-vars';

const ROOT = join(__dirname, '..', '..');
const IMAGE = releaseImage('c');
const DEPLOY_VARS: Record<string, string> = {
  ...DEPLOY_ENV,
  TEKUTOKO_PROD_SQL_INSTANCE_NAME: 'walks-prod-r1',
};

/* eslint-disable @typescript-eslint/no-explicit-any */
interface Run {
  status: number | null;
  stderr: string;
  /** kubectl invocations, one argument list per line. */
  calls: string[];
  /** Objects given to `kubectl apply -f -`. */
  applied: any[];
  /** Raw text given to `kubectl apply`. */
  appliedText: string;
}

/**
 * `jobs`: the conditions `kubectl get job/<name>` answers, by name prefix, one
 * answer per look (the last one repeats): a Job still running answers ''.
 */
function run(args: string[], vars: Record<string, string>, jobs: Record<string, string[]> = {}): Run {
  const dir = mkdtempSync(join(tmpdir(), 'ops-job-'));
  try {
    // Records each call; `get job/` answers the Job's conditions, `get` the image, `apply` keeps its input.
    const answers = Object.entries(jobs).map(([prefix, seq]) => {
      writeFileSync(join(dir, `a-${prefix}`), `${seq.join('\n')}\n`);
      const count = join(dir, `n-${prefix}`);
      return (
        `  *" get job/${prefix}"*) n=$(cat "${count}" 2>/dev/null || echo 0); echo $((n+1)) > "${count}"; ` +
        `t=$(wc -l < "${join(dir, `a-${prefix}`)}"); i=$(( n < t ? n + 1 : t )); ` +
        `sed -n "\${i}p" "${join(dir, `a-${prefix}`)}" | tr -d '\\n' ;;`
      );
    });
    const kubectl = join(dir, 'kubectl');
    writeFileSync(
      kubectl,
      [
        '#!/bin/sh',
        `echo "$*" >> "${dir}/calls"`,
        'case "$*" in',
        ...answers,
        `  *" get job/"*) printf 'SuccessCriteriaMet Complete' ;;`,
        `  *" get "*) printf '%s' '${IMAGE}' ;;`,
        `  *" apply "*) { cat; printf '\\n---\\n'; } >> "${dir}/applied" ;;`,
        'esac',
        'exit 0',
        '',
      ].join('\n'),
    );
    chmodSync(kubectl, 0o755);
    const r = spawnSync('npx', ['tsx', 'scripts/ops-job.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDKTF_CONTEXT_JSON: '',
        OPS_JOB_POLL_SECONDS: '0.05',
        ...vars,
        PATH: `${dir}:${process.env.PATH}`,
      },
    });
    const read = (f: string) => {
      try {
        return readFileSync(join(dir, f), 'utf8');
      } catch {
        return '';
      }
    };
    const appliedText = read('applied');
    return {
      status: r.status,
      stderr: r.stderr,
      calls: read('calls').split('\n').filter(Boolean),
      applied: parseAllDocuments(appliedText)
        .map((d) => d.toJS())
        .filter(Boolean),
      appliedText,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const jobOf = (r: Run, prefix: string) =>
  r.applied.find((o) => o.kind === 'Job' && o.metadata.name.startsWith(prefix));

describe('npm run cutover -- --env prod (with the deploy variables)', () => {
  const r = run(['cutover', '--env', 'prod', '--yes', '--', '--cohort', '10'], DEPLOY_VARS);

  it('exits 0 after the migration and verify Jobs', () => {
    expect(r.stderr).not.toMatch(/Error|invalid/);
    expect(r.status).toBe(0);
    expect(jobOf(r, 'firestore-migration-')).toBeDefined();
    expect(jobOf(r, 'firestore-verify-')).toBeDefined();
  });

  it("takes the image Flagger's primary serves (the target holds a rejected release after a failed canary)", () => {
    const gets = r.calls.filter((c) => / get deploy/.test(c));
    expect(gets).toEqual([expect.stringContaining('get deploy/walk-service-primary ')]);
    expect(jobOf(r, 'firestore-migration-').spec.template.spec.containers[0].image).toBe(IMAGE);
  });

  it('names the configured project and instance, never a placeholder', () => {
    expect(r.appliedText).not.toContain('-example');
    const job = jobOf(r, 'firestore-migration-');
    const pod = job.spec.template.spec;
    expect(pod.initContainers[0].args).toContain('real-prod-123:asia-northeast1:walks-prod-r1');
    const url = pod.containers[0].env.find((e: any) => e.name === 'DATABASE_URL').value;
    expect(decodeURIComponent(new URL(url).username)).toBe('firestore-migration@real-prod-123.iam');
    const ksa = r.applied.find((o) => o.kind === 'ServiceAccount');
    expect(ksa.metadata.annotations['iam.gke.io/gcp-service-account']).toBe(
      'firestore-migration@real-prod-123.iam.gserviceaccount.com',
    );
  });
});

describe("the verdict is the Job's own condition", () => {
  it('waits for a Job that takes long to start, then goes on to verify', () => {
    const r = run(['cutover', '--env', 'prod', '--yes', '--', '--cohort', '10'], DEPLOY_VARS, {
      'firestore-migration-': ['', '', '', 'SuccessCriteriaMet Complete'],
    });
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c.includes('get job/firestore-migration-'))).toHaveLength(4);
    expect(jobOf(r, 'firestore-verify-')).toBeDefined();
    expect(r.stderr).toMatch(/job firestore-migration-\S+ completed/);
  });

  it('reports a Job that failed in its first second, and runs no verify after it', () => {
    const r = run(['cutover', '--env', 'prod', '--yes', '--', '--cohort', '10'], DEPLOY_VARS, {
      'firestore-migration-': ['FailureTarget Failed'],
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/job firestore-migration-\S+ failed: kubectl -n walk-service describe job/);
    expect(jobOf(r, 'firestore-verify-')).toBeUndefined();
  });

  it('follows the logs with a pod start timeout, not a Ready wait that a fast failure never meets', () => {
    const r = run(['cutover', '--env', 'prod', '--yes', '--', '--cohort', '10'], DEPLOY_VARS);
    expect(r.calls.some((c) => /wait --for=condition=Ready/.test(c))).toBe(false);
    expect(r.calls).toContainEqual(
      expect.stringMatching(/logs -f job\/firestore-migration-\S+ -c operator --pod-running-timeout=15m/),
    );
  });
});

describe('npm run ops-job -- --env dev --sql … (no canary)', () => {
  it('takes the image of deploy/walk-service', () => {
    const r = run(
      ['sql', '--env', 'dev', '--sql', 'runbooks/sql/grant-firestore-migration.sql'],
      DEPLOY_VARS,
    );
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => / get deploy/.test(c))).toEqual([
      expect.stringContaining('get deploy/walk-service '),
    ]);
    expect(r.appliedText).toContain('real-dev-123');
  });
});

describe('npm run ops-job -- --env prod --sql …', () => {
  it('fills the SQL and the Job from the same configuration', () => {
    const r = run(
      ['sql', '--env', 'prod', '--sql', 'runbooks/sql/grant-firestore-migration.sql'],
      DEPLOY_VARS,
    );
    expect(r.status).toBe(0);
    expect(r.appliedText).not.toContain('-example');
    const container = jobOf(r, 'sql-').spec.template.spec.containers[0];
    const url = container.env.find((e: any) => e.name === 'DATABASE_URL').value;
    expect(decodeURIComponent(new URL(url).username)).toBe('walk-service@real-prod-123.iam');
    expect(container.args[1]).toContain('"firestore-migration@real-prod-123.iam"');
  });

  it('dials another instance of the project with --instance (the PITR clone), as the same owner', () => {
    const clone = 'walks-prod-pitr-20261122';
    const r = run(
      ['sql', '--env', 'prod', '--instance', clone, '--sql', 'runbooks/sql/restore-export-grant.sql'],
      DEPLOY_VARS,
    );
    expect(r.status).toBe(0);
    const pod = jobOf(r, 'sql-').spec.template.spec;
    expect(pod.initContainers[0].args).toContain(`real-prod-123:asia-northeast1:${clone}`);
    const url = pod.containers[0].env.find((e: any) => e.name === 'DATABASE_URL').value;
    expect(decodeURIComponent(new URL(url).username)).toBe('walk-service@real-prod-123.iam');
  });

  it('refuses to run for placeholder projects, naming the missing variables', () => {
    const r = run(['sql', '--env', 'prod', '--sql', 'runbooks/sql/grant-firestore-migration.sql'], {
      ...DEPLOY_VARS,
      TEKUTOKO_PROD_PROJECT_ID: '',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/prod\.projectId \[TEKUTOKO_PROD_PROJECT_ID\]: required/);
    expect(r.applied).toEqual([]);
  });
});
