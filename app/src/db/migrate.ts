/**
 * Forward-only SQL migrations with node-pg-migrate. The same code runs them
 * at `npm start`, in tests and in the deploy Job; the service itself only
 * checks (in /readyz) that every migration it ships with has been applied.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import type { Pool } from 'pg';

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

export interface MigrateOptions {
  readonly databaseUrl: string;
  readonly log?: (message: string) => void;
}

/** Applies every pending migration; returns the names it ran. Takes an advisory lock, so concurrent runs wait. */
export async function migrateUp({ databaseUrl, log = () => undefined }: MigrateOptions): Promise<string[]> {
  const ran = await runner({
    databaseUrl,
    dir: migrationsDir(),
    direction: 'up',
    migrationsTable: MIGRATIONS_TABLE,
    count: Infinity,
    checkOrder: true,
    // node-pg-migrate fails when another run holds its lock unless told to wait (deploy Job vs npm start).
    advisoryLockMode: 'wait',
    log,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  });
  return ran.map((migration) => migration.name);
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
