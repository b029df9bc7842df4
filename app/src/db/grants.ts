/**
 * What a new IAM database user needs before its migrations can run: since
 * PostgreSQL 15 the `public` schema grants PUBLIC no CREATE, and Cloud SQL
 * gives an IAM user no privileges at all. The service's user then creates,
 * and so owns, every table it uses. Run by a member of `cloudsqlsuperuser`
 * (the database owner's role on Cloud SQL); idempotent.
 */
import { Client, escapeIdentifier } from 'pg';
import { inTransaction } from './pool';

/** The statements, for review and for the runbooks; `user` is quoted as an identifier. */
export function schemaGrantStatements(user: string): string[] {
  const role = escapeIdentifier(user);
  return [`GRANT USAGE, CREATE ON SCHEMA public TO ${role}`];
}

/** Runs the grants on the database of `databaseUrl` in one transaction. */
export async function grantSchema(databaseUrl: string, user: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await inTransaction(client, async () => {
      for (const statement of schemaGrantStatements(user)) await client.query(statement);
    });
  } finally {
    await client.end();
  }
}
