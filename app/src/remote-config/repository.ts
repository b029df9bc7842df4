/** SQL for remote configuration templates; the only module of this component that talks to PostgreSQL. */
import type { Queryable } from '../db/pool';
import { ts } from '../walks/repository';
import type { TemplateChanges } from './evaluate';
import type { Template } from './schemas';

export interface TemplateVersion {
  readonly version: number;
  readonly template: Template;
  readonly description: string;
  readonly changes: TemplateChanges | Record<string, never>;
  readonly rollback_of: number | null;
  readonly published_at: string;
  readonly published_by: string;
}

const COLUMNS = `version, template, description, changes, rollback_of, ${ts('published_at')} AS published_at, published_by`;

export async function latestTemplate(db: Queryable): Promise<TemplateVersion | undefined> {
  const { rows } = await db.query<TemplateVersion>(
    `SELECT ${COLUMNS} FROM config_templates ORDER BY version DESC LIMIT 1`,
  );
  return rows[0];
}

export async function findTemplate(db: Queryable, version: number): Promise<TemplateVersion | undefined> {
  const { rows } = await db.query<TemplateVersion>(
    `SELECT ${COLUMNS} FROM config_templates WHERE version = $1`,
    [version],
  );
  return rows[0];
}

/** Writers queue here; readers (GET /v1/config) are not blocked. Held until the transaction ends. */
export async function lockForPublish(db: Queryable): Promise<void> {
  await db.query('LOCK TABLE config_templates IN EXCLUSIVE MODE');
}

export async function insertTemplate(
  db: Queryable,
  row: Pick<TemplateVersion, 'version' | 'template' | 'description' | 'changes' | 'rollback_of'> & {
    /** @default the database user (current_user) */
    readonly published_by: string | undefined;
  },
): Promise<TemplateVersion> {
  const { rows } = await db.query<TemplateVersion>(
    `INSERT INTO config_templates (version, template, description, changes, rollback_of, published_by)
     VALUES ($1, $2, $3, $4, $5, coalesce($6, current_user)) RETURNING ${COLUMNS}`,
    [
      row.version,
      JSON.stringify(row.template),
      row.description,
      JSON.stringify(row.changes),
      row.rollback_of,
      row.published_by ?? null,
    ],
  );
  return rows[0]!;
}

/** Versions newest first, without their templates. */
export async function listVersions(
  db: Queryable,
  limit: number,
): Promise<Omit<TemplateVersion, 'template'>[]> {
  const { rows } = await db.query<Omit<TemplateVersion, 'template'>>(
    `SELECT version, description, changes, rollback_of, ${ts('published_at')} AS published_at, published_by
     FROM config_templates ORDER BY version DESC LIMIT $1`,
    [limit],
  );
  return rows;
}
