/**
 * The migration's SQL: its bookkeeping tables (ledger, checkpoint, quarantine),
 * consents, and reading walks back for reconciliation and verification.
 */
import type { PoolClient } from 'pg';
import type { Queryable } from '../db/pool';
import { insertWalk, replaceWalk, ts } from '../walks/repository';
import {
  toWalkWrite,
  type Quarantined,
  type TargetConsent,
  type TargetLocation,
  type TargetWalk,
} from './mapping';
import type { LedgerEntry } from './reconcile';

export type Phase = 'walks' | 'deletions' | 'consents' | 'accounts' | 'done';

export interface Checkpoint {
  readonly phase: Phase;
  readonly cursor: unknown;
  readonly counts: unknown;
  readonly completedAt: Date | null;
}

/** Fixed key of the advisory lock that keeps two runs from interleaving. */
const RUN_LOCK_KEY = 0x4653_4d47; // "FSMG"

export async function tryRunLock(client: PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [
    RUN_LOCK_KEY,
  ]);
  return rows[0]?.locked === true;
}

export async function releaseRunLock(client: PoolClient): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1)', [RUN_LOCK_KEY]);
}

export async function loadCheckpoint(db: Queryable, scopeKey: string): Promise<Checkpoint | undefined> {
  const { rows } = await db.query<{
    phase: Phase;
    cursor: unknown;
    counts: unknown;
    completed_at: Date | null;
  }>('SELECT phase, cursor, counts, completed_at FROM firestore_migration_checkpoints WHERE scope_key = $1', [
    scopeKey,
  ]);
  const row = rows[0];
  return row && { phase: row.phase, cursor: row.cursor, counts: row.counts, completedAt: row.completed_at };
}

/** Starts a fresh run of a scope (after a completed one, or the first ever). */
export async function startCheckpoint(db: Queryable, scopeKey: string): Promise<void> {
  await db.query(
    `INSERT INTO firestore_migration_checkpoints (scope_key, phase, cursor, counts)
     VALUES ($1, 'walks', NULL, '{}')
     ON CONFLICT (scope_key) DO UPDATE SET phase = 'walks', cursor = NULL, counts = '{}',
       started_at = now(), updated_at = now(), completed_at = NULL`,
    [scopeKey],
  );
}

export async function saveCheckpoint(
  db: Queryable,
  scopeKey: string,
  phase: Phase,
  cursor: unknown,
  counts: unknown,
): Promise<void> {
  await db.query(
    `UPDATE firestore_migration_checkpoints
     SET phase = $2, cursor = $3, counts = $4, updated_at = now(),
         completed_at = CASE WHEN $2 = 'done' THEN now() END
     WHERE scope_key = $1`,
    [scopeKey, phase, JSON.stringify(cursor ?? null), JSON.stringify(counts)],
  );
}

export async function ledgerEntries(db: Queryable, sourcePaths: string[]): Promise<Map<string, LedgerEntry>> {
  const { rows } = await db.query<{
    source_path: string;
    content_hash: string;
    written_version: number | null;
    source_update_time: string | null;
  }>(
    `SELECT source_path, content_hash, written_version, source_update_time FROM firestore_migration_ledger
     WHERE source_path = ANY($1::text[])`,
    [sourcePaths],
  );
  return new Map(
    rows.map((row) => [
      row.source_path,
      {
        contentHash: row.content_hash,
        writtenVersion: row.written_version,
        sourceUpdateTime: row.source_update_time,
      },
    ]),
  );
}

/** Firestore update times the ledger holds for these documents (absent: never taken). */
export async function ledgerUpdateTimes(db: Queryable, sourcePaths: string[]): Promise<Map<string, string>> {
  const { rows } = await db.query<{ source_path: string; source_update_time: string | null }>(
    `SELECT source_path, source_update_time FROM firestore_migration_ledger WHERE source_path = ANY($1::text[])`,
    [sourcePaths],
  );
  return new Map(rows.map((row) => [row.source_path, row.source_update_time ?? '']));
}

