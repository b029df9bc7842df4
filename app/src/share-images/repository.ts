/**
 * SQL for share-image jobs (ADR 0255): the API's reads and writes, the
 * worker's claim and its fenced writes, and the queue-depth figures. The only
 * module of this component that talks to PostgreSQL.
 */
import type { Queryable } from '../db/pool';
import { ts } from '../walks/repository';

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed';

export interface JobRow {
  readonly id: string;
  readonly walk_id: string;
  readonly user_id: string;
  readonly walk_version: number;
  readonly template: string;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly max_attempts: number;
  readonly object_key: string | null;
  readonly error_code: string | null;
  readonly traceparent: string | null;
  /** Microsecond text (UTC). */
  readonly created_at: string;
  readonly finished_at: string | null;
}

const JOB_COLUMNS = `id::text AS id, walk_id::text AS walk_id, user_id, walk_version, template, status,
  attempts, max_attempts, object_key, error_code, traceparent,
  ${ts('created_at')} AS created_at, ${ts('finished_at')} AS finished_at`;

/** The owner and version of a walk, for the API's ownership check. */
export async function findWalkVersion(
  db: Queryable,
  userId: string,
  walkId: string,
): Promise<number | undefined> {
  const { rows } = await db.query<{ version: number }>(
    'SELECT version FROM walks WHERE id = $1 AND user_id = $2',
    [walkId, userId],
  );
  return rows[0]?.version;
}

export interface NewJob {
  readonly id: string;
  readonly walkId: string;
  readonly userId: string;
  readonly walkVersion: number;
  readonly template: string;
  readonly maxAttempts: number;
  readonly traceparent: string | null;
}

/**
 * The job for (walk, version, template): inserted, or the one a previous or
 * concurrent request inserted (the unique constraint decides; no lost race).
 */
export async function insertOrGetJob(db: Queryable, job: NewJob): Promise<{ job: JobRow; created: boolean }> {
  const inserted = await db.query<JobRow>(
    `INSERT INTO share_image_jobs (id, walk_id, user_id, walk_version, template, max_attempts, traceparent)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT ON CONSTRAINT share_image_jobs_one_per_version DO NOTHING
     RETURNING ${JOB_COLUMNS}`,
    [job.id, job.walkId, job.userId, job.walkVersion, job.template, job.maxAttempts, job.traceparent],
  );
  if (inserted.rows[0]) return { job: inserted.rows[0], created: true };
  const existing = await findJobFor(db, job);
  if (!existing) throw new Error(`share-image job for walk ${job.walkId} vanished after a conflict`);
  return { job: existing, created: false };
}

/** The job for (walk, version, template), whatever its status. */
export async function findJobFor(
  db: Queryable,
  job: Pick<NewJob, 'walkId' | 'walkVersion' | 'template'>,
): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM share_image_jobs WHERE walk_id = $1 AND walk_version = $2 AND template = $3`,
    [job.walkId, job.walkVersion, job.template],
  );
  return rows[0];
}

/**
 * Starts a finished job over as a new job in the same row: the new id (so no
 * worker still holding the old id can write to it, and the image gets a new
 * object name), a fresh attempt budget, creation time and traceparent.
 * Only when the row is still `previous` in status `from`; undefined when a
 * concurrent request got there first (read the row again).
 */
export async function restartJob(
  db: Queryable,
  previous: Pick<JobRow, 'id'>,
  from: 'failed' | 'succeeded',
  next: Pick<NewJob, 'id' | 'maxAttempts' | 'traceparent'>,
): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>(
    `UPDATE share_image_jobs
        SET id = $3, status = 'queued', attempts = 0, max_attempts = $4, traceparent = $5,
            run_after = now(), lease_expires_at = NULL, object_key = NULL, error_code = NULL,
            error_message = NULL, created_at = now(), updated_at = now(), finished_at = NULL
      WHERE id = $1 AND status = $2
      RETURNING ${JOB_COLUMNS}`,
    [previous.id, from, next.id, next.maxAttempts, next.traceparent],
  );
  return rows[0];
}

export async function findJob(db: Queryable, userId: string, id: string): Promise<JobRow | undefined> {
  const { rows } = await db.query<JobRow>(
    `SELECT ${JOB_COLUMNS} FROM share_image_jobs WHERE id = $1 AND user_id = $2`,
    [id, userId],
  );
  return rows[0];
}

/** A job the worker holds: its claim's attempt number is the fencing token. */
export interface ClaimedJob extends JobRow {
  readonly attempt: number;
}

/**
 * Ends, as `failed`, running jobs whose lease passed on their last attempt
 * (their worker died; no attempt is left to give them). Returns how many.
 */
export async function failExhaustedLeases(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE share_image_jobs
        SET status = 'failed', error_code = 'lease_expired',
            error_message = 'the worker stopped answering on the last attempt',
            lease_expires_at = NULL, finished_at = now(), updated_at = now()
      WHERE status = 'running' AND lease_expires_at <= now() AND attempts >= max_attempts`,
  );
  return rowCount ?? 0;
}

