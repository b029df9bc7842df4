/**
 * `npm run env` on a clean clone: placeholders are refused before any cloud
 * command runs, and hibernate asks (or wants --yes). gcloud, kubectl and
 * cdktf on PATH are stand-ins that record being called.
 */
import { spawnSync } from 'child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, join } from 'path';
import { defaultEnvironment } from '../../config/environments';
import { unconfiguredKeys } from '../../scripts/env-plan';

const ROOT = join(__dirname, '..', '..');
const DIGEST = `sha256:${'a'.repeat(64)}`;
let bin: string;
const calls = () => (existsSync(join(bin, 'calls')) ? readFileSync(join(bin, 'calls'), 'utf8') : '');

beforeAll(() => {
  bin = mkdtempSync(join(tmpdir(), 'env-cli-'));
  for (const tool of ['gcloud', 'kubectl', 'cdktf', 'npx']) {
    writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> "${join(bin, 'calls')}"\n`);
    chmodSync(join(bin, tool), 0o755);
  }
});
afterAll(() => rmSync(bin, { recursive: true, force: true }));

function env(args: string[], vars: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('TEKUTOKO_') && k !== 'CDKTF_CONTEXT_JSON'),
  );
  return spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['scripts/env.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input: '',
    env: { ...clean, ...vars, PATH: `${bin}${delimiter}${process.env.PATH}` },
  });
}

it('lists the placeholder keys of an environment', () => {
  const placeholder = defaultEnvironment('dev');
  expect(unconfiguredKeys(placeholder).map((k) => `${k.key} ${k.envVar}`)).toEqual([
    'dev.projectId TEKUTOKO_DEV_PROJECT_ID',
    'dev.domain TEKUTOKO_DEV_DOMAIN',
  ]);
  expect(
    unconfiguredKeys({ ...placeholder, projectId: 'tekutoko-dev-1', domain: 'dev.example.org' }),
  ).toEqual([]);
});

it('pause dev with placeholder ids refuses before calling gcloud, naming the missing keys', () => {
  const out = env(['pause', 'dev']);
  expect(out.status).toBe(1);
  expect(out.stderr).toContain('dev.projectId (TEKUTOKO_DEV_PROJECT_ID');
  expect(out.stderr).toContain('dev.domain (TEKUTOKO_DEV_DOMAIN');
  expect(out.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(calls()).toBe('');
});

it('hibernate without a terminal and without --yes runs nothing', () => {
  const out = env(['hibernate', 'dev'], {
    TEKUTOKO_DEV_PROJECT_ID: 'tekutoko-dev-1',
    TEKUTOKO_DEV_DOMAIN: 'dev.example.org',
    TEKUTOKO_IMAGE_DIGEST: DIGEST,
  });
  expect(out.status).toBe(2);
  expect(out.stderr).toMatch(/destroys dev-app and dev-cluster.*add --yes/);
  expect(calls()).toBe('');
});