/** A document read again that needed no write: remember the update time it was read at. */
export async function touchLedger(db: Queryable, entries: { sourcePath: string; updateTime: string }[]) {
  if (entries.length === 0) return;
  await db.query(
    `UPDATE firestore_migration_ledger l SET source_update_time = t.time
     FROM unnest($1::text[], $2::text[]) AS t(path, time)
     WHERE l.source_path = t.path AND l.source_update_time IS DISTINCT FROM t.time`,
    [entries.map((e) => e.sourcePath), entries.map((e) => e.updateTime)],
  );
}

export interface LedgerWrite {
  readonly sourcePath: string;
  readonly kind: 'walk' | 'consent';
  readonly userId: string;
  readonly targetId: string;
  readonly contentHash: string;
  readonly writtenVersion: number | null;
  readonly sourceUpdateTime: string;
}

export async function writeLedger(db: Queryable, entries: LedgerWrite[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO firestore_migration_ledger
       (source_path, kind, user_id, target_id, content_hash, written_version, source_update_time)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[])
     ON CONFLICT (source_path) DO UPDATE SET content_hash = EXCLUDED.content_hash,
       written_version = EXCLUDED.written_version, user_id = EXCLUDED.user_id,
       source_update_time = EXCLUDED.source_update_time, migrated_at = now()
     WHERE (firestore_migration_ledger.content_hash, firestore_migration_ledger.written_version,
            firestore_migration_ledger.source_update_time, firestore_migration_ledger.user_id)
       IS DISTINCT FROM (EXCLUDED.content_hash, EXCLUDED.written_version, EXCLUDED.source_update_time, EXCLUDED.user_id)`,
    [
      entries.map((e) => e.sourcePath),
      entries.map((e) => e.kind),
      entries.map((e) => e.userId),
      entries.map((e) => e.targetId),
      entries.map((e) => e.contentHash),
      entries.map((e) => e.writtenVersion),
      entries.map((e) => e.sourceUpdateTime),
    ],
  );
}

export interface QuarantineWrite extends Quarantined {
  readonly sourcePath: string;
  readonly kind: 'walk' | 'consent';
  readonly userId: string | null;
}

export async function writeQuarantine(db: Queryable, entries: QuarantineWrite[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO firestore_migration_quarantine (source_path, kind, user_id, reason, detail)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
     ON CONFLICT (source_path) DO UPDATE SET reason = EXCLUDED.reason, detail = EXCLUDED.detail,
       user_id = EXCLUDED.user_id, last_seen_at = now()`,
    [
      entries.map((e) => e.sourcePath),
      entries.map((e) => e.kind),
      entries.map((e) => e.userId),
      entries.map((e) => e.reason),
      entries.map((e) => e.detail),
    ],
  );
}

/** A document that maps now leaves the quarantine. */
export async function clearQuarantine(db: Queryable, sourcePaths: string[]): Promise<void> {
  if (sourcePaths.length === 0) return;
  await db.query('DELETE FROM firestore_migration_quarantine WHERE source_path = ANY($1::text[])', [
    sourcePaths,
  ]);
}

export interface QuarantineRow {
  readonly source_path: string;
  readonly kind: string;
  readonly user_id: string | null;
  readonly reason: string;
  readonly detail: string;
}

export async function quarantineReport(db: Queryable, userId?: string): Promise<QuarantineRow[]> {
  const { rows } = await db.query<QuarantineRow>(
    `SELECT source_path, kind, user_id, reason, detail FROM firestore_migration_quarantine
     WHERE $1::text IS NULL OR user_id = $1 ORDER BY source_path`,
    [userId ?? null],
  );
  return rows;
}

/** A user as Firebase Auth knows them. */
export interface AuthUser {
  readonly id: string;
  readonly authProvider: string | null;
  /** Account creation time (Firebase's metadata.creationTime). */
  readonly createdAt: Date;
}

/**
 * Creates or completes the owners of migrated walks and consents from Firebase
 * Auth; a login fills in email and display name later. Returns rows written.
 */
