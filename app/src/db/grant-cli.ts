/**
 * `node dist/app/db/grant-cli.js`: lets DATABASE_GRANTEE create (and own) its
 * tables in the database of DATABASE_URL. The deploy runs it as a Job, as the
 * environment's database admin, before the migrations Job.
 */
import { loadConfigOrExit, loadGrantConfig } from '../config';
import { createLogger } from '../observability/logger';
import { grantSchema } from './grants';

async function main(): Promise<void> {
  const config = loadConfigOrExit(loadGrantConfig);
  const logger = createLogger({ level: config.logLevel });
  await grantSchema(config.databaseUrl, config.grantee);
  logger.info({ grantee: config.grantee }, 'schema privileges granted');
  logger.flush();
}

main().catch((error: unknown) => {
  process.stderr.write(`grant failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
