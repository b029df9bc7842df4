/**
 * `npm run migrate` / `node dist/app/db/migrate-cli.js`: applies pending
 * migrations to DATABASE_URL and exits; the deploy runs it as a Job before
 * the new release starts.
 */
import { loadConfigOrExit, loadMigrationConfig } from '../config';
import { createLogger } from '../observability/logger';
import { migrateUp } from './migrate';

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

main().catch((error: unknown) => {
  process.stderr.write(`migration failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
