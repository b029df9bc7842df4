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
import { DEPLOY_REQUIRED_KEYS, envVarForKey } from '../../config/environments';

const ROOT = join(__dirname, '..', '..');
const IMAGE = `asia-northeast1-docker.pkg.dev/ops-real-1/tekutoko/walk-service@sha256:${'c'.repeat(64)}`;

/** Every deploy key set to a real-looking value, as in a deploy job. */
const DEPLOY_VARS: Record<string, string> = {
  ...Object.fromEntries(DEPLOY_REQUIRED_KEYS.map((k) => [envVarForKey(k), ''])),
  TEKUTOKO_BOOTSTRAP_PROJECT_ID: 'ops-real-1',
  TEKUTOKO_BILLING_ACCOUNT: '012345-6789AB-CDEF01',
  TEKUTOKO_GITHUB_REPOSITORY: 'acme/tekutoko-platform',
  TEKUTOKO_GITHUB_REPOSITORY_ID: '123456',
  TEKUTOKO_GITHUB_REPOSITORY_OWNER_ID: '654321',
  TEKUTOKO_DEV_PROJECT_ID: 'real-dev-123',
  TEKUTOKO_DEV_DOMAIN: 'dev.acme.test',
  TEKUTOKO_STAGING_PROJECT_ID: 'real-staging-123',
  TEKUTOKO_STAGING_DOMAIN: 'staging.acme.test',
  TEKUTOKO_PROD_PROJECT_ID: 'real-prod-123',
  TEKUTOKO_PROD_DOMAIN: 'acme.test',
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

function run(args: string[], vars: Record<string, string>): Run {
  const dir = mkdtempSync(join(tmpdir(), 'ops-job-'));
  try {
    // Records each call; `get` answers the image, `apply` keeps its input, the rest succeed.
    const kubectl = join(dir, 'kubectl');
    writeFileSync(
      kubectl,
      [
        '#!/bin/sh',
        `echo "$*" >> "${dir}/calls"`,
        'case "$*" in',
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
      env: { ...process.env, CDKTF_CONTEXT_JSON: '', ...vars, PATH: `${dir}:${process.env.PATH}` },
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
    const gets = r.calls.filter((c) => / get /.test(c));
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

describe('npm run ops-job -- --env dev --sql … (no canary)', () => {
  it('takes the image of deploy/walk-service', () => {
    const r = run(
      ['sql', '--env', 'dev', '--sql', 'runbooks/sql/grant-firestore-migration.sql'],
      DEPLOY_VARS,
    );
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => / get /.test(c))).toEqual([
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
