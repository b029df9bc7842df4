/**
 * `npm run bench:share-images`: the share-image worker's throughput on this
 * machine. Two phases on a walk of 1,000 locations (story template):
 *   1. render + encode only (renderShareImage), one at a time and two at once;
 *   2. the worker end to end (claim, read the walk, render, store in the
 *      storage stand-in, record) on an embedded PostgreSQL, at
 *      SHARE_IMAGE_WORKER_CONCURRENCY 1 and 2.
 * Prints images per second (and p50/p99 per render in phase 1), and the
 * ratio of the concurrent render run to the single one.
 * BENCH_IMAGES (default 60) sets the images per measured run. 127.0.0.1 only.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { ensureDatabase, startEmbeddedPostgres } from '../dev/embedded-postgres';
import { freePort } from '../dev/ports';
import { generateSigningCredentials, startStorageStandIn } from '../dev/storage-stand-in';
import { migrateUp } from '../src/db/migrate';
import { createLogger } from '../src/observability/logger';
import { workerMetrics } from '../src/share-images/metrics';
import { renderShareImage, type RenderInput } from '../src/share-images/render';
import { insertOrGetJob } from '../src/share-images/repository';
import { TEMPLATES } from '../src/share-images/templates';
import { createShareImageWorker } from '../src/share-images/worker-loop';
import { createObjectStore } from '../src/storage';

const IMAGES = Number(process.env.BENCH_IMAGES ?? 60);
const LOCATIONS = 1000;
const log = (line: string) => process.stdout.write(`${line}\n`);

const points = Array.from({ length: LOCATIONS }, (_, i) => ({
  latitude: 35.68 + Math.sin(i / 90) * 0.01 + i * 0.000004,
  longitude: 139.76 + Math.cos(i / 130) * 0.012,
}));
const input: RenderInput = {
  title: '朝の散歩 Morning walk along the river',
  distanceMeters: 5230,
  durationSeconds: 3900,
  steps: 7100,
  date: new Date('2026-11-22T06:00:00Z'),
  points,
};

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

interface Figures {
  readonly label: string;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

const row = (f: Figures) =>
  `${f.label.padEnd(40)} ${f.perSecond.toFixed(2).padStart(7)} images/s   p50 ${f.p50
    .toFixed(0)
    .padStart(5)} ms   p99 ${f.p99.toFixed(0).padStart(5)} ms`;

async function renderPhase(concurrency: number): Promise<Figures> {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < IMAGES) {
        next += 1;
        const t0 = performance.now();
        await renderShareImage(TEMPLATES.story, input);
        times.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return {
    label: `render + encode, ${concurrency} at once`,
    perSecond: IMAGES / seconds,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
  };
}

async function workerPhase(
  concurrency: number,
  pool: Pool,
  store: ReturnType<typeof createObjectStore>,
): Promise<{ label: string; perSecond: number }> {
  const userId = `bench-${randomUUID()}`;
  await pool.query('INSERT INTO users (id) VALUES ($1)', [userId]);
  for (let i = 0; i < IMAGES; i += 1) {
    const walkId = randomUUID();
    await pool.query(
      `INSERT INTO walks (id, user_id, title, status, start_time, end_time, total_distance, total_steps)
       VALUES ($1, $2, $3, 'completed', '2026-11-22T06:00:00Z', '2026-11-22T07:05:00Z', 5230, 7100)`,
      [walkId, userId, input.title],
    );
    await pool.query(
      `INSERT INTO walk_locations (walk_id, sequence_number, latitude, longitude, "timestamp")
       SELECT $1, n - 1, lat, lon, '2026-11-22T06:00:00Z'::timestamptz + n * interval '4 seconds'
         FROM unnest($2::float8[], $3::float8[]) WITH ORDINALITY AS t(lat, lon, n)`,
      [walkId, points.map((p) => p.latitude), points.map((p) => p.longitude)],
    );
    await insertOrGetJob(pool, {
      id: randomUUID(),
      walkId,
      userId,
      walkVersion: 1,
      template: 'story',
      maxAttempts: 3,
      traceparent: null,
    });
  }
  const worker = createShareImageWorker({
    pool,
    store,
    config: {
      workerConcurrency: concurrency,
      maxAttempts: 3,
      leaseMs: 60_000,
      retryBaseMs: 1000,
      pollIntervalMs: 20,
      queueGaugeIntervalMs: 60_000,
    },
    metrics: workerMetrics(new Registry()),
    logger: createLogger({ level: 'warn' }),
  });
  const started = performance.now();
  worker.start();
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM share_image_jobs j JOIN walks w ON w.id = j.walk_id
        WHERE w.user_id = $1 AND j.status IN ('queued', 'running')`,
      [userId],
    );
    if (rows[0]!.n === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  await worker.stop(10_000);
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM share_image_jobs WHERE user_id = $1 AND status = 'succeeded'`,
    [userId],
  );
  if (rows[0]!.n !== IMAGES) throw new Error(`only ${rows[0]!.n} of ${IMAGES} jobs succeeded`);
  return { label: `worker end to end, concurrency ${concurrency}`, perSecond: IMAGES / seconds };
}

async function main(): Promise<void> {
  log(
    `share-image bench: ${IMAGES} images per run, ${LOCATIONS} locations, story 1080×1920, ${cpus().length} CPUs`,
  );
  await renderShareImage(TEMPLATES.story, input); // fonts and warm-up
  const single = await renderPhase(1);
  log(row(single));
  const double = await renderPhase(2);
  log(row(double));

  const dir = mkdtempSync(path.join(tmpdir(), 'bench-share-images-'));
  chmodSync(dir, 0o755); // PostgreSQL's own user must reach its data directory
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'pg'),
    port: await freePort(),
    persistent: false,
  });
  const credentialsFile = generateSigningCredentials(path.join(dir, 'signer.json'));
  const standIn = await startStorageStandIn({ dataDir: path.join(dir, 'objects'), credentialsFile });
  try {
    await ensureDatabase(pg.url(), 'walks');
    const databaseUrl = pg.url('walks');
    await migrateUp({ databaseUrl });
    const pool = new Pool({ connectionString: databaseUrl, max: 6 });
    const store = createObjectStore({
      bucket: 'bench-walk-images',
      apiEndpoint: standIn.endpoint,
      signingCredentialsFile: credentialsFile,
    });
    for (const concurrency of [1, 2]) {
      const figures = await workerPhase(concurrency, pool, store);
      log(`${figures.label.padEnd(40)} ${figures.perSecond.toFixed(2).padStart(7)} images/s`);
    }
    await pool.end();
  } finally {
    await standIn.stop();
    await pg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  log(`render throughput, 2 at once / 1 at once: ${(double.perSecond / single.perSecond).toFixed(2)}`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