/**
 * Claims the oldest ready job: queued and due, or running with an expired
 * lease (its worker is presumed dead). SKIP LOCKED: concurrent claims take
 * different rows without waiting for each other.
 */
export async function claimJob(db: Queryable, leaseMs: number): Promise<ClaimedJob | undefined> {
  const { rows } = await db.query<JobRow>(
    `UPDATE share_image_jobs j
        SET status = 'running', attempts = j.attempts + 1,
            lease_expires_at = now() + make_interval(secs => $1::double precision / 1000),
            updated_at = now()
      WHERE j.id = (
        SELECT id FROM share_image_jobs
         WHERE (status = 'queued' AND run_after <= now())
            OR (status = 'running' AND lease_expires_at <= now() AND attempts < max_attempts)
         ORDER BY run_after, created_at
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
      RETURNING ${JOB_COLUMNS}`,
    [leaseMs],
  );
  const job = rows[0];
  return job && { ...job, attempt: job.attempts };
}

const FENCE = `id = $1 AND attempts = $2 AND status = 'running'`;

/** Extends the lease; false when this attempt no longer holds the job. */
export async function extendLease(db: Queryable, job: ClaimedJob, leaseMs: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE share_image_jobs
        SET lease_expires_at = now() + make_interval(secs => $3::double precision / 1000), updated_at = now()
      WHERE ${FENCE}`,
    [job.id, job.attempt, leaseMs],
  );
  return rowCount === 1;
}

/** Records success; false (nothing written) when this attempt no longer holds the job. */
export async function recordSuccess(db: Queryable, job: ClaimedJob, objectKey: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE share_image_jobs
        SET status = 'succeeded', object_key = $3, error_code = NULL, error_message = NULL,
            lease_expires_at = NULL, finished_at = now(), updated_at = now()
      WHERE ${FENCE}`,
    [job.id, job.attempt, objectKey],
  );
  return rowCount === 1;
}

/**
 * Records a failed attempt: back to `queued` after `retryAfterMs`, or
 * `failed` when no attempt is left (or `retryAfterMs` is null: not worth a
 * retry). Returns the new status, or undefined when the attempt was fenced off.
 */
export async function recordFailure(
  db: Queryable,
  job: ClaimedJob,
  failure: { code: string; message: string; retryAfterMs: number | null },
): Promise<'queued' | 'failed' | undefined> {
  const { rows } = await db.query<{ status: 'queued' | 'failed' }>(
    `UPDATE share_image_jobs
        SET status = CASE WHEN $5::double precision IS NULL OR attempts >= max_attempts
                          THEN 'failed' ELSE 'queued' END,
            run_after = now() + make_interval(secs => coalesce($5::double precision, 0) / 1000),
            error_code = $3, error_message = left($4, 500), lease_expires_at = NULL,
            finished_at = CASE WHEN $5::double precision IS NULL OR attempts >= max_attempts
                               THEN now() END,
            updated_at = now()
      WHERE ${FENCE}
      RETURNING status`,
    [job.id, job.attempt, failure.code, failure.message, failure.retryAfterMs],
  );
  return rows[0]?.status;
}

