/**
 * `npm run migrate` / `node dist/app/db/migrate-cli.js`: applies pending
 * migrations to DATABASE_URL and exits; the deploy runs it as a Job before
 * the new release starts.
 */
import { defineCommand, runCli } from '../cli';
import { loadConfigOrExit, loadMigrationConfig } from '../config';
import { createLogger } from '../observability/logger';
import { migrateUp } from './migrate';

const MIGRATE = defineCommand({
  usage: `usage: npm run migrate

Applies the pending SQL migrations (app/migrations) to DATABASE_URL and exits.
Environment: DATABASE_URL (required), LOG_LEVEL.`,
  options: {},
});

async function main(): Promise<void> {
  const config = loadConfigOrExit(loadMigrationConfig);
  const logger = createLogger({ level: config.logLevel });
  const ran = await migrateUp({ databaseUrl: config.databaseUrl, log: (message) => logger.info(message) });
  logger.info(
    { migrations: ran },
    ran.length ? `applied ${ran.length} migration(s)` : 'database is up to date',
  );
  logger.flush();
}

runCli(module, MIGRATE, async () => {
  try {
    await main();
  } catch (error) {
    throw new Error(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
  }
});
