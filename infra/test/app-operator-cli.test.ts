/**
 * `npm run policy` / `npm run remote-config` with --env, as an operator runs
 * them: the real CLI in its own process with the deploy's TEKUTOKO_*
 * variables and a kubectl on PATH that records what it is asked. The file is
 * validated before any Job; the Job runs the built CLI with the content inline.
 */
import { spawnSync } from 'child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { ENTRY } from '../../scripts/ops-job';
import { DEPLOY_VARS as DEPLOY_ENV, releaseImage } from './deploy-vars';

const ROOT = join(__dirname, '..', '..');
const IMAGE = releaseImage('d');
const DEPLOY_VARS = DEPLOY_ENV;

const dir = mkdtempSync(join(tmpdir(), 'app-operator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/* eslint-disable @typescript-eslint/no-explicit-any */
function run(args: string[]) {
  const work = mkdtempSync(join(dir, 'run-'));
  const kubectl = join(work, 'kubectl');
  writeFileSync(
    kubectl,
    [
      '#!/bin/sh',
      `echo "$*" >> "${work}/calls"`,
      'case "$*" in',
      `  *" get job/"*) printf 'SuccessCriteriaMet Complete' ;;`,
      `  *" get "*) printf '%s' '${IMAGE}' ;;`,
      `  *" apply "*) cat >> "${work}/applied" ;;`,
      'esac',
      'exit 0',
      '',
    ].join('\n'),
  );
  chmodSync(kubectl, 0o755);
  const r = spawnSync('npx', ['tsx', 'scripts/app-operator.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, CDKTF_CONTEXT_JSON: '', ...DEPLOY_VARS, PATH: `${work}:${process.env.PATH}` },
  });
  const read = (f: string) => {
    try {
      return readFileSync(join(work, f), 'utf8');
    } catch {
      return '';
    }
  };
  const applied = parseAllDocuments(read('applied')).map((d) => d.toJS()) as any[];
  return {
    status: r.status,
    stderr: r.stderr,
    calls: read('calls'),
    job: applied.find((o) => o?.kind === 'Job'),
  };
}

const policy = {
  version: '2.0',
  effective_date: '2099-04-01T00:00:00+09:00',
  privacy_policy: { ja: 'プライバシーポリシー' },
  terms_of_service: { ja: '利用規約' },
};

it('npm run policy -- publish <file> --env prod --yes runs the built CLI as a Job with the file inline', () => {
  const file = join(dir, 'policy.yml');
  writeFileSync(file, stringify(policy));
  const r = run(['policy', 'publish', file, '--env', 'prod', '--yes']);
  expect([r.status, r.stderr]).toEqual([0, expect.stringContaining('completed')]);
  expect(r.job.metadata.name).toMatch(/^policy-\d{12}$/);
  const container = r.job.spec.template.spec.containers[0];
  expect(container.image).toBe(IMAGE);
  expect(container.args.slice(0, 3)).toEqual([ENTRY.policy, 'publish', '--inline']);
  expect(container.args[3]).toBe(readFileSync(file, 'utf8'));
  expect(container.args).toContain('--by');
  const url = container.env.find((e: any) => e.name === 'DATABASE_URL').value;
  expect(decodeURIComponent(new URL(url).username)).toBe('walk-service@real-prod-123.iam');
});

it('refuses an invalid file before starting any Job', () => {
  const file = join(dir, 'bad.yml');
  writeFileSync(file, stringify({ ...policy, privacy_policy: { en: 'English only' } }));
  const r = run(['policy', 'publish', file, '--env', 'dev', '--yes']);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/privacy_policy\.ja/);
  expect(r.calls).toBe('');
});

it('npm run remote-config -- rollback 3 --env dev passes its flags, and without a terminal asks for --yes', () => {
  const asked = run(['remote-config', 'rollback', '3', '--env', 'dev']);
  expect(asked.status).toBe(2);
  expect(asked.stderr).toMatch(/--yes/);
  expect(asked.calls).toBe('');
  const r = run([
    'remote-config',
    'rollback',
    '3',
    '--base-version',
    '7',
    '--env',
    'dev',
    '--yes',
    '--by',
    'ops@acme.test',
  ]);
  expect(r.status).toBe(0);
  expect(r.job.spec.template.spec.containers[0].args).toEqual([
    ENTRY.remoteConfig,
    'rollback',
    '3',
    '--base-version',
    '7',
    '--by',
    'ops@acme.test',
  ]);
});
