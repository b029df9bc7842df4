/**
 * The SQL and grant steps of runbooks/database.md and runbooks/cutover.md,
 * rehearsed on the real PostgreSQL with Cloud SQL's roles: the tables belong
 * to walk-service's IAM user (migrations ran as it), `postgres` is only a
 * member of cloudsqlsuperuser, and the cutover's identity is a third user.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, types } from 'pg';
import { runSqlScript } from '../src/db/sql-cli';
import { migrateUp } from '../src/db/migrate';
import { createTestDatabase, databaseUrl, harnessValue, type TestDatabase } from './harness';

const SQL_DIR = path.join(__dirname, '..', '..', 'runbooks', 'sql');
const OWNER = 'walk-service@tekutoko-test-example.iam';
const MIGRATION = 'firestore-migration@tekutoko-test-example.iam';
/** Cloud SQL's CSV import/export user (https://cloud.google.com/sql/docs/postgres/users). */
const EXPORT = 'cloudsqlimportexport';
const suffix = Math.random().toString(36).slice(2, 8);
/** Role names are cluster-wide: suffixed so parallel test files never meet. */
const role = (name: string) => (name.includes('@') ? name.replace('@', `-${suffix}@`) : `${name}-${suffix}`);

/** A runbook SQL file with its placeholders filled, as scripts/ops-job.ts does. */
function script(file: string): string {
  return readFileSync(path.join(SQL_DIR, file), 'utf8').replaceAll(
    '{{firestore_migration_user}}',
    role(MIGRATION),
  );
}

function urlAs(user: string, dbName: string): string {
  const url = new URL(databaseUrl(harnessValue('adminUrl'), dbName));
  url.username = encodeURIComponent(user);
  url.password = 'rehearsal';
  return url.toString();
}

/** Timestamps as PostgreSQL's text (microseconds kept), as CSV export and import carry them, not as JS Dates. */
const TEXT_TIMESTAMPS = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === types.builtins.TIMESTAMPTZ || oid === types.builtins.TIMESTAMP
      ? (value: string) => value
      : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
};

async function asUser<T>(user: string, dbName: string, work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: urlAs(user, dbName), types: TEXT_TIMESTAMPS });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

let db: TestDatabase;
let admin: Client;

beforeAll(async () => {
  admin = new Client({ connectionString: harnessValue('adminUrl') });
  await admin.connect();
  // Cloud SQL's shape: cloudsqlsuperuser without SUPERUSER; postgres in it; IAM users plain LOGIN roles.
  await admin.query(`DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cloudsqlsuperuser') THEN
      CREATE ROLE cloudsqlsuperuser NOLOGIN CREATEROLE CREATEDB; END IF; END $$`);
  await admin.query(
    `CREATE ROLE "${role('postgres')}" LOGIN CREATEROLE CREATEDB PASSWORD 'rehearsal' IN ROLE cloudsqlsuperuser`,
  );
  for (const user of [OWNER, MIGRATION])
    await admin.query(`CREATE ROLE "${role(user)}" LOGIN PASSWORD 'rehearsal'`);
  // The user `gcloud sql export csv` reads as: a cloudsqlsuperuser member, like postgres.
  await admin.query(`CREATE ROLE "${role(EXPORT)}" LOGIN PASSWORD 'rehearsal' IN ROLE cloudsqlsuperuser`);
  db = await createTestDatabase({ migrated: false });
  // docs/deploy.md's one-time grant, then the migrations Job as the IAM user.
  await db.pool.query(`GRANT ALL ON SCHEMA public TO "${role(OWNER)}"`);
  await migrateUp({ databaseUrl: urlAs(role(OWNER), db.name) });
});

afterAll(async () => {
  await db?.drop();
  for (const user of ['postgres', OWNER, MIGRATION, EXPORT])
    await admin?.query(`DROP ROLE IF EXISTS "${role(user)}"`);
  await admin?.end();
});

const WALK = {
  id: '0b6c2a2e-5d0e-4b7e-9a51-3f2d1c0b9a88',
  user_id: 'uid-restore',
};

async function seed(): Promise<void> {
  await asUser(role(OWNER), db.name, async (c) => {
    await c.query(
      `INSERT INTO users (id, email, auth_provider) VALUES ($1, 'r@example.com', 'google.com') ON CONFLICT DO NOTHING`,
      [WALK.user_id],
    );
    await c.query(
      `INSERT INTO consents (user_id, consent_id, policy_version, consented_at, consent_type, device_platform)
       VALUES ($1, 'consent-1', '2026-10', '2026-11-01T00:00:00.654321Z', 'initial', 'iOS') ON CONFLICT DO NOTHING`,
      [WALK.user_id],
    );
    await c.query(
      `INSERT INTO walks (id, user_id, title, status, start_time, end_time)
       VALUES ($1, $2, 'morning', 'completed', '2026-11-20T06:00:00.123456Z', '2026-11-20T07:00:00Z')`,
      [WALK.id, WALK.user_id],
    );
    await c.query(
      `INSERT INTO walk_locations (walk_id, sequence_number, latitude, longitude, "timestamp")
       SELECT $1, n, 35 + n / 1000.0, 139, '2026-11-20T06:00:00Z'::timestamptz + n * interval '1 s'
         FROM generate_series(0, 9) n`,
      [WALK.id],
    );
  });
}

