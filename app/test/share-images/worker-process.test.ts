/**
 * The worker as Kubernetes runs it: a process with /healthz, /readyz and
 * /metrics on METRICS_PORT, that takes a job end to end and exits 0 on
 * SIGTERM; and, in process, a stop that releases the job in hand.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Pool } from 'pg';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { loadTracingConfig, loadWorkerConfig } from '../../src/config';
import { SHARE_IMAGE_WORKER_IDENTITY } from '../../../config/names';
import { createWorkerLogger, startWorker } from '../../src/worker';
import { WORKER_SERVICE_NAME } from '../../src/observability/tracing';
import { startTracing } from '../../src/observability/tracing';
import { freePort, waitFor } from '../../dev/ports';
import { createLogger } from '../../src/observability/logger';
import {
  claimJob,
  insertOrGetJob,
  MOST_ATTEMPTS_WITH_RELEASES,
  releaseJob,
} from '../../src/share-images/repository';
import { createShareImageWorker } from '../../src/share-images/worker-loop';
import { createTestDatabase, type TestDatabase } from '../harness';
import { startTestStorage, type TestStorage } from './storage';
import { testWorker } from './worker-fixture';

const WORKER = path.join(__dirname, '../../src/worker.ts');
let db: TestDatabase;
let storage: TestStorage;

beforeAll(async () => {
  db = await createTestDatabase();
  storage = await startTestStorage();
});
afterAll(async () => {
  await db?.drop();
  await storage?.stop();
});

async function queuedJob(): Promise<string> {
  const userId = `user-${randomUUID()}`;
  const walkId = randomUUID();
  await db.pool.query('INSERT INTO users (id) VALUES ($1)', [userId]);
  await db.pool.query(
    `INSERT INTO walks (id, user_id, title, status, start_time, end_time, total_distance, total_steps)
     VALUES ($1, $2, '夕方の散歩', 'completed', '2026-11-22T06:00:00Z', '2026-11-22T06:30:00Z', 1500, 2000)`,
    [walkId, userId],
  );
  const { job } = await insertOrGetJob(db.pool, {
    id: randomUUID(),
    walkId,
    userId,
    walkVersion: 1,
    template: 'story',
    maxAttempts: 3,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  });
  return job.id;
}

const status = async (id: string) =>
  (await db.pool.query('SELECT status, error_code FROM share_image_jobs WHERE id = $1', [id])).rows[0];

it('serves its probes and metrics, renders a job, and exits 0 on SIGTERM', async () => {
  const metricsPort = await freePort();
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', WORKER], {
    env: {
      PATH: process.env.PATH ?? '',
      APP_ENV: 'test',
      DATABASE_URL: db.url,
      METRICS_PORT: String(metricsPort),
      SHARE_IMAGE_POLL_INTERVAL_MS: '50',
      SHUTDOWN_TIMEOUT_MS: '5000',
      LOG_LEVEL: 'info',
      // spans printed to stdout, to read the resource the worker reports
      OTEL_TRACES_EXPORTER: 'console',
      OTEL_TRACES_SAMPLER_ARG: '1',
      ...storage.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${metricsPort}`;
  try {
    await waitFor('the worker', async () => (await fetch(`${base}/readyz`)).ok, 30_000);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const outcome of ['succeeded', 'retried', 'failed']) {
      expect(metrics).toContain(`walk_share_image_jobs_total{outcome="${outcome}"} 0`);
    }
    expect(metrics).toContain('walk_share_image_render_seconds_count 0');
    expect(metrics).toContain('db_pool_max_connections');

    const jobId = await queuedJob();
    await waitFor('the job', async () => (await status(jobId)).status === 'succeeded', 30_000);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain(
      'walk_share_image_jobs_total{outcome="succeeded"} 1',
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toMatch(/worker stopped claiming/);
    // its own name in logs and traces, not walk-service's
    const lines = output
      .split('\n')
      .filter((line) => line.startsWith('{"'))
      .map((line) => JSON.parse(line) as { service?: string; message?: string });
    expect(lines.map((l) => l.message)).toContain('share image stored');
    expect(new Set(lines.map((l) => l.service))).toEqual(new Set([WORKER_SERVICE_NAME]));
    expect(output).toContain(`'service.name': '${WORKER_SERVICE_NAME}'`);
    expect(output).not.toContain(`'service.name': 'walk-service'`);
  } finally {
    child.kill('SIGKILL');
  }
}, 60_000);

it("names itself after its Deployment (config/names.ts), also in walk-service's process (npm start)", () => {
  expect(WORKER_SERVICE_NAME).toBe(SHARE_IMAGE_WORKER_IDENTITY.name);
  const written: string[] = [];
  const logger = createWorkerLogger({ level: 'info', destination: { write: (line) => written.push(line) } });
  logger.info('hello');
  expect(JSON.parse(written[0]!)).toMatchObject({ service: WORKER_SERVICE_NAME, message: 'hello' });
});

it('refuses to start without a bucket, one line per problem', () => {
  const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', WORKER], {
    env: { PATH: process.env.PATH, DATABASE_URL: db.url, SHARE_IMAGE_WORKER_CONCURRENCY: '0' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(result.status).toBe(1);
  expect(result.stderr.trim().split('\n')).toEqual([
    'config error: SHARE_IMAGE_WORKER_CONCURRENCY: must be at least 1 (got "0")',
    'config error: WALK_IMAGES_BUCKET: is required by the worker (where share images are stored)',
  ]);
});

it('on stop, releases a job still in hand after the timeout (queued again, due now)', async () => {
  const pool = new Pool({ connectionString: db.url, max: 2 });
  try {
    const jobId = await queuedJob();
    let claimed = false;
    const { worker } = testWorker(pool, storage, {
      // a render that outlasts the shutdown budget
      onClaimed: async () => {
        claimed = true;
        await new Promise((resolve) => setTimeout(resolve, 1500));
      },
    });
    worker.start();
    await waitFor('the claim', async () => claimed, 10_000);
    expect(await worker.stop(200)).toEqual({ finished: 0, released: 1 });
    expect(await status(jobId)).toEqual({ status: 'queued', error_code: 'worker_stopped' });
    // the abandoned attempt finishing later writes nothing
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await status(jobId)).toEqual({ status: 'queued', error_code: 'worker_stopped' });
  } finally {
    await pool.end();
  }
});

it('on stop, releasing a job on its last attempt does not count the attempt: the next worker renders it', async () => {
  const pool = new Pool({ connectionString: db.url, max: 3 });
  const { deps } = testWorker(pool, storage);
  try {
    await db.pool.query(`UPDATE share_image_jobs SET status = 'failed' WHERE status = 'queued'`);
    const jobId = await queuedJob();
    // 19 attempts already failed: the next claim is the last one (20 of 20, the configurable most)
    await db.pool.query(`UPDATE share_image_jobs SET attempts = 19, max_attempts = 20 WHERE id = $1`, [
      jobId,
    ]);
    let finishRender!: () => void;
    const rendering = new Promise<void>((resolve) => (finishRender = resolve));
    const claims: number[] = [];
    const deploying = createShareImageWorker({
      ...deps,
      onClaimed: async (job) => {
        claims.push(job.attempt);
        await rendering; // outlasts the shutdown budget
      },
    });
    deploying.start();
    await waitFor('the claim', async () => claims.length === 1, 10_000);
    expect(claims).toEqual([20]);
    expect(await deploying.stop(100)).toEqual({ finished: 0, released: 1 });
    const row = async () =>
      (
        await db.pool.query(
          'SELECT status, attempts, max_attempts, error_code FROM share_image_jobs WHERE id = $1',
          [jobId],
        )
      ).rows[0];
    expect(await row()).toEqual({
      status: 'queued',
      attempts: 20,
      max_attempts: 21,
      error_code: 'worker_stopped',
    });

    // the new release's worker takes it (attempt 21, a new fence) while the old render is still going
    const next = createShareImageWorker({ ...deps, onClaimed: (job) => void claims.push(job.attempt) });
    expect(await next.processNext()).toBe('succeeded');
    expect(claims).toEqual([20, 21]);
    expect(await row()).toEqual({ status: 'succeeded', attempts: 21, max_attempts: 21, error_code: null });
    finishRender(); // the released attempt ends late and writes nothing
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await row()).toMatchObject({ status: 'succeeded', attempts: 21 });
  } finally {
    await pool.end();
  }
});

it('releases grow a job’s budget only up to a bound: at it the attempt counts, and the last one fails', async () => {
  const row = async (id: string) =>
    (
      await db.pool.query(
        'SELECT status, attempts, max_attempts, error_code, finished_at FROM share_image_jobs WHERE id = $1',
        [id],
      )
    ).rows[0];
  const claimOnly = async (id: string, attempts: number) => {
    await db.pool.query(
      `UPDATE share_image_jobs SET status = 'failed', error_code = coalesce(error_code, 'render_failed')
        WHERE status = 'queued'`,
    );
    await db.pool.query(
      `UPDATE share_image_jobs SET status = 'queued', attempts = $2, max_attempts = $3 WHERE id = $1`,
      [id, attempts, MOST_ATTEMPTS_WITH_RELEASES],
    );
    const job = await claimJob(db.pool, 30_000);
    expect(job?.id).toBe(id);
    return job!;
  };
  const below = await queuedJob();
  expect(await releaseJob(db.pool, await claimOnly(below, 10), 'shutdown')).toBe(true);
  expect(await row(below)).toMatchObject({
    status: 'queued',
    attempts: 11,
    max_attempts: MOST_ATTEMPTS_WITH_RELEASES,
  });

  const last = await queuedJob();
  expect(await releaseJob(db.pool, await claimOnly(last, MOST_ATTEMPTS_WITH_RELEASES - 1), 'shutdown')).toBe(
    true,
  );
  expect(await row(last)).toMatchObject({
    status: 'failed',
    attempts: MOST_ATTEMPTS_WITH_RELEASES,
    max_attempts: MOST_ATTEMPTS_WITH_RELEASES,
    error_code: 'worker_stopped',
    finished_at: expect.any(Date),
  });
});

it('on stop, a job that cannot be released does not keep the others in hand', async () => {
  const real = new Pool({ connectionString: db.url, max: 4 });
  let refused = '';
  // the first release fails as it would with an older release's grants; the others must still go back
  const pool = new Proxy(real, {
    get(target, key, receiver) {
      if (key !== 'query') return Reflect.get(target, key, receiver) as unknown;
      return (text: unknown, values?: unknown[]) => {
        if (typeof text === 'string' && text.includes('worker_stopped') && !refused) {
          refused = String(values?.[0]);
          return Promise.reject(new Error('permission denied for table share_image_jobs'));
        }
        return target.query(text as string, values);
      };
    },
  });
  let finish!: () => void;
  const rendering = new Promise<void>((resolve) => (finish = resolve));
  try {
    await db.pool.query(
      `UPDATE share_image_jobs SET status = 'failed', error_code = coalesce(error_code, 'render_failed')
        WHERE status = 'queued'`,
    );
    const jobs = [await queuedJob(), await queuedJob()];
    let claimed = 0;
    const { worker } = testWorker(pool, storage, {
      config: { workerConcurrency: 2 },
      onClaimed: async () => {
        claimed += 1;
        await rendering; // outlasts the shutdown budget
      },
    });
    worker.start();
    await waitFor('both claims', async () => claimed === 2, 10_000);
    expect(await worker.stop(100)).toEqual({ finished: 0, released: 1 });
    const statuses = await db.pool.query<{ id: string; status: string }>(
      'SELECT id, status FROM share_image_jobs WHERE id = ANY($1)',
      [jobs],
    );
    expect(Object.fromEntries(statuses.rows.map((r) => [r.id, r.status]))).toEqual(
      Object.fromEntries(jobs.map((id) => [id, id === refused ? 'running' : 'queued'])),
    );
  } finally {
    finish(); // the held attempts end (the released one fenced off) before the pool closes
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await real.end();
  }
});

it('traces each job in one span linked to the request that created it (the stored traceparent)', async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing(loadTracingConfig({ APP_ENV: 'test' }), { exporter });
  const pool = new Pool({ connectionString: db.url, max: 2 });
  try {
    // only this test's job is ready (the previous test released one)
    await db.pool.query(`UPDATE share_image_jobs SET status = 'failed' WHERE status = 'queued'`);
    const jobId = await queuedJob();
    const { worker } = testWorker(pool, storage);
    expect(await worker.processNext()).toBe('succeeded');
    const [span] = exporter.getFinishedSpans().filter((s) => s.name === 'share-image job');
    expect(span?.attributes).toMatchObject({ 'job.id': jobId, 'job.attempt': 1, 'job.template': 'story' });
    expect(span?.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([
      ['0af7651916cd43dd8448eb211c80319c', 'b7ad6b7169203331'],
    ]);
    // its own trace (a root), not the request's: the request ended long ago
    expect(span?.spanContext().traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
  } finally {
    await pool.end();
    await tracing.shutdown();
  }
});

it('in process: probes and metrics on one port; stop closes it with nothing in hand', async () => {
  const config = loadWorkerConfig({
    APP_ENV: 'test',
    DATABASE_URL: db.url,
    METRICS_PORT: '0',
    SHARE_IMAGE_POLL_INTERVAL_MS: '50',
    SHUTDOWN_TIMEOUT_MS: '3000',
    ...storage.env,
  });
  const running = await startWorker(config, createLogger({ level: 'silent' }));
  const base = `http://127.0.0.1:${running.metricsPort}`;
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  expect((await fetch(`${base}/readyz`)).status).toBe(200);
  const scrape = await fetch(`${base}/metrics`);
  expect(scrape.headers.get('content-type')).toMatch(/openmetrics/);
  expect(await scrape.text()).toMatch(/walk_share_image_jobs_total\{outcome="failed"\} 0/);
  expect((await fetch(`${base}/nothing`)).status).toBe(404);
  const stopped = running.stop('test');
  await stopped;
  await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  expect(running.worker.inHand).toBe(0);
});
