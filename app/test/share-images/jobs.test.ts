/**
 * Share-image jobs end to end: the API on real PostgreSQL and the Auth
 * emulator, the worker's real claim/render/store/record path, the storage
 * stand-in that really keeps the bytes and checks the signed GET URL.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import jpeg from 'jpeg-js';
import { Pool } from 'pg';
import { Registry } from 'prom-client';
import { createLogger } from '../../src/observability/logger';
import { queueGauges, startQueueGaugeRefresher } from '../../src/share-images/metrics';
import type { ClaimedJob } from '../../src/share-images/repository';
import { createObjectStore } from '../../src/storage';
import { apiClient, emulatorUser, startTestApp, useApp, type ApiClient, type EmulatorUser } from '../harness';
import { testWorker, type TestWorkerOverrides } from './worker-fixture';
import { startTestStorage, type TestStorage } from './storage';

const MAX_ATTEMPTS = 3;
let storage: TestStorage;
const { app, db } = useApp(async (database) => {
  storage = await startTestStorage();
  return startTestApp({
    db: database,
    env: { ...storage.env, SHARE_IMAGE_MAX_ATTEMPTS: String(MAX_ATTEMPTS) },
  });
});
afterAll(async () => storage?.stop());

let alice: EmulatorUser;
let asAlice: ApiClient;
let asBob: ApiClient;
let workerPool: Pool;
const quiet = createLogger({ level: 'silent' });

beforeAll(async () => {
  const [a, b] = await Promise.all([emulatorUser(), emulatorUser()]);
  alice = a;
  asAlice = apiClient(app.url, a.authorization);
  asBob = apiClient(app.url, b.authorization);
  workerPool = new Pool({ connectionString: db.url, max: 6 });
  workerPool.on('error', () => undefined); // the database is dropped at the end
});
afterAll(async () => workerPool?.end());

// Each test starts with an empty queue: what an earlier test left unfinished is closed here.
beforeEach(async () => {
  await db.pool.query(
    `UPDATE share_image_jobs SET status = 'failed', error_code = 'test_reset', lease_expires_at = NULL
      WHERE status IN ('queued', 'running')`,
  );
});

function worker(overrides: TestWorkerOverrides = {}) {
  return testWorker(workerPool, storage, {
    logger: quiet,
    ...overrides,
    config: { maxAttempts: MAX_ATTEMPTS, ...overrides.config },
  });
}

const walkBody = (title = 'Morning walk 朝の散歩') => ({
  title,
  status: 'completed',
  start_time: '2026-11-22T06:00:00Z',
  end_time: '2026-11-22T06:45:00Z',
  total_paused_duration: 30,
  total_distance: 3120.5,
  total_steps: 4100,
  locations: Array.from({ length: 40 }, (_, i) => ({
    sequence_number: i,
    latitude: 35.68 + Math.sin(i / 6) * 0.004,
    longitude: 139.76 + i * 0.0003,
    timestamp: new Date(Date.UTC(2026, 10, 22, 6, 0, i * 60)).toISOString(),
  })),
});

async function createWalk(client = asAlice, title?: string): Promise<string> {
  const res = await client.post('/v1/walks', walkBody(title));
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function enqueue(walkId: string, body: unknown = {}, client = asAlice) {
  return client.post(`/v1/walks/${walkId}/share-images`, body);
}

const jobRow = async (id: string) =>
  (
    await db.pool.query(
      `SELECT status, attempts, error_code, error_message, object_key, run_after, lease_expires_at
         FROM share_image_jobs WHERE id = $1`,
      [id],
    )
  ).rows[0];

describe('POST /v1/walks/{id}/share-images → worker → GET /v1/share-image-jobs/{id}', () => {
  it('goes queued → succeeded with a decodable JPEG at the story size, behind a signed URL', async () => {
    const walkId = await createWalk();
    const posted = await enqueue(walkId);
    expect(posted.status).toBe(202);
    expect(posted.body).toEqual({ job_id: expect.any(String), status: 'queued' });
    expect(posted.headers.get('location')).toBe(`/v1/share-image-jobs/${posted.body.job_id}`);
    const before = await asAlice.get(`/v1/share-image-jobs/${posted.body.job_id}`);
    expect(before.body).toMatchObject({ status: 'queued', attempts: 0, walk_id: walkId, template: 'story' });
    expect(before.body.image_url).toBeUndefined();

    const { worker: w, registry } = worker();
    expect(await w.processNext()).toBe('succeeded');
    expect(await w.processNext()).toBeUndefined(); // nothing else queued

    const done = await asAlice.get(`/v1/share-image-jobs/${posted.body.job_id}`);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(Date.parse(done.body.expires_at)).toBeGreaterThan(Date.now());
    const image = await fetch(done.body.image_url);
    expect(image.status).toBe(200);
    const bytes = Buffer.from(await image.arrayBuffer());
    expect(bytes.length).toBeLessThanOrEqual(500_000);
    const decoded = jpeg.decode(bytes, { useTArray: true });
    expect([decoded.width, decoded.height]).toEqual([1080, 1920]);
    expect((await jobRow(posted.body.job_id)).object_key).toBe(
      `share-images/${alice.uid}/${walkId}/${posted.body.job_id}.jpg`,
    );
    // a URL whose signature is tampered with is refused by the stand-in, as by Cloud Storage
    const forged = new URL(done.body.image_url);
    forged.searchParams.set('X-Goog-Signature', '00'.repeat(256));
    expect((await fetch(forged)).status).toBe(403);

    const metrics = await registry.metrics();
    expect(metrics).toMatch(/walk_share_image_jobs_total\{outcome="succeeded"\} 1/);
    expect(metrics).toMatch(/walk_share_image_jobs_total\{outcome="failed"\} 0/);
    expect(metrics).toMatch(/walk_share_image_render_seconds_count 1/);
    expect(metrics).toMatch(/walk_share_image_job_seconds_count\{outcome="succeeded"\} 1/);
  });

  it('renders the square template at 1080×1080', async () => {
    const walkId = await createWalk();
    const posted = await enqueue(walkId, { template: 'square' });
    await worker().worker.processNext();
    const done = await asAlice.get(`/v1/share-image-jobs/${posted.body.job_id}`);
    const bytes = Buffer.from(await (await fetch(done.body.image_url)).arrayBuffer());
    const decoded = jpeg.decode(bytes, { useTArray: true });
    expect([decoded.width, decoded.height]).toEqual([1080, 1080]);
  });

  it("stores the caller's W3C traceparent on the job for the worker's span link", async () => {
    const walkId = await createWalk();
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const posted = await asAlice.post(`/v1/walks/${walkId}/share-images`, {}, { headers: { traceparent } });
    const { rows } = await db.pool.query('SELECT traceparent FROM share_image_jobs WHERE id = $1', [
      posted.body.job_id,
    ]);
    expect(rows[0].traceparent).toBe(traceparent);
  });

  it('refuses an unknown template and another user', async () => {
    const walkId = await createWalk();
    const bad = await enqueue(walkId, { template: 'poster' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_REQUEST');
    expect((await enqueue(walkId, {}, asBob)).status).toBe(404);
    const mine = await enqueue(walkId);
    const theirs = await asBob.get(`/v1/share-image-jobs/${mine.body.job_id}`);
    expect(theirs.status).toBe(404);
    expect((await asAlice.get('/v1/share-image-jobs/not-a-uuid')).status).toBe(400);
  });
});

it('answers 503 where no image bucket is configured', async () => {
  const bare = await startTestApp({ db });
  try {
    const walkId = await createWalk();
    const res = await apiClient(bare.url, alice.authorization).post(`/v1/walks/${walkId}/share-images`, {});
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('UNAVAILABLE');
  } finally {
    await bare.close();
  }
});

describe('idempotency', () => {
  it('returns the same job for the same walk version and template, a new one after the walk changes', async () => {
    const walkId = await createWalk();
    const first = await enqueue(walkId);
    const again = await enqueue(walkId);
    expect(again.status).toBe(202);
    expect(again.body.job_id).toBe(first.body.job_id);
    expect((await enqueue(walkId, { template: 'square' })).body.job_id).not.toBe(first.body.job_id);

    const put = await asAlice.put(`/v1/walks/${walkId}`, walkBody('Evening walk'));
    expect(put.status).toBe(200);
    expect((await enqueue(walkId)).body.job_id).not.toBe(first.body.job_id);
  });

  it('creates one job for concurrent requests', async () => {
    const walkId = await createWalk();
    const answers = await Promise.all(Array.from({ length: 8 }, () => enqueue(walkId)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    expect(new Set(answers.map((a) => a.body.job_id)).size).toBe(1);
    const { rows } = await db.pool.query(
      'SELECT count(*)::int AS n FROM share_image_jobs WHERE walk_id = $1',
      [walkId],
    );
    expect(rows[0].n).toBe(1);
  });
});

describe('asking again after a job ended (POST again)', () => {
  it('re-renders a succeeded job whose image the age rule deleted; GET never hands out the dead URL', async () => {
    const walkId = await createWalk();
    const first = await enqueue(walkId);
    expect(await worker().worker.processNext()).toBe('succeeded');
    // still there: the same job, its image downloadable
    const again = await enqueue(walkId);
    expect(again.body).toEqual({ job_id: first.body.job_id, status: 'succeeded' });
    const { object_key: oldKey } = await jobRow(first.body.job_id);
    const oldUrl = (await asAlice.get(`/v1/share-image-jobs/${first.body.job_id}`)).body.image_url as string;
    expect((await fetch(oldUrl)).status).toBe(200);

    // the bucket's lifecycle rule deletes share-images/ objects after N days (ADR 0260)
    await createObjectStore(storage.config).delete(oldKey);
    expect((await fetch(oldUrl)).status).toBe(404);
    const expired = await asAlice.get(`/v1/share-image-jobs/${first.body.job_id}`);
    expect(expired.status).toBe(200);
    expect(expired.body).toMatchObject({ status: 'failed', error_code: 'image_expired' });
    expect(expired.body.image_url).toBeUndefined();

    const renewed = await enqueue(walkId);
    expect(renewed.status).toBe(202);
    expect(renewed.body).toEqual({ job_id: expect.any(String), status: 'queued' });
    expect(renewed.body.job_id).not.toBe(first.body.job_id);
    expect(renewed.headers.get('location')).toBe(`/v1/share-image-jobs/${renewed.body.job_id}`);
    expect((await asAlice.get(`/v1/share-image-jobs/${first.body.job_id}`)).status).toBe(404);
    expect(await worker().worker.processNext()).toBe('succeeded');
    const done = await asAlice.get(`/v1/share-image-jobs/${renewed.body.job_id}`);
    expect(done.body).toMatchObject({ status: 'succeeded', attempts: 1 });
    const image = await fetch(done.body.image_url);
    expect(image.status).toBe(200);
    const decoded = jpeg.decode(Buffer.from(await image.arrayBuffer()), { useTArray: true });
    expect([decoded.width, decoded.height]).toEqual([1080, 1920]);
    expect((await jobRow(renewed.body.job_id)).object_key).toBe(
      `share-images/${alice.uid}/${walkId}/${renewed.body.job_id}.jpg`,
    );
  });

  it('queues a failed job again with a fresh attempt budget, and it then succeeds', async () => {
    const walkId = await createWalk();
    const first = await enqueue(walkId);
    // every attempt used up, as after N storage failures
    await db.pool.query(
      `UPDATE share_image_jobs SET status = 'failed', attempts = max_attempts, error_code = 'storage_failed',
              error_message = 'connect ECONNREFUSED', finished_at = now() WHERE id = $1`,
      [first.body.job_id],
    );
    expect((await asAlice.get(`/v1/share-image-jobs/${first.body.job_id}`)).body).toMatchObject({
      status: 'failed',
      error_code: 'storage_failed',
    });

    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const again = await asAlice.post(`/v1/walks/${walkId}/share-images`, {}, { headers: { traceparent } });
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ job_id: expect.any(String), status: 'queued' });
    expect(again.body.job_id).not.toBe(first.body.job_id);
    const queued = await asAlice.get(`/v1/share-image-jobs/${again.body.job_id}`);
    expect(queued.body).toMatchObject({ status: 'queued', attempts: 0 });
    expect(queued.body.error_code).toBeUndefined();
    const { rows } = await db.pool.query(
      'SELECT traceparent, max_attempts FROM share_image_jobs WHERE id = $1',
      [again.body.job_id],
    );
    expect(rows[0]).toEqual({ traceparent, max_attempts: MAX_ATTEMPTS });

    expect(await worker().worker.processNext()).toBe('succeeded');
    const done = await asAlice.get(`/v1/share-image-jobs/${again.body.job_id}`);
    expect(done.body).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect((await fetch(done.body.image_url)).status).toBe(200);
  });

  it('starts a failed job over once for concurrent requests', async () => {
    const walkId = await createWalk();
    const first = await enqueue(walkId);
    await db.pool.query(
      `UPDATE share_image_jobs SET status = 'failed', error_code = 'render_failed', finished_at = now()
        WHERE id = $1`,
      [first.body.job_id],
    );
    const answers = await Promise.all(Array.from({ length: 8 }, () => enqueue(walkId)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    const ids = new Set(answers.map((a) => a.body.job_id));
    expect(ids.size).toBe(1);
    expect(ids.has(first.body.job_id)).toBe(false);
    expect(answers.map((a) => a.body.status)).toEqual(Array(8).fill('queued'));
  });

  it('a worker still holding the old job cannot write to the job started over', async () => {
    const walkId = await createWalk();
    const first = await enqueue(walkId);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const claimed: ClaimedJob[] = [];
    const stale = worker({
      onClaimed: async (job) => {
        claimed.push(job);
        await gate;
      },
    });
    const staleRun = stale.worker.processNext();
    await waitUntil(() => claimed.length === 1);
    // meanwhile the job is closed as failed (its lease ended on the last attempt) and asked for again
    await db.pool.query(
      `UPDATE share_image_jobs SET status = 'failed', error_code = 'lease_expired', lease_expires_at = NULL,
              finished_at = now() WHERE id = $1`,
      [first.body.job_id],
    );
    const again = await enqueue(walkId);
    expect(again.body.status).toBe('queued');
    release();
    expect(await staleRun).toBe('fenced');
    expect(await jobRow(again.body.job_id)).toMatchObject({
      status: 'queued',
      attempts: 0,
      object_key: null,
    });
  });
});

describe('failures', () => {
  it('fails at once with walk_changed when the walk moved on before the render', async () => {
    const walkId = await createWalk();
    const posted = await enqueue(walkId);
    await asAlice.put(`/v1/walks/${walkId}`, walkBody('Renamed'));
    expect(await worker().worker.processNext()).toBe('failed');
    const job = await asAlice.get(`/v1/share-image-jobs/${posted.body.job_id}`);
    expect(job.body).toMatchObject({ status: 'failed', attempts: 1, error_code: 'walk_changed' });
  });

  it('retries a job whose worker died (lease expired); the stale worker cannot record its late result', async () => {
    const walkId = await createWalk();
    const posted = await enqueue(walkId);
    const holder = () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const claimed: ClaimedJob[] = [];
      const onClaimed = async (job: ClaimedJob) => {
        claimed.push(job);
        await gate;
      };
      return { release, claimed, onClaimed };
    };
    // The stale worker claims, then stalls (a GC pause, a lost node) past its 300 ms lease.
    const staleHold = holder();
    const stale = worker({ config: { leaseMs: 300 }, onClaimed: staleHold.onClaimed });
    const staleRun = stale.worker.processNext();
    await waitUntil(() => staleHold.claimed.length === 1);
    expect(await worker().worker.processNext()).toBeUndefined(); // lease still held: nothing to claim
    await new Promise((resolve) => setTimeout(resolve, 400));

    // Another worker takes the job over (attempt 2) and is still rendering when the stale one wakes up.
    const rescuerHold = holder();
    const rescuer = worker({ onClaimed: rescuerHold.onClaimed });
    const rescuerRun = rescuer.worker.processNext();
    await waitUntil(() => rescuerHold.claimed.length === 1);
    expect(rescuerHold.claimed[0]!.attempt).toBe(2);

    staleHold.release();
    expect(await staleRun).toBe('fenced'); // its writes carry attempt 1: none lands
    expect(await jobRow(posted.body.job_id)).toMatchObject({
      status: 'running',
      attempts: 2,
      object_key: null,
    });

    rescuerHold.release();
    expect(await rescuerRun).toBe('succeeded');
    expect(await jobRow(posted.body.job_id)).toMatchObject({ status: 'succeeded', attempts: 2 });
    expect(await stale.registry.metrics()).toMatch(/walk_share_image_jobs_total\{outcome="succeeded"\} 0/);
  });

  it('fails a poison job after N attempts with its reason, backing off between attempts', async () => {
    const walkId = await createWalk();
    const posted = await enqueue(walkId);
    // Storage that refuses every write: a port nobody listens on.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const claims: number[] = [];
    const { worker: w, registry } = worker({
      store: createObjectStore({ ...storage.config, apiEndpoint: `http://127.0.0.1:${port}` }),
      onClaimed: () => void claims.push(Date.now()),
    });
    const results: string[] = [];
    const deadline = Date.now() + 10_000;
    while (results.at(-1) !== 'failed' && Date.now() < deadline) {
      const result = await w.processNext();
      if (result) results.push(result);
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(results).toEqual(['retried', 'retried', 'failed']);
    // backoff: 100 ms, then 200 ms
    expect(claims[1]! - claims[0]!).toBeGreaterThanOrEqual(100);
    expect(claims[2]! - claims[1]!).toBeGreaterThanOrEqual(200);
    const job = await asAlice.get(`/v1/share-image-jobs/${posted.body.job_id}`);
    expect(job.body).toMatchObject({
      status: 'failed',
      attempts: MAX_ATTEMPTS,
      error_code: 'storage_failed',
    });
    expect((await jobRow(posted.body.job_id)).error_message).toMatch(/ECONNREFUSED|connect/i);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/walk_share_image_jobs_total\{outcome="retried"\} 2/);
    expect(metrics).toMatch(/walk_share_image_jobs_total\{outcome="failed"\} 1/);
    expect(await w.processNext()).toBeUndefined();
  });

  it('ends a job whose lease expired on its last attempt as failed (lease_expired)', async () => {
    const walkId = await createWalk();
    const posted = await enqueue(walkId);
    await db.pool.query(
      `UPDATE share_image_jobs SET status = 'running', attempts = max_attempts,
              lease_expires_at = now() - interval '1 second' WHERE id = $1`,
      [posted.body.job_id],
    );
    expect(await worker().worker.processNext()).toBeUndefined();
    expect(await jobRow(posted.body.job_id)).toMatchObject({ status: 'failed', error_code: 'lease_expired' });
  });
});

describe('two workers', () => {
  it('never render the same job: 20 jobs, two workers of two loops each, one claim per job', async () => {
    const walkIds = await Promise.all(Array.from({ length: 20 }, () => createWalk()));
    const jobIds = await Promise.all(walkIds.map(async (id) => (await enqueue(id)).body.job_id as string));
    const claims = new Map<string, number>();
    const count = (job: ClaimedJob) => void claims.set(job.id, (claims.get(job.id) ?? 0) + 1);
    const workers = [0, 1].map(() => worker({ config: { workerConcurrency: 2 }, onClaimed: count }).worker);
    for (const w of workers) w.start();
    await waitUntil(async () => {
      const { rows } = await db.pool.query(
        `SELECT count(*)::int AS n FROM share_image_jobs WHERE id = ANY($1) AND status = 'succeeded'`,
        [jobIds],
      );
      return rows[0].n === jobIds.length;
    }, 60_000);
    await Promise.all(workers.map((w) => w.stop(5000)));
    expect([...claims.keys()].sort()).toEqual([...jobIds].sort());
    expect([...claims.values()].every((n) => n === 1)).toBe(true);
  }, 90_000);
});

describe('queue depth (walk-service)', () => {
  it('counts ready jobs and the age of the oldest', async () => {
    const walkId = await createWalk();
    await enqueue(walkId);
    await enqueue(walkId, { template: 'square' });
    await db.pool.query(
      `UPDATE share_image_jobs SET run_after = now() - interval '30 seconds' WHERE walk_id = $1`,
      [walkId],
    );
    // a retry not yet due is not ready
    const later = await createWalk();
    const waitingRetry = await enqueue(later);
    await db.pool.query(`UPDATE share_image_jobs SET run_after = now() + interval '1 hour' WHERE id = $1`, [
      waitingRetry.body.job_id,
    ]);
    const registry = new Registry();
    const refresher = startQueueGaugeRefresher({
      pool: workerPool,
      gauges: queueGauges(registry),
      intervalMs: 60_000,
      logger: quiet,
    });
    await refresher.refresh();
    refresher.stop();
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/^walk_share_image_jobs_waiting 2$/m);
    const oldest = Number(/^walk_share_image_oldest_waiting_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(oldest).toBeGreaterThanOrEqual(30);
    expect(oldest).toBeLessThan(60);
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