const snapshot = () =>
  asUser(role(OWNER), db.name, async (c) => ({
    user: (await c.query('SELECT * FROM users WHERE id = $1', [WALK.user_id])).rows,
    consents: (await c.query('SELECT * FROM consents WHERE user_id = $1', [WALK.user_id])).rows,
    walk: (await c.query('SELECT * FROM walks WHERE id = $1', [WALK.id])).rows,
    locations: (
      await c.query('SELECT * FROM walk_locations WHERE walk_id = $1 ORDER BY sequence_number', [WALK.id])
    ).rows,
  }));

it('postgres (cloudsqlsuperuser) cannot write the tables the IAM user owns: the old runbook step fails', async () => {
  const error = await asUser(role('postgres'), db.name, (c) =>
    c.query(`INSERT INTO users (id) VALUES ('x')`),
  ).catch((e: Error) => e);
  expect((error as Error).message).toBe('permission denied for table users');
});

it('partial restore: staging tables by the owner, rows loaded as postgres, merged by the owner', async () => {
  await seed();
  const before = await snapshot();
  // What `gcloud sql export csv` takes from the clone (here: the same database before the
  // damage) as the import/export user: refused until the owner ran the export grant.
  const exportQuery = (c: Client) => c.query('SELECT * FROM walks WHERE id = $1', [WALK.id]);
  const refused = await asUser(role(EXPORT), db.name, exportQuery).catch((e: Error) => e);
  expect((refused as Error).message).toBe('permission denied for table walks');
  await runSqlScript(urlAs(role(OWNER), db.name), script('restore-export-grant.sql'));
  const exported = await asUser(role(EXPORT), db.name, async (c) => ({
    users: (await c.query('SELECT * FROM users WHERE id = $1', [WALK.user_id])).rows,
    walks: (await c.query('SELECT * FROM walks WHERE id = $1', [WALK.id])).rows,
    locations: (await c.query('SELECT * FROM walk_locations WHERE walk_id = $1', [WALK.id])).rows,
    consents: (await c.query('SELECT * FROM consents WHERE user_id = $1', [WALK.user_id])).rows,
  }));
  expect(exported.walks[0].start_time).toBe('2026-11-20 06:00:00.123456+00');
  // The damage: the walk and the user's consent record.
  await asUser(role(OWNER), db.name, async (c) => {
    await c.query('DELETE FROM walks WHERE id = $1', [WALK.id]);
    await c.query('DELETE FROM consents WHERE user_id = $1', [WALK.user_id]);
  });

  await runSqlScript(urlAs(role(OWNER), db.name), script('restore-prepare.sql'));
  // `gcloud sql import csv … --user=postgres` into the staging tables.
  await asUser(role('postgres'), db.name, async (c) => {
    for (const [table, rows] of [
      ['restore_users', exported.users],
      ['restore_walks', exported.walks],
      ['restore_walk_locations', exported.locations],
      ['restore_consents', exported.consents],
    ] as const) {
      for (const row of rows) {
        const cols = Object.keys(row);
        await c.query(
          `INSERT INTO ${table} (${cols.map((k) => `"${k}"`).join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})`,
          Object.values(row),
        );
      }
    }
  });
  const [counts] = await runSqlScript(urlAs(role(OWNER), db.name), script('restore-merge.sql'));
  expect(counts).toEqual([{ users: 0, walks: 1, locations: 10, consents: 1 }]);
  expect(await snapshot()).toEqual(before); // every column, timestamps compared as text: microseconds included
  const left = await db.pool.query(
    "SELECT count(*)::int AS n FROM pg_tables WHERE tablename LIKE 'restore_%'",
  );
  expect(left.rows[0].n).toBe(0);

  // A second merge never overwrites a row written since: rerun with a changed copy.
  await runSqlScript(urlAs(role(OWNER), db.name), script('restore-prepare.sql'));
  await asUser(role('postgres'), db.name, (c) =>
    c.query(
      `INSERT INTO restore_walks (id, user_id, title, description, status, total_paused_duration, total_distance, total_steps, version, created_at, updated_at, sort_time)
       VALUES ($1, $2, 'stale copy', '', 'not_started', 0, 0, 0, 1, now(), now(), now())`,
      [WALK.id, WALK.user_id],
    ),
  );
  const [again] = await runSqlScript(urlAs(role(OWNER), db.name), script('restore-merge.sql'));
  expect(again).toEqual([{ users: 0, walks: 0, locations: 0, consents: 0 }]);
  expect((await snapshot()).walk[0].title).toBe('morning');
});

it('the cutover identity can write the tables once the owner granted them, and not before', async () => {
  const write = () =>
    asUser(role(MIGRATION), db.name, (c) =>
      c.query(
        `INSERT INTO users (id) VALUES ('uid-cutover') ON CONFLICT (id) DO UPDATE SET email = 'c@example.com'`,
      ),
    );
  expect(((await write().catch((e: Error) => e)) as Error).message).toMatch(/permission denied/);
  await runSqlScript(urlAs(role(OWNER), db.name), script('grant-firestore-migration.sql'));
  await write();
  await asUser(role(MIGRATION), db.name, async (c) => {
    expect((await c.query('SELECT count(*)::int AS n FROM firestore_migration_ledger')).rows[0].n).toBe(0);
  });
});

it('a failing script changes nothing (one transaction)', async () => {
  const error = await runSqlScript(
    urlAs(role(OWNER), db.name),
    'CREATE TABLE restore_users (LIKE users); SELECT 1/0;',
  ).catch((e: Error) => e);
  expect((error as Error).message).toBe('division by zero');
  const left = await db.pool.query("SELECT to_regclass('restore_users') IS NULL AS gone");
  expect(left.rows[0].gone).toBe(true);
});
