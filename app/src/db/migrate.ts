/**
 * Forward-only SQL migrations with node-pg-migrate. The same code runs them
 * at `npm start`, in tests and in the deploy Job; the service itself only
 * checks (in /readyz) that every migration it ships with has been applied.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import { Client, type Pool } from 'pg';

export const MIGRATIONS_TABLE = 'pgmigrations';

/**
 * app/migrations, seen from app/src/db (tsx, jest) or from dist/app/db (the
 * production layout: dist/ and app/migrations/ side by side).
 */
export function migrationsDir(): string {
  const candidates = [
    path.resolve(__dirname, '../../migrations'),
    path.resolve(__dirname, '../../../app/migrations'),
  ];
  const found = candidates.find((dir) => existsSync(dir) && readdirSync(dir).some((f) => f.endsWith('.sql')));
  if (!found) throw new Error(`no migrations directory found (looked in ${candidates.join(', ')})`);
  return found;
}

/** Migration names (file names without .sql), in the order they run. */
export function shippedMigrations(dir = migrationsDir()): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => file.slice(0, -'.sql'.length))
    .sort();
}

/**
 * node-pg-migrate's advisory lock key: its runner only *tries* this lock and
 * fails with "Another migration is already running"; we wait for it on the
 * same key, so a run of any release still excludes every other.
 */
export const MIGRATION_LOCK_ID = '7241865325823964';

/** How long a run waits for another one to finish before it gives up. */
export const DEFAULT_LOCK_WAIT_MS = 5 * 60_000;

export interface MigrateOptions {
  readonly databaseUrl: string;
  readonly log?: (message: string) => void;
  /** @default DEFAULT_LOCK_WAIT_MS — inside the migrations Job's 10-minute deadline. */
  readonly lockWaitMs?: number;
  /** @default 1000 — how often a waiting run asks for the lock again. */
  readonly lockPollMs?: number;
}

export class MigrationLockTimeoutError extends Error {
  constructor(waitedMs: number, holder: string) {
    super(
      `another migration run still holds the migration lock after ${Math.round(waitedMs / 1000)} s (${holder}); ` +
        'this run applied nothing and exits non-zero so the Job retries it',
    );
    this.name = 'MigrationLockTimeoutError';
  }
}

/** Who holds the lock, for the log line and the error. */
async function lockHolder(client: Client): Promise<string> {
  const { rows } = await client.query<{ pid: number; application_name: string; since: string }>(
    `SELECT a.pid, a.application_name, a.backend_start::text AS since
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid()
        AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint`,
    [MIGRATION_LOCK_ID],
  );
  const row = rows[0];
  return row
    ? `pid ${row.pid}${row.application_name ? ` ${row.application_name}` : ''}, connected since ${row.since}`
    : 'holder gone';
}

/**
 * Applies every pending migration; returns the names it ran. Concurrent runs
 * (two deploys' Jobs overlapping) wait for each other up to `lockWaitMs`,
 * then fail with MigrationLockTimeoutError; the second run usually finds
 * nothing left to apply.
 */
export async function migrateUp({
  databaseUrl,
  log = () => undefined,
  lockWaitMs = DEFAULT_LOCK_WAIT_MS,
  lockPollMs = 1000,
}: MigrateOptions): Promise<string[]> {
  const client = new Client({ connectionString: databaseUrl, application_name: 'walk-service-migrate' });
  await client.connect();
  try {
    const started = Date.now();
    let lastReport = 0;
    for (;;) {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [
        MIGRATION_LOCK_ID,
      ]);
      if (rows[0]?.ok) break;
      const waited = Date.now() - started;
      if (waited >= lockWaitMs) throw new MigrationLockTimeoutError(waited, await lockHolder(client));
      if (waited - lastReport >= 10_000 || lastReport === 0) {
        lastReport = Math.max(waited, 1);
        log(`waiting for another migration run to finish (${await lockHolder(client)})`);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(lockPollMs, lockWaitMs - waited)));
    }
    try {
      const ran = await runner({
        dbClient: client,
        dir: migrationsDir(),
        direction: 'up',
        migrationsTable: MIGRATIONS_TABLE,
        count: Infinity,
        checkOrder: true,
        noLock: true, // held above, on this session
        log,
        logger: { debug: () => undefined, info: log, warn: log, error: log },
      });
      return ran.map((migration) => migration.name);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_ID]).catch(() => undefined);
    }
  } finally {
    await client.end();
  }
}

/** Shipped migrations the database has not applied yet (extra applied ones are fine: a newer release ran them). */
export async function pendingMigrations(pool: Pool, shipped: readonly string[]): Promise<string[]> {
  const { rows } = await pool.query<{ exists: boolean }>('SELECT to_regclass($1) IS NOT NULL AS exists', [
    MIGRATIONS_TABLE,
  ]);
  if (!rows[0]?.exists) return [...shipped];
  const applied = await pool.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`);
  const names = new Set(applied.rows.map((row) => row.name));
  return shipped.filter((name) => !names.has(name));
}
