/** SQL of the sessions component (tables from migration 0002, users from 0001). */
import type { PoolClient, Queryable } from '../db/pool';

/** account_disabled: disabled or deleted in Firebase; account_revoked: Firebase tokens revoked after the login. */
export type RevokedReason = 'logout' | 'logout_all' | 'reuse' | 'account_disabled' | 'account_revoked';

export interface UserRow {
  readonly id: string;
  readonly email: string | null;
  readonly displayName: string | null;
}

interface UserRecord {
  id: string;
  email: string | null;
  display_name: string | null;
}

const toUser = (row: UserRecord): UserRow => ({
  id: row.id,
  email: row.email,
  displayName: row.display_name,
});

/** Creates the user or refreshes their email and display name from the verified ID token. */
export async function upsertUser(db: Queryable, user: UserRow, now: Date): Promise<UserRow> {
  const { rows } = await db.query<UserRecord>(
    `INSERT INTO users (id, email, display_name, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $4)
     ON CONFLICT (id) DO UPDATE
       SET email = EXCLUDED.email, display_name = EXCLUDED.display_name, updated_at = EXCLUDED.updated_at
     RETURNING id, email, display_name`,
    [user.id, user.email, user.displayName, now],
  );
  return toUser(rows[0] as UserRecord);
}

export async function insertFamily(
  db: Queryable,
  family: { id: string; userId: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO session_families (id, user_id, created_at, last_refreshed_at, expires_at)
     VALUES ($1, $2, $3, $3, $4)`,
    [family.id, family.userId, family.createdAt, family.expiresAt],
  );
}

export async function insertRefreshToken(
  db: Queryable,
  token: { hash: Buffer; familyId: string; issuedAt: Date; expiresAt: Date },
): Promise<void> {
  await db.query(
    `INSERT INTO session_refresh_tokens (token_hash, family_id, issued_at, expires_at) VALUES ($1, $2, $3, $4)`,
    [token.hash, token.familyId, token.issuedAt, token.expiresAt],
  );
}

export interface RefreshTokenOwner {
  readonly familyId: string;
  readonly userId: string;
  readonly familyCreatedAt: Date;
  readonly used: boolean;
  readonly familyRevoked: boolean;
}

/** Whose token this is, read without locks (to consult Firebase before the locking transaction). */
export async function findRefreshTokenOwner(
  db: Queryable,
  hash: Buffer,
): Promise<RefreshTokenOwner | undefined> {
  const { rows } = await db.query<{
    family_id: string;
    user_id: string;
    created_at: Date;
    used: boolean;
    revoked: boolean;
  }>(
    `SELECT t.family_id, f.user_id, f.created_at, t.used_at IS NOT NULL AS used, f.revoked_at IS NOT NULL AS revoked
       FROM session_refresh_tokens t JOIN session_families f ON f.id = t.family_id
      WHERE t.token_hash = $1`,
    [hash],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    familyId: row.family_id,
    userId: row.user_id,
    familyCreatedAt: row.created_at,
    used: row.used,
    familyRevoked: row.revoked,
  };
}

export interface RefreshTokenState {
  readonly familyId: string;
  readonly userId: string;
  readonly tokenExpiresAt: Date;
  readonly usedAt: Date | null;
  readonly familyExpiresAt: Date;
  readonly familyRevokedAt: Date | null;
}

/**
 * The token and its family, both locked until the transaction ends: a second
 * refresh with the same token waits here and then sees `usedAt` set.
 */
export async function lockRefreshToken(db: PoolClient, hash: Buffer): Promise<RefreshTokenState | undefined> {
  const { rows } = await db.query<{
    family_id: string;
    user_id: string;
    expires_at: Date;
    used_at: Date | null;
    family_expires_at: Date;
    revoked_at: Date | null;
  }>(
    `SELECT t.family_id, f.user_id, t.expires_at, t.used_at, f.expires_at AS family_expires_at, f.revoked_at
       FROM session_refresh_tokens t JOIN session_families f ON f.id = t.family_id
      WHERE t.token_hash = $1
        FOR UPDATE OF t, f`,
    [hash],
  );
  const row = rows[0];
  if (!row) return undefined;
  return {
    familyId: row.family_id,
    userId: row.user_id,
    tokenExpiresAt: row.expires_at,
    usedAt: row.used_at,
    familyExpiresAt: row.family_expires_at,
    familyRevokedAt: row.revoked_at,
  };
}

export async function markRefreshTokenUsed(db: Queryable, hash: Buffer, now: Date): Promise<void> {
  await db.query('UPDATE session_refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL', [
    hash,
    now,
  ]);
}

export async function touchFamily(db: Queryable, familyId: string, now: Date): Promise<void> {
  await db.query('UPDATE session_families SET last_refreshed_at = $2 WHERE id = $1', [familyId, now]);
}

export async function findUser(db: Queryable, id: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRecord>('SELECT id, email, display_name FROM users WHERE id = $1', [
    id,
  ]);
  return rows[0] ? toUser(rows[0]) : undefined;
}

/** Revokes one family (of this user); returns whether it was live. */
export async function revokeFamily(
  db: Queryable,
  familyId: string,
  reason: RevokedReason,
  now: Date,
  userId?: string,
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE session_families SET revoked_at = $2, revoked_reason = $3
      WHERE id = $1 AND revoked_at IS NULL AND ($4::text IS NULL OR user_id = $4)`,
    [familyId, now, reason, userId ?? null],
  );
  return (rowCount ?? 0) > 0;
}

/** Revokes every live family of the user; returns their ids. */
export async function revokeUserFamilies(db: Queryable, userId: string, now: Date): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE session_families SET revoked_at = $2, revoked_reason = 'logout_all'
      WHERE user_id = $1 AND revoked_at IS NULL
      RETURNING id`,
    [userId, now],
  );
  return rows.map((row) => row.id);
}

export async function revokedFamiliesSince(
  db: Queryable,
  since: Date,
): Promise<Array<{ id: string; revokedAt: Date }>> {
  const { rows } = await db.query<{ id: string; revoked_at: Date }>(
    'SELECT id, revoked_at FROM session_families WHERE revoked_at >= $1',
    [since],
  );
  return rows.map((row) => ({ id: row.id, revokedAt: row.revoked_at }));
}

/**
 * Deletes at most `limit` expired refresh tokens and at most `limit` families
 * that expired or were revoked before `familiesDeadBefore` (their tokens go
 * with them). SKIP LOCKED: replicas pruning at once never wait on each other.
 */
export async function pruneExpired(
  db: Queryable,
  now: Date,
  familiesDeadBefore: Date,
  limit: number,
): Promise<{ tokens: number; families: number }> {
  const tokens = await db.query(
    `DELETE FROM session_refresh_tokens WHERE token_hash IN (
       SELECT token_hash FROM session_refresh_tokens WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [now, limit],
  );
  const families = await db.query(
    `DELETE FROM session_families WHERE id IN (
       SELECT id FROM session_families WHERE expires_at < $1 OR revoked_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
    [familiesDeadBefore, limit],
  );
  return { tokens: tokens.rowCount ?? 0, families: families.rowCount ?? 0 };
}
