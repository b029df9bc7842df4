/** SQL for walks and their locations; the only module of this component that talks to PostgreSQL. */
import type { AuthenticatedUser } from '../auth';
import type { Queryable } from '../db/pool';
import type { Walk, WalkSummary } from './schemas';

export type { Queryable } from '../db/pool';

/**
 * A walk as the service writes it: validated input, timestamps as UTC RFC 3339
 * strings with microseconds (PostgreSQL's precision; no JavaScript Date on the way).
 */
export interface WalkWrite {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly status: string;
  readonly start_time: string | null;
  readonly end_time: string | null;
  readonly paused_at: string | null;
  readonly total_paused_duration: number;
  readonly total_distance: number;
  readonly total_steps: number;
  readonly polyline_data: string | null;
  readonly thumbnail_image_url: string | null;
  /** undefined: keep the stored locations (a new walk has none). */
  readonly locations: readonly Walk['locations'][number][] | undefined;
}

/** Keyset position: the walk's sort time (microsecond text) and id. */
export interface ListPosition {
  readonly sortTime: string;
  readonly id: string;
}

/** Every timestamp leaves PostgreSQL as text with its full microsecond precision. */
const ISO_US = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;
export const ts = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', ${ISO_US})`;

const SUMMARY_COLUMNS = `w.id::text AS id, w.user_id, w.title, w.description, w.status,
  ${ts('w.start_time')} AS start_time, ${ts('w.end_time')} AS end_time, ${ts('w.paused_at')} AS paused_at,
  w.total_paused_duration, w.total_distance, w.total_steps, w.polyline_data, w.thumbnail_image_url,
  w.version, ${ts('w.created_at')} AS created_at, ${ts('w.updated_at')} AS updated_at`;

// row_to_json and array_to_json write compact JSON, as res.json() does; json_build_object
// and json_agg would add spaces and newlines, so one resource would read two ways.
const LOCATIONS_JSON = `coalesce((
  SELECT array_to_json(array_agg(row_to_json(l) ORDER BY l.sequence_number)) FROM (
    SELECT sequence_number, latitude, longitude, altitude, ${ts('"timestamp"')} AS "timestamp",
      horizontal_accuracy, vertical_accuracy, speed, course
    FROM walk_locations WHERE walk_id = w.id) l), '[]'::json)`;

/**
 * The query behind GET /v1/walks/{id} (also the bench's raw-pg ceiling): the
 * whole resource as JSON text, built by PostgreSQL in API field order, so the
 * service sends it without parsing and re-serialising it.
 */
export const FIND_WALK_SQL = `SELECT w.version, row_to_json(r)::text AS json
  FROM walks w CROSS JOIN LATERAL (SELECT
    w.id, w.user_id, w.title, w.description, w.status,
    ${ts('w.start_time')} AS start_time, ${ts('w.end_time')} AS end_time, ${ts('w.paused_at')} AS paused_at,
    w.total_paused_duration, w.total_distance, w.total_steps, w.polyline_data, w.thumbnail_image_url,
    ${LOCATIONS_JSON} AS locations,
    w.version, ${ts('w.created_at')} AS created_at, ${ts('w.updated_at')} AS updated_at) r
  WHERE w.id = $1 AND w.user_id = $2`;

/** A walk as JSON text (the API representation) with its version. */
export interface WalkJson {
  readonly version: number;
  readonly json: string;
}

export async function findWalkJson(db: Queryable, userId: string, id: string): Promise<WalkJson | undefined> {
  const { rows } = await db.query<WalkJson>(FIND_WALK_SQL, [id, userId]);
  return rows[0];
}

export async function findWalk(db: Queryable, userId: string, id: string): Promise<Walk | undefined> {
  const found = await findWalkJson(db, userId, id);
  return found && (JSON.parse(found.json) as Walk);
}

export interface LockedWalk {
  readonly user_id: string;
  readonly version: number;
}

/** The owner and version of a walk, row-locked until the transaction ends. */
export async function lockWalk(db: Queryable, id: string): Promise<LockedWalk | undefined> {
  const { rows } = await db.query<LockedWalk>('SELECT user_id, version FROM walks WHERE id = $1 FOR UPDATE', [
    id,
  ]);
  return rows[0];
}

