/** Stops what global setup started and removes its temp dir and databases. */
import { rmSync } from 'node:fs';
import { Client } from 'pg';
import { takeHarnessState } from './state';

export default async function globalTeardown(): Promise<void> {
  const state = takeHarnessState();
  if (!state) return;
  if (process.env.DATABASE_URL) {
    // an external server outlives the run: remove what this run created there
    const admin = new Client({ connectionString: state.adminUrl });
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE 'walks_test_%'",
      [state.templateDb],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.end();
  }
  await Promise.allSettled(state.stops.map((stop) => stop()));
  rmSync(state.tempDir, { recursive: true, force: true });
}
