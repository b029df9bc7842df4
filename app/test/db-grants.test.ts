/**
 * The grant Job's SQL against real PostgreSQL, set up as Cloud SQL sets up a
 * database: owned by a NOLOGIN group role (cloudsqlsuperuser there), an
 * admin that is a member of it but no superuser, and a fresh service user
 * with no privileges. Without the grant the service's migrations fail on
 * PostgreSQL 15+; after it they run and the service user owns its tables.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrateUp, shippedMigrations } from '../src/db/migrate';
import { grantSchema, schemaGrantStatements } from '../src/db/grants';
import { databaseUrl, harnessValue } from './harness';

const suffix = randomBytes(4).toString('hex');
const ownerRole = `dbowner_${suffix}`;
const adminUser = `db-admin-${suffix}@project.iam`;
const serviceUser = `walk-service-${suffix}@project.iam`;
const database = `walks_grant_${suffix}`;

/** URL of `database` as `user` (the embedded server trusts local logins; the password is a placeholder). */
function urlAs(user: string): string {
  const url = new URL(databaseUrl(harnessValue('adminUrl'), database));
  url.username = encodeURIComponent(user);
  url.password = 'unused';
  return url.toString();
}

async function asSuperuser(sql: string[]): Promise<void> {
  const client = new Client({ connectionString: harnessValue('adminUrl') });
  await client.connect();
  try {
    for (const statement of sql) await client.query(statement);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await asSuperuser([
    `CREATE ROLE ${ownerRole} NOLOGIN`,
    `CREATE ROLE "${adminUser}" LOGIN PASSWORD 'unused' IN ROLE ${ownerRole}`,
    `CREATE ROLE "${serviceUser}" LOGIN PASSWORD 'unused'`,
    `CREATE DATABASE ${database} OWNER ${ownerRole}`,
  ]);
});

afterAll(async () => {
  await asSuperuser([
    `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`,
    `DROP ROLE IF EXISTS "${serviceUser}"`,
    `DROP ROLE IF EXISTS "${adminUser}"`,
    `DROP ROLE IF EXISTS ${ownerRole}`,
  ]);
});

describe('schema grant for a new IAM database user (PostgreSQL 15+)', () => {
  it('quotes the user as an identifier', () => {
    expect(schemaGrantStatements('walk-pr-1@p.iam')).toEqual([
      'GRANT USAGE, CREATE ON SCHEMA public TO "walk-pr-1@p.iam"',
    ]);
    expect(schemaGrantStatements('a"b')[0]).toContain('"a""b"');
  });

  it('lets a fresh non-superuser run every migration once a non-superuser admin granted it', async () => {
    await expect(migrateUp({ databaseUrl: urlAs(serviceUser) })).rejects.toThrow(
      /permission denied for schema public/,
    );

    await grantSchema(urlAs(adminUser), serviceUser);
    await grantSchema(urlAs(adminUser), serviceUser); // idempotent: a redeploy runs it again

    expect(await migrateUp({ databaseUrl: urlAs(serviceUser) })).toEqual(shippedMigrations());
    const client = new Client({ connectionString: urlAs(serviceUser) });
    await client.connect();
    try {
      const { rows } = await client.query<{ owners: string[]; supers: boolean[] }>(
        `SELECT array_agg(DISTINCT tableowner::text) AS owners,
                (SELECT array_agg(rolsuper ORDER BY rolname) FROM pg_roles WHERE rolname IN ($1, $2)) AS supers
           FROM pg_tables WHERE schemaname = 'public'`,
        [adminUser, serviceUser],
      );
      expect(rows[0]).toEqual({ owners: [serviceUser], supers: [false, false] });
    } finally {
      await client.end();
    }
  });
});
