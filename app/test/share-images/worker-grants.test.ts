/**
 * The migrations CLI's post-migration grant, with a real separate role: after
 * `npm run migrate` with WORKER_DATABASE_USER, the worker logged in as that
 * role claims, renders, stores and records a job — and cannot touch anything
 * else (no DELETE of walks, no new jobs, no other table, no DDL).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Client, Pool } from 'pg';
import {
  grantWorker,
  WORKER_UPDATABLE_JOB_COLUMNS,
  WorkerRoleMissingError,
  workerGrantStatements,
} from '../../src/db/worker-grants';
import { claimJob, insertOrGetJob, releaseJob } from '../../src/share-images/repository';
import { createTestDatabase, harnessValue, type TestDatabase } from '../harness';
import { startTestStorage, type TestStorage } from './storage';
import { testWorker } from './worker-fixture';

const workerUser = `walk-image-worker-${randomBytes(4).toString('hex')}@project.iam`;
let db: TestDatabase;
let storage: TestStorage;
let asWorker: Pool;

async function asSuperuser(sql: string): Promise<void> {
  const client = new Client({ connectionString: harnessValue('adminUrl') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function urlAs(user: string): string {
  const url = new URL(db.url);
  url.username = encodeURIComponent(user);
  url.password = 'unused';
  return url.toString();
}

function migrateCli(env: Record<string, string>) {
  return spawnSync(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(__dirname, '../../src/db/migrate-cli.ts')],
    {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'info', DATABASE_URL: db.url, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
}

beforeAll(async () => {
  db = await createTestDatabase();
  storage = await startTestStorage();
  await asSuperuser(`CREATE ROLE "${workerUser}" LOGIN PASSWORD 'unused'`);
  asWorker = new Pool({ connectionString: urlAs(workerUser), max: 2 });
  asWorker.on('error', () => undefined);
});

afterAll(async () => {
  await asWorker?.end();
  await db?.drop();
  await asSuperuser(`DROP ROLE IF EXISTS "${workerUser}"`);
  await storage?.stop();
});

async function queuedJob(): Promise<string> {
  const userId = `user-${randomUUID()}`;
  const walkId = randomUUID();
  await db.pool.query('INSERT INTO users (id) VALUES ($1)', [userId]);
  await db.pool.query(
    `INSERT INTO walks (id, user_id, title, status, start_time, end_time, total_distance, total_steps)
     VALUES ($1, $2, 'Grant walk', 'completed', '2026-11-22T06:00:00Z', '2026-11-22T06:30:00Z', 1500, 2000)`,
    [walkId, userId],
  );
  await db.pool.query(
    `INSERT INTO walk_locations (walk_id, sequence_number, latitude, longitude, "timestamp")
     SELECT $1, n, 35.68 + n * 0.0005, 139.76, '2026-11-22T06:00:00Z'::timestamptz + n * interval '1 minute'
       FROM generate_series(0, 29) n`,
    [walkId],
  );
  const { job } = await insertOrGetJob(db.pool, {
    id: randomUUID(),
    walkId,
    userId,
    walkVersion: 1,
    template: 'story',
    maxAttempts: 3,
    traceparent: null,
  });
  return job.id;
}

describe('worker grants (WORKER_DATABASE_USER in the migrations CLI)', () => {
  it('quotes the user as an identifier', () => {
    expect(workerGrantStatements('a"b@p.iam').join('\n')).toContain('"a""b@p.iam"');
  });

  it('without the grant the worker role can read nothing', async () => {
    await expect(asWorker.query('SELECT 1 FROM share_image_jobs LIMIT 1')).rejects.toThrow(
      /permission denied/,
    );
  });

  it('refuses a worker user that does not exist, naming it', () => {
    const result = migrateCli({ WORKER_DATABASE_USER: 'nobody-here@project.iam' });
    expect(result.status).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/nobody-here@project\.iam, which is not a role/);
  });

  it('lets the worker do its job and nothing else; running it twice changes nothing', async () => {
    // once as the migrations Job runs it, once more in process (a redeploy): the same result
    const result = migrateCli({ WORKER_DATABASE_USER: workerUser });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/share-image worker grants applied/);
    const owner = new Client({ connectionString: db.url });
    await owner.connect();
    try {
      await grantWorker(owner, workerUser);
      await expect(grantWorker(owner, 'nobody@project.iam')).rejects.toBeInstanceOf(WorkerRoleMissingError);
    } finally {
      await owner.end();
    }
    const jobId = await queuedJob();
    const { worker } = testWorker(asWorker, storage, {
      config: { pollIntervalMs: 50 },
    });
    expect(await worker.processNext()).toBe('succeeded');
    const { rows } = await db.pool.query('SELECT status FROM share_image_jobs WHERE id = $1', [jobId]);
    expect(rows[0].status).toBe('succeeded');
    // a release on shutdown (worker-loop stop) gives the attempt back: max_attempts is in the grant
    const releasedId = await queuedJob();
    const claimed = await claimJob(asWorker, 30_000);
    expect(claimed?.id).toBe(releasedId);
    expect(await releaseJob(asWorker, claimed!, 'test shutdown')).toBe(true);
    const released = await db.pool.query('SELECT status, max_attempts FROM share_image_jobs WHERE id = $1', [
      releasedId,
    ]);
    expect(released.rows[0]).toEqual({ status: 'queued', max_attempts: 4 });

    const refused = [
      'DELETE FROM walks',
      "UPDATE walks SET title = 'x'",
      'DELETE FROM share_image_jobs',
      "UPDATE share_image_jobs SET user_id = 'someone-else'",
      `INSERT INTO share_image_jobs (id, walk_id, user_id, walk_version, template, max_attempts)
         SELECT gen_random_uuid(), walk_id, user_id, walk_version + 1, template, 1 FROM share_image_jobs LIMIT 1`,
      'SELECT * FROM users',
      'SELECT * FROM session_refresh_tokens',
      'CREATE TABLE worker_owned (id int)',
    ];
    for (const sql of refused) {
      await expect(asWorker.query(sql)).rejects.toThrow(/permission denied/);
    }
    // what the grant gives, exactly (the information schema as PostgreSQL reports it)
    const granted = await db.pool.query<{ table_name: string; privilege_type: string }>(
      `SELECT table_name, privilege_type FROM information_schema.role_table_grants
        WHERE grantee = $1 ORDER BY table_name, privilege_type`,
      [workerUser],
    );
    expect(granted.rows).toEqual([
      { table_name: 'share_image_jobs', privilege_type: 'SELECT' },
      { table_name: 'walk_locations', privilege_type: 'SELECT' },
      { table_name: 'walks', privilege_type: 'SELECT' },
    ]);
    const updatable = await db.pool.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.column_privileges
        WHERE grantee = $1 AND table_name = 'share_image_jobs' AND privilege_type = 'UPDATE'
        ORDER BY column_name`,
      [workerUser],
    );
    expect(updatable.rows.map((r) => r.column_name)).toEqual([...WORKER_UPDATABLE_JOB_COLUMNS].sort());
  });
});
