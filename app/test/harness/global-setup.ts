/**
 * Once per jest run: one PostgreSQL 17 (embedded on a free port in a temp
 * dir, or the server of DATABASE_URL when set), one migrated template
 * database, and one Firebase Auth emulator. Workers get their URLs via env.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { EMULATOR_PROJECT_ID, startThrowawayAuthEmulator } from '../../dev/auth-emulator';
import { startEmbeddedPostgres } from '../../dev/embedded-postgres';
import { freePort } from '../../dev/ports';
import { migrateUp } from '../../src/db/migrate';
import { databaseUrl, HARNESS_ENV } from './env';
import { setHarnessState } from './state';

async function startPostgres(tempDir: string) {
  const external = process.env.DATABASE_URL;
  if (external) return { adminUrl: external, stop: async () => undefined };
  const pg = await startEmbeddedPostgres({
    dataDir: path.join(tempDir, 'pg'),
    port: await freePort(),
    persistent: false,
    fast: true,
  });
  return { adminUrl: pg.url(), stop: () => pg.stop() };
}

export default async function globalSetup(): Promise<void> {
  const tempDir = mkdtempSync(path.join(tmpdir(), 'walk-service-test-'));
  chmodSync(tempDir, 0o755); // PostgreSQL runs as its own OS user when the run is root
  const [postgres, emulator] = await Promise.all([startPostgres(tempDir), startThrowawayAuthEmulator()]);
  const templateDb = `walks_template_${process.pid}`;
  const admin = new Client({ connectionString: postgres.adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${templateDb}`);
  await admin.query(`CREATE DATABASE ${templateDb}`);
  await admin.end();
  await migrateUp({ databaseUrl: databaseUrl(postgres.adminUrl, templateDb) });

  process.env[HARNESS_ENV.adminUrl] = postgres.adminUrl;
  process.env[HARNESS_ENV.templateDb] = templateDb;
  process.env[HARNESS_ENV.emulatorHost] = emulator.host;
  process.env[HARNESS_ENV.projectId] = EMULATOR_PROJECT_ID;
  setHarnessState({
    tempDir,
    templateDb,
    adminUrl: postgres.adminUrl,
    stops: [emulator.stop, postgres.stop],
  });
}
