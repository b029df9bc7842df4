/** SQL for consents; the only module of this component that talks to PostgreSQL. */
import type { Queryable } from '../db/pool';
import { ts } from '../walks/repository';
import type { Consent, ConsentInput } from './schemas';

export interface ListPosition {
  readonly time: string;
  readonly id: string;
}

const COLUMNS = `consent_id AS id, policy_version, consent_type, ${ts('consented_at')} AS consented_at,
  device_platform, device_os_version, device_app_version`;

/** Inserts the consent; the stored one when its id exists already (a retry), with `created` false. */
export async function insertConsent(
  db: Queryable,
  userId: string,
  input: ConsentInput,
  now: Date,
): Promise<{ consent: Consent; created: boolean }> {
  const { rows } = await db.query<Consent>(
    `INSERT INTO consents (user_id, consent_id, policy_version, consent_type, consented_at,
       device_platform, device_os_version, device_app_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (user_id, consent_id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      userId,
      input.id,
      input.policy_version,
      input.consent_type,
      now,
      input.device_platform,
      input.device_os_version,
      input.device_app_version,
    ],
  );
  if (rows[0]) return { consent: rows[0], created: true };
  const existing = await db.query<Consent>(
    `SELECT ${COLUMNS} FROM consents WHERE user_id = $1 AND consent_id = $2`,
    [userId, input.id],
  );
  return { consent: existing.rows[0]!, created: false };
}

/** One page of the user's consents, newest first, strictly after `after`. */
export async function listConsents(
  db: Queryable,
  userId: string,
  after: ListPosition | undefined,
  limit: number,
): Promise<Consent[]> {
  const { rows } = await db.query<Consent>(
    `SELECT ${COLUMNS} FROM consents
     WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (consented_at, consent_id) < ($2::timestamptz, $3::text))
     ORDER BY consented_at DESC, consent_id DESC LIMIT $4`,
    [userId, after?.time ?? null, after?.id ?? null, limit],
  );
  return rows;
}

/**
 * The version the user has consented to: since their last withdrawal, the
 * consented version with the latest effective date (a version unknown here,
 * e.g. migrated from Firestore, ranks below known ones), then the latest consent.
 */
export async function consentedVersion(db: Queryable, userId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ policy_version: string }>(
    `SELECT c.policy_version FROM consents c LEFT JOIN policies p ON p.version = c.policy_version
     WHERE c.user_id = $1 AND c.consent_type <> 'withdrawal'
       AND c.consented_at > coalesce((SELECT max(consented_at) FROM consents
                                      WHERE user_id = $1 AND consent_type = 'withdrawal'), '-infinity')
     ORDER BY p.effective_date DESC NULLS LAST, c.consented_at DESC, c.consent_id DESC LIMIT 1`,
    [userId],
  );
  return rows[0]?.policy_version;
}