export async function upsertUsers(db: Queryable, users: readonly AuthUser[]): Promise<number> {
  if (users.length === 0) return 0;
  const result = await db.query(
    `INSERT INTO users (id, auth_provider, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
     ON CONFLICT (id) DO UPDATE SET auth_provider = EXCLUDED.auth_provider, created_at = EXCLUDED.created_at
     WHERE (users.auth_provider, users.created_at) IS DISTINCT FROM (EXCLUDED.auth_provider, EXCLUDED.created_at)`,
    [users.map((u) => u.id), users.map((u) => u.authProvider), users.map((u) => u.createdAt)],
  );
  return result.rowCount ?? 0;
}

export type ConsentWrite = 'inserted' | 'updated' | 'unchanged';

/** Inserts or corrects one consent; an identical row is left alone. */
export async function upsertConsent(db: Queryable, consent: TargetConsent): Promise<ConsentWrite> {
  const { rows } = await db.query<{ inserted: boolean }>(
    `INSERT INTO consents (user_id, consent_id, policy_version, consented_at, consent_type,
       device_platform, device_os_version, device_app_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (user_id, consent_id) DO UPDATE SET policy_version = EXCLUDED.policy_version,
       consented_at = EXCLUDED.consented_at, consent_type = EXCLUDED.consent_type,
       device_platform = EXCLUDED.device_platform, device_os_version = EXCLUDED.device_os_version,
       device_app_version = EXCLUDED.device_app_version
     WHERE (consents.policy_version, consents.consented_at, consents.consent_type, consents.device_platform,
            consents.device_os_version, consents.device_app_version)
       IS DISTINCT FROM (EXCLUDED.policy_version, EXCLUDED.consented_at, EXCLUDED.consent_type,
            EXCLUDED.device_platform, EXCLUDED.device_os_version, EXCLUDED.device_app_version)
     RETURNING (xmax = 0) AS inserted`,
    [
      consent.user_id,
      consent.consent_id,
      consent.policy_version,
      consent.consented_at,
      consent.consent_type,
      consent.device_platform,
      consent.device_os_version,
      consent.device_app_version,
    ],
  );
  const row = rows[0];
  if (!row) return 'unchanged';
  return row.inserted ? 'inserted' : 'updated';
}

export async function storedConsents(db: Queryable, userIds: string[]): Promise<TargetConsent[]> {
  const { rows } = await db.query<TargetConsent>(
    `SELECT user_id, consent_id, policy_version, ${ts('consented_at')} AS consented_at, consent_type,
            device_platform, device_os_version, device_app_version
     FROM consents WHERE user_id = ANY($1::text[])`,
    [userIds],
  );
  return rows;
}

export interface WalkHead {
  readonly user_id: string;
  readonly version: number;
  /** Microsecond text; for a walk the service wrote, the service's clock. */
  readonly updated_at: string;
}

/** Owner, version and updated_at of existing walks, locked for the batch when `lock`. */
export async function walkHeads(db: Queryable, ids: string[], lock: boolean): Promise<Map<string, WalkHead>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<WalkHead & { id: string }>(
    `SELECT id::text, user_id, version, ${ts('updated_at')} AS updated_at FROM walks WHERE id = ANY($1::uuid[])
     ORDER BY id ${lock ? 'FOR UPDATE' : ''}`,
    [ids],
  );
  return new Map(rows.map((row) => [row.id, { ...row, version: Number(row.version) }]));
}

interface WalkRow extends Omit<TargetWalk, 'locations'> {
  version: number;
}