/**
 * Releases never grow a job's budget past this: twice the most attempts the
 * configuration allows, so a job whose render outlasts every shutdown still ends.
 */
export const MOST_ATTEMPTS_WITH_RELEASES = 40;

/**
 * Puts a job this worker still holds back to `queued`, due now, without
 * counting the attempt (worker shutdown): `attempts` keeps the claimed number
 * (the next claim takes a new one, so this attempt stays fenced off) and
 * `max_attempts` grows by one, up to MOST_ATTEMPTS_WITH_RELEASES; at that
 * bound the attempt counts, and on the last one the job ends `failed`.
 * False when the attempt was already fenced off.
 */
export async function releaseJob(db: Queryable, job: ClaimedJob, reason: string): Promise<boolean> {
  const budget = `LEAST(max_attempts + 1, ${MOST_ATTEMPTS_WITH_RELEASES})`;
  const { rowCount } = await db.query(
    `UPDATE share_image_jobs
        SET status = CASE WHEN attempts < ${budget} THEN 'queued' ELSE 'failed' END,
            finished_at = CASE WHEN attempts < ${budget} THEN NULL ELSE now() END,
            run_after = now(), max_attempts = ${budget},
            error_code = 'worker_stopped', error_message = left($3, 500), lease_expires_at = NULL,
            updated_at = now()
      WHERE ${FENCE}`,
    [job.id, job.attempt, reason],
  );
  return rowCount === 1;
}

/** What the worker draws: the walk at the job's version (undefined when it changed or is gone). */
export interface WalkForRender {
  readonly title: string;
  readonly version: number;
  readonly total_distance: number;
  readonly total_steps: number;
  readonly total_paused_duration: number;
  readonly start_time: Date | null;
  readonly end_time: Date | null;
  readonly created_at: Date;
  readonly last_location_at: Date | null;
  readonly points: { latitude: number; longitude: number }[];
}

export async function loadWalkForRender(db: Queryable, walkId: string): Promise<WalkForRender | undefined> {
  const { rows } = await db.query<WalkForRender>(
    `SELECT w.title, w.version, w.total_distance, w.total_steps, w.total_paused_duration,
            w.start_time, w.end_time, w.created_at,
            (SELECT max("timestamp") FROM walk_locations WHERE walk_id = w.id) AS last_location_at,
            coalesce((SELECT json_agg(json_build_object('latitude', latitude, 'longitude', longitude)
                                      ORDER BY sequence_number)
                        FROM walk_locations WHERE walk_id = w.id), '[]'::json) AS points
       FROM walks w WHERE w.id = $1`,
    [walkId],
  );
  return rows[0];
}

/** Ready jobs (what a worker could claim now) and the age of the oldest, in one indexed query. */
export async function waitingJobs(db: Queryable): Promise<{ count: number; oldestSeconds: number }> {
  const { rows } = await db.query<{ count: number; oldest_seconds: number }>(
    `SELECT count(*)::int AS count,
            coalesce(extract(epoch FROM now() - min(
              CASE WHEN status = 'queued' THEN run_after ELSE lease_expires_at END)), 0)::double precision
              AS oldest_seconds
       FROM share_image_jobs
      WHERE (status = 'queued' AND run_after <= now())
         OR (status = 'running' AND lease_expires_at <= now())`,
  );
  return { count: rows[0]?.count ?? 0, oldestSeconds: Math.max(0, rows[0]?.oldest_seconds ?? 0) };
}
