/** SQL for policies; the only module of this component that talks to PostgreSQL. */
import type { Queryable } from '../db/pool';
import { ts } from '../walks/repository';
import type { Policy, PolicyFile } from './schemas';

const COLUMNS = `version,
  json_strip_nulls(json_build_object('ja', privacy_policy_ja, 'en', privacy_policy_en)) AS privacy_policy,
  json_strip_nulls(json_build_object('ja', terms_of_service_ja, 'en', terms_of_service_en)) AS terms_of_service,
  ${ts('effective_date')} AS effective_date, ${ts('published_at')} AS published_at`;

export async function findPolicy(db: Queryable, version: string): Promise<Policy | undefined> {
  const { rows } = await db.query<Policy>(`SELECT ${COLUMNS} FROM policies WHERE version = $1`, [version]);
  return rows[0];
}

export interface CurrentPolicy {
  readonly policy: Policy | undefined;
  /** When the next published version takes over (RFC 3339), if one is scheduled. */
  readonly nextEffectiveDate: string | undefined;
}

/** The version in effect at `now`: the latest effective_date not after it. */
export async function findCurrent(db: Queryable, now: Date): Promise<CurrentPolicy> {
  const { rows } = await db.query<Policy & { next_effective_date: string | null }>(
    `SELECT p.*, (SELECT ${ts('min(effective_date)')} FROM policies WHERE effective_date > $1) AS next_effective_date
     FROM (SELECT 1) one LEFT JOIN LATERAL (
       SELECT ${COLUMNS} FROM policies WHERE effective_date <= $1 ORDER BY effective_date DESC LIMIT 1) p ON true`,
    [now],
  );
  const row = rows[0]!;
  const { next_effective_date: next, ...policy } = row;
  return {
    policy: policy.version ? policy : undefined,
    nextEffectiveDate: next ?? undefined,
  };
}

/** Effective date of each given version that exists. */
export async function effectiveDates(
  db: Queryable,
  versions: readonly string[],
): Promise<Map<string, string>> {
  const { rows } = await db.query<{ version: string; effective_date: string }>(
    `SELECT version, ${ts('effective_date')} AS effective_date FROM policies WHERE version = ANY($1::text[])`,
    [versions],
  );
  return new Map(rows.map((r) => [r.version, r.effective_date]));
}

/** Inserts a new version; false when the version exists already. */
export async function insertPolicy(
  db: Queryable,
  file: PolicyFile,
  backdated: boolean,
  /** @default the database user (current_user) */
  publishedBy?: string,
): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO policies (version, privacy_policy_ja, privacy_policy_en, terms_of_service_ja,
       terms_of_service_en, effective_date, backdated, published_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8, current_user)) ON CONFLICT (version) DO NOTHING RETURNING 1`,
    [
      file.version,
      file.privacy_policy.ja,
      file.privacy_policy.en ?? null,
      file.terms_of_service.ja,
      file.terms_of_service.en ?? null,
      file.effective_date,
      backdated,
      publishedBy ?? null,
    ],
  );
  return rows.length > 0;
}

export interface PolicyListing {
  readonly version: string;
  readonly effective_date: string;
  readonly published_at: string;
  readonly published_by: string;
}

export async function listPolicies(db: Queryable): Promise<PolicyListing[]> {
  const { rows } = await db.query<PolicyListing>(
    `SELECT version, ${ts('effective_date')} AS effective_date, ${ts('published_at')} AS published_at, published_by
     FROM policies ORDER BY effective_date DESC`,
  );
  return rows;
}
