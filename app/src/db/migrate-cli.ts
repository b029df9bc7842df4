/**
 * `npm run migrate` / `node dist/app/db/migrate-cli.js`: applies pending
 * migrations to DATABASE_URL and exits; the deploy runs it as a Job before
 * the new release starts.
 */
import { defineCommand, runCli } from '../cli';
import { Client } from 'pg';
import { loadConfigOrExit, loadMigrationConfig, loadWorkerGrantConfig } from '../config';
import { createLogger } from '../observability/logger';
import { migrateUp } from './migrate';
import { grantWorker } from './worker-grants';

const MIGRATE = defineCommand({
  usage: `usage: npm run migrate

Applies the pending SQL migrations (app/migrations) to DATABASE_URL, then, when
WORKER_DATABASE_USER is set, grants that user what the share-image worker needs
(app/src/db/worker-grants.ts), and exits.
Environment: DATABASE_URL (required), WORKER_DATABASE_USER, LOG_LEVEL.`,
  options: {},
});

async function main(): Promise<void> {
  const config = loadConfigOrExit(loadMigrationConfig);
  const { workerDatabaseUser } = loadConfigOrExit(loadWorkerGrantConfig);
  const logger = createLogger({ level: config.logLevel });
  const ran = await migrateUp({ databaseUrl: config.databaseUrl, log: (message) => logger.info(message) });
  logger.info(
    { migrations: ran },
    ran.length ? `applied ${ran.length} migration(s)` : 'database is up to date',
  );
  if (workerDatabaseUser) {
    const client = new Client({
      connectionString: config.databaseUrl,
      application_name: 'walk-service-migrate',
    });
    await client.connect();
    try {
      await grantWorker(client, workerDatabaseUser);
    } finally {
      await client.end();
    }
    logger.info({ worker_user: workerDatabaseUser }, 'share-image worker grants applied');
  }
  logger.flush();
}

runCli(module, MIGRATE, async () => {
  try {
    await main();
  } catch (error) {
    throw new Error(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
  }
});
