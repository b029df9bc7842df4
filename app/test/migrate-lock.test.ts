/**
 * Two migration runs at once (two deploys' Jobs overlapping): the second waits
 * for the first instead of failing with node-pg-migrate's "Another migration
 * is already running", and gives up with a clear error after its bound.
 */
import { Client } from 'pg';
import {
  MIGRATION_LOCK_ID,
  MigrationLockTimeoutError,
  migrateUp,
  shippedMigrations,
} from '../src/db/migrate';
import { createTestDatabase, type TestDatabase } from './harness';

let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase({ migrated: false });
});
afterEach(async () => {
  await db?.drop();
});

/** Another session holding the migration lock, as a running Job would. */
async function holdLock(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, application_name: 'other-migration-job' });
  await client.connect();
  await client.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_ID]);
  return client;
}

async function applied(): Promise<string[]> {
  const { rows } = await db.pool.query<{ exists: boolean }>(
    "SELECT to_regclass('pgmigrations') IS NOT NULL AS exists",
  );
  if (!rows[0]!.exists) return [];
  return (
    await db.pool.query<{ name: string }>('SELECT name FROM pgmigrations ORDER BY run_on, id')
  ).rows.map((r) => r.name);
}

it('two concurrent runs both succeed and apply each migration once', async () => {
  const [a, b] = await Promise.all([
    migrateUp({ databaseUrl: db.url, lockPollMs: 50 }),
    migrateUp({ databaseUrl: db.url, lockPollMs: 50 }),
  ]);
  expect([...a, ...b].sort()).toEqual(shippedMigrations());
  expect(await applied()).toEqual(shippedMigrations());
});

it('waits while another run holds the lock, naming it, and then migrates', async () => {
  const other = await holdLock(db.url);
  const log: string[] = [];
  const run = migrateUp({ databaseUrl: db.url, log: (m) => log.push(m), lockPollMs: 100 });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(await applied()).toEqual([]);
  expect(log[0]).toMatch(/^waiting for another migration run to finish \(pid \d+ other-migration-job, /);
  await other.end(); // the other Job ends; its session lock goes with it
  expect(await run).toEqual(shippedMigrations());
});

it('gives up after its bound with an error that says what happened, applying nothing', async () => {
  const other = await holdLock(db.url);
  try {
    const started = Date.now();
    const error = await migrateUp({ databaseUrl: db.url, lockWaitMs: 1200, lockPollMs: 100 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrationLockTimeoutError);
    expect((error as Error).message).toMatch(
      /^another migration run still holds the migration lock after 1 s \(pid \d+ other-migration-job, .*\); this run applied nothing and exits non-zero so the Job retries it$/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
    expect(await applied()).toEqual([]);
  } finally {
    await other.end();
  }
  // The lock is free again: a retry migrates.
  expect(await migrateUp({ databaseUrl: db.url })).toEqual(shippedMigrations());
});