/** Walks with their locations, in the mapped shape so they hash like the source. */
export async function storedWalks(
  db: Queryable,
  ids: string[],
): Promise<Map<string, TargetWalk & { version: number }>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<WalkRow>(
    `SELECT id::text, user_id, title, description, status, ${ts('start_time')} AS start_time,
            ${ts('end_time')} AS end_time, ${ts('paused_at')} AS paused_at,
            total_paused_duration, total_distance, total_steps, polyline_data, thumbnail_image_url,
            ${ts('created_at')} AS created_at, ${ts('updated_at')} AS updated_at, version
     FROM walks WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  const walks = new Map(
    rows.map((row) => [row.id, { ...normalizeWalk(row), locations: [] as TargetLocation[] }]),
  );
  if (walks.size === 0) return walks;
  const locations = await db.query<TargetLocation & { walk_id: string }>(
    `SELECT walk_id::text, sequence_number, latitude, longitude, altitude, ${ts('"timestamp"')} AS "timestamp",
            horizontal_accuracy, vertical_accuracy, speed, course
     FROM walk_locations WHERE walk_id = ANY($1::uuid[]) ORDER BY walk_id, sequence_number`,
    [[...walks.keys()]],
  );
  for (const { walk_id: walkId, ...location } of locations.rows) {
    walks.get(walkId)?.locations.push(normalizeLocation(location));
  }
  return walks;
}

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null => (value === null ? null : Number(value));

function normalizeWalk(row: WalkRow): Omit<TargetWalk, 'locations'> & { version: number } {
  return {
    ...row,
    total_paused_duration: num(row.total_paused_duration),
    total_distance: num(row.total_distance),
    total_steps: num(row.total_steps),
    version: num(row.version),
  };
}

function normalizeLocation(row: TargetLocation): TargetLocation {
  return {
    sequence_number: num(row.sequence_number),
    latitude: num(row.latitude),
    longitude: num(row.longitude),
    altitude: numOrNull(row.altitude),
    timestamp: row.timestamp,
    horizontal_accuracy: numOrNull(row.horizontal_accuracy),
    vertical_accuracy: numOrNull(row.vertical_accuracy),
    speed: numOrNull(row.speed),
    course: numOrNull(row.course),
  };
}

export interface UserCount {
  readonly walks: number;
  readonly consents: number;
}

export async function countsPerUser(db: Queryable, userIds: string[]): Promise<Map<string, UserCount>> {
  const { rows } = await db.query<{ user_id: string; walks: string; consents: string }>(
    `SELECT u.id AS user_id,
            (SELECT count(*) FROM walks w WHERE w.user_id = u.id) AS walks,
            (SELECT count(*) FROM consents c WHERE c.user_id = u.id) AS consents
     FROM unnest($1::text[]) AS u(id)`,
    [userIds],
  );
  return new Map(rows.map((r) => [r.user_id, { walks: Number(r.walks), consents: Number(r.consents) }]));
}

/**
 * Stores a migrated walk with its locations through the walks repository,
 * keeping Firestore's created_at and updated_at (the service would stamp "now"),
 * to the microsecond.
 * `existing`: replace (version + 1) instead of insert (version 1).
 * Returns the number of location rows written.
 */
export async function writeWalk(db: Queryable, walk: TargetWalk, existing: boolean): Promise<number> {
  const write = toWalkWrite(walk);
  if (existing) await replaceWalk(db, walk.user_id, write, walk.updated_at);
  else if (!(await insertWalk(db, walk.user_id, write, walk.updated_at))) {
    throw new Error(`walk ${walk.id} was created by the service during this batch; run the migration again`);
  }
  await db.query('UPDATE walks SET created_at = $2 WHERE id = $1 AND created_at IS DISTINCT FROM $2', [
    walk.id,
    walk.created_at,
  ]);
  return walk.locations.length;
}

/** Starts the list of documents a run of this scope has seen (a fresh run, not a resumed one). */
export async function clearSeen(db: Queryable, scopeKey: string): Promise<void> {
  await db.query('DELETE FROM firestore_migration_seen WHERE scope_key = $1', [scopeKey]);
}

export async function markSeen(db: Queryable, scopeKey: string, sourcePaths: string[]): Promise<void> {
  if (sourcePaths.length === 0) return;
  await db.query(
    `INSERT INTO firestore_migration_seen (scope_key, source_path)
     SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING`,
    [scopeKey, sourcePaths],
  );
}

/** A walk the migration took whose Firestore document was not seen by a complete pass. */
export interface GoneWalk {
  readonly source_path: string;
  readonly user_id: string;
  readonly target_id: string;
  readonly written_version: number | null;
  /** null when the walk is no longer in PostgreSQL. */
  readonly current_version: number | null;
}

/** Ledger walks of `userId` (or everyone) not seen by this scope's pass. */
export async function goneWalks(db: Queryable, scopeKey: string, userId?: string): Promise<GoneWalk[]> {
  const { rows } = await db.query<GoneWalk>(
    `SELECT l.source_path, l.user_id, l.target_id, l.written_version, w.version AS current_version
     FROM firestore_migration_ledger l LEFT JOIN walks w ON w.id::text = l.target_id
     WHERE l.kind = 'walk' AND ($2::text IS NULL OR l.user_id = $2)
       AND NOT EXISTS (SELECT 1 FROM firestore_migration_seen s WHERE s.scope_key = $1 AND s.source_path = l.source_path)
     ORDER BY l.source_path`,
    [scopeKey, userId ?? null],
  );
  return rows;
}

/** Deletes a migrated walk only at the version the migration wrote; true when it did. */
export async function deleteMigratedWalk(db: Queryable, id: string, version: number): Promise<boolean> {
  const result = await db.query('DELETE FROM walks WHERE id = $1 AND version = $2', [id, version]);
  return (result.rowCount ?? 0) > 0;
}

export async function dropLedger(db: Queryable, sourcePaths: string[]): Promise<void> {
  if (sourcePaths.length === 0) return;
  await db.query('DELETE FROM firestore_migration_ledger WHERE source_path = ANY($1::text[])', [sourcePaths]);
}

/** Users in PostgreSQL, optionally one of them: each is checked against Firebase Auth. */
export async function knownUsers(db: Queryable, userId?: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM users WHERE $1::text IS NULL OR id = $1 ORDER BY id',
    [userId ?? null],
  );
  return rows.map((row) => row.id);
}

/** Walks of these users that the service created or changed after the migration wrote them. */
export async function walksChangedByService(db: Queryable, userIds: string[]): Promise<Map<string, number>> {
  const { rows } = await db.query<{ user_id: string; n: number }>(
    `SELECT w.user_id, count(*)::int AS n FROM walks w
     LEFT JOIN firestore_migration_ledger l ON l.kind = 'walk' AND l.target_id = w.id::text
     WHERE w.user_id = ANY($1::text[]) AND (l.source_path IS NULL OR l.written_version IS DISTINCT FROM w.version)
     GROUP BY w.user_id`,
    [userIds],
  );
  return new Map(rows.map((row) => [row.user_id, row.n]));
}

/** Deletes a user whose Firebase account is gone: walks, consents and sessions go by cascade. */
export async function deleteUser(db: Queryable, userId: string): Promise<void> {
  await db.query('DELETE FROM users WHERE id = $1', [userId]);
  await db.query('DELETE FROM firestore_migration_ledger WHERE user_id = $1', [userId]);
}

/** The source document each of these walk ids was taken from, when the ledger has one. */
export async function ledgerSourcesOf(db: Queryable, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const { rows } = await db.query<{ target_id: string; source_path: string }>(
    `SELECT target_id, source_path FROM firestore_migration_ledger WHERE kind = 'walk' AND target_id = ANY($1::text[])`,
    [ids],
  );
  return new Map(rows.map((row) => [row.target_id, row.source_path]));
}

/** Ledger walks of `userId` (or everyone) whose source path is not among `listed`. */
export async function goneWalksAgainst(
  db: Queryable,
  listed: string[],
  userId?: string,
): Promise<GoneWalk[]> {
  const { rows } = await db.query<GoneWalk>(
    `SELECT l.source_path, l.user_id, l.target_id, l.written_version, w.version AS current_version
     FROM firestore_migration_ledger l LEFT JOIN walks w ON w.id::text = l.target_id
     WHERE l.kind = 'walk' AND ($2::text IS NULL OR l.user_id = $2) AND NOT (l.source_path = ANY($1::text[]))
     ORDER BY l.source_path`,
    [listed, userId ?? null],
  );
  return rows;
}
