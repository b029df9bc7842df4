/** The pg pool: bounded size, bounded waits, bounded statements, UTC sessions. */
import { Pool, type ClientBase, type PoolClient } from 'pg';
import type { Config } from '../config';
import type { Logger } from '../observability/logger';

export type { Pool, PoolClient } from 'pg';

/** What a repository function runs its SQL on: the pool, or a client inside a transaction. */
export type Queryable = Pool | PoolClient;

export function createPool(
  config: Pick<Config, 'databaseUrl' | 'dbPoolMax' | 'dbStatementTimeoutMs' | 'dbConnectionTimeoutMs'>,
  logger: Logger,
): Pool {
  const pool = new Pool({
    connectionString: config.databaseUrl,
    max: config.dbPoolMax,
    connectionTimeoutMillis: config.dbConnectionTimeoutMs,
    idleTimeoutMillis: 30_000,
    statement_timeout: config.dbStatementTimeoutMs,
    // a little longer than the server-side timeout, for a server that stopped answering
    query_timeout: config.dbStatementTimeoutMs + 1000,
    application_name: 'walk-service',
    options: '-c TimeZone=UTC',
  });
  // An idle client losing its connection emits here; without a listener the process would crash.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle database connection lost'));
  return pool;
}

/**
 * Runs `work` in one transaction and rolls back on any error. Given the pool,
 * it checks out a client for the transaction (and discards it if ROLLBACK
 * fails); given a client the caller holds (e.g. with a session advisory lock),
 * it runs on that client and leaves releasing it to the caller.
 */
export async function inTransaction<T>(
  db: Pool | PoolClient,
  work: (client: PoolClient) => Promise<T>,
): Promise<T>;
export async function inTransaction<T, C extends ClientBase>(
  db: C,
  work: (client: C) => Promise<T>,
): Promise<T>;
export async function inTransaction<T>(
  db: Pool | ClientBase,
  work: (client: never) => Promise<T>,
): Promise<T> {
  const owned = db instanceof Pool;
  const client: ClientBase = owned ? await db.connect() : db;
  let broken = false;
  try {
    await client.query('BEGIN');
    const result = await work(client as never); // the overloads type `client` for the caller
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    if (owned) (client as PoolClient).release(broken);
  }
}

/**
 * Runs `work` inside a savepoint of the caller's transaction: a PostgreSQL
 * error (a SQLSTATE) rolls back only what `work` did and is returned; any
 * other error is rethrown and leaves the transaction to the caller.
 */
export async function inSavepoint(
  client: ClientBase,
  work: () => Promise<void>,
): Promise<{ code: string; constraint?: string; message?: string } | undefined> {
  await client.query('SAVEPOINT work');
  try {
    await work();
    await client.query('RELEASE SAVEPOINT work');
    return undefined;
  } catch (error) {
    const pgError = error as { code?: string; constraint?: string; message?: string };
    if (typeof pgError.code !== 'string' || pgError.code.length !== 5) throw error; // not PostgreSQL's verdict
    await client.query('ROLLBACK TO SAVEPOINT work');
    return { code: pgError.code, constraint: pgError.constraint, message: pgError.message };
  }
}

const UNAVAILABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);
/** SQLSTATEs meaning "the database cannot serve right now", not "your query is wrong". */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '40001', '40P01']);

/**
 * True when an error says the database is unreachable, overloaded or went
 * away mid-query: the caller should answer 503 and try again later.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // duck-typed, not instanceof: errors from node:net may come from another realm (jest's vm)
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string') {
    if (UNAVAILABLE_NODE_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code)) return true;
    if (code.startsWith('08')) return true; // connection exception class
  }
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Connection ended|pool is ended/i.test(
    String(message),
  );
}
