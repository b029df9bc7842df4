/**
 * What the share-image worker's own database user may do (contract of issue
 * 19, ADR 0257): read the walks it renders, claim and update jobs. No DDL, no
 * INSERT or DELETE anywhere, no other table. Run by the migrations Job as the
 * service's user (the owner of the tables) after the migrations; idempotent,
 * and exact: earlier grants of this owner to the worker are revoked first, so
 * a release that narrows the list takes effect.
 */
import { escapeIdentifier, type ClientBase } from 'pg';
import { inTransaction } from './pool';

/** Columns the worker writes: the claim, the lease, the result (max_attempts: a release on shutdown, ADR 0264). */
export const WORKER_UPDATABLE_JOB_COLUMNS = [
  'status',
  'attempts',
  'max_attempts',
  'run_after',
  'lease_expires_at',
  'object_key',
  'error_code',
  'error_message',
  'updated_at',
  'finished_at',
] as const;

/** The statements, for review and for the runbooks; `user` is quoted as an identifier. */
export function workerGrantStatements(user: string): string[] {
  const role = escapeIdentifier(user);
  return [
    `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role}`,
    `GRANT SELECT ON walks, walk_locations TO ${role}`,
    `GRANT SELECT, UPDATE (${WORKER_UPDATABLE_JOB_COLUMNS.join(', ')}) ON share_image_jobs TO ${role}`,
  ];
}

export class WorkerRoleMissingError extends Error {
  constructor(user: string) {
    super(
      `WORKER_DATABASE_USER names ${user}, which is not a role of this database server; ` +
        'create the worker IAM database user (the platform stack does) or unset the variable',
    );
    this.name = 'WorkerRoleMissingError';
  }
}

/** Grants the worker its rights on the client's database, in one transaction. */
export async function grantWorker(client: ClientBase, user: string): Promise<void> {
  const { rows } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
  if (rows.length === 0) throw new WorkerRoleMissingError(user);
  await inTransaction(client, async () => {
    for (const statement of workerGrantStatements(user)) await client.query(statement);
  });
}
