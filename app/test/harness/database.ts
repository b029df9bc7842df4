/** A fresh, migrated database per test file, copied from the run's template. */
import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
import { databaseUrl, harnessValue } from './env';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** A small pool for arranging and asserting rows directly. */
  readonly pool: Pool;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: harnessValue('adminUrl') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A new database: migrated (copied from the template) unless `migrated: false`, then empty. */
export async function createTestDatabase({ migrated = true } = {}): Promise<TestDatabase> {
  const name = `walks_test_${randomBytes(6).toString('hex')}`;
  const template = migrated ? harnessValue('templateDb') : 'template0';
  await admin((client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const url = databaseUrl(harnessValue('adminUrl'), name);
  const pool = new Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined);
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