/** Creates the user row on first sight; a login (sessions) fills in the profile later. */
export async function ensureUser(db: Queryable, user: AuthenticatedUser): Promise<void> {
  await db.query(
    `INSERT INTO users (id, email, display_name) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
    [user.id, user.email, user.displayName],
  );
}

const WALK_VALUES = (walk: WalkWrite) => [
  walk.id,
  walk.title,
  walk.description,
  walk.status,
  walk.start_time,
  walk.end_time,
  walk.paused_at,
  walk.total_paused_duration,
  walk.total_distance,
  walk.total_steps,
  walk.polyline_data,
  walk.thumbnail_image_url,
];

/** Inserts a new walk; false when the id already exists (whoever owns it). */
export async function insertWalk(
  db: Queryable,
  userId: string,
  walk: WalkWrite,
  /** The service's clock, or the source's time for a migrated walk (microsecond text). */
  now: Date | string,
): Promise<boolean> {
  const { rows } = await db.query(
    `INSERT INTO walks (id, title, description, status, start_time, end_time, paused_at,
       total_paused_duration, total_distance, total_steps, polyline_data, thumbnail_image_url,
       user_id, version, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $14)
     ON CONFLICT (id) DO NOTHING RETURNING 1`,
    [...WALK_VALUES(walk), userId, now],
  );
  if (rows.length === 0) return false;
  await insertLocations(db, walk);
  return true;
}

/** Replaces a walk the caller has locked, with its locations; version + 1. */
export async function replaceWalk(
  db: Queryable,
  userId: string,
  walk: WalkWrite,
  now: Date | string,
): Promise<void> {
  await db.query(
    `UPDATE walks SET title = $2, description = $3, status = $4, start_time = $5, end_time = $6,
       paused_at = $7, total_paused_duration = $8, total_distance = $9, total_steps = $10,
       polyline_data = $11, thumbnail_image_url = $12, version = version + 1, updated_at = $14
     WHERE id = $1 AND user_id = $13`,
    [...WALK_VALUES(walk), userId, now],
  );
  if (walk.locations === undefined) return;
  await db.query('DELETE FROM walk_locations WHERE walk_id = $1', [walk.id]);
  await insertLocations(db, walk);
}

async function insertLocations(db: Queryable, walk: WalkWrite): Promise<void> {
  const l = walk.locations;
  if (l === undefined || l.length === 0) return;
  await db.query(
    `INSERT INTO walk_locations (walk_id, sequence_number, latitude, longitude, altitude, "timestamp",
       horizontal_accuracy, vertical_accuracy, speed, course)
     SELECT $1, * FROM unnest($2::int[], $3::float8[], $4::float8[], $5::float8[], $6::timestamptz[],
       $7::float8[], $8::float8[], $9::float8[], $10::float8[])`,
    [
      walk.id,
      l.map((x) => x.sequence_number),
      l.map((x) => x.latitude),
      l.map((x) => x.longitude),
      l.map((x) => x.altitude),
      l.map((x) => x.timestamp),
      l.map((x) => x.horizontal_accuracy),
      l.map((x) => x.vertical_accuracy),
      l.map((x) => x.speed),
      l.map((x) => x.course),
    ],
  );
}

/**
 * Deletes a walk of this user (and, by cascade, its locations). With
 * `versions`, only when the current version is one of them. Returns the
 * deleted row's thumbnail URL (its objects go after the commit), or undefined.
 */
export async function deleteWalk(
  db: Queryable,
  userId: string,
  id: string,
  versions?: readonly number[],
): Promise<{ thumbnail_image_url: string | null } | undefined> {
  const { rows } = await db.query<{ thumbnail_image_url: string | null }>(
    `DELETE FROM walks WHERE id = $1 AND user_id = $2 AND ($3::int[] IS NULL OR version = ANY($3::int[]))
      RETURNING thumbnail_image_url`,
    [id, userId, versions ?? null],
  );
  return rows[0];
}

export async function walkExists(db: Queryable, userId: string, id: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM walks WHERE id = $1 AND user_id = $2', [id, userId]);
  return rows.length > 0;
}

export type ListedWalk = WalkSummary & { sort_key: string };

/** One page of a user's walks, newest first, strictly after `after`; `limit` rows at most. */
export async function listWalks(
  db: Queryable,
  userId: string,
  after: ListPosition | undefined,
  limit: number,
): Promise<ListedWalk[]> {
  const select = `SELECT ${SUMMARY_COLUMNS}, to_char(w.sort_time AT TIME ZONE 'UTC', ${ISO_US}) AS sort_key FROM walks w`;
  const order = 'ORDER BY w.sort_time DESC, w.id DESC';
  const { rows } = after
    ? await db.query<ListedWalk>(
        `${select} WHERE w.user_id = $1 AND (w.sort_time, w.id) < ($2::timestamptz, $3::uuid) ${order} LIMIT $4`,
        [userId, after.sortTime, after.id, limit],
      )
    : await db.query<ListedWalk>(`${select} WHERE w.user_id = $1 ${order} LIMIT $2`, [userId, limit]);
  return rows;
}
