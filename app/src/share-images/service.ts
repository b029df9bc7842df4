/**
 * The share-image API's domain: enqueue a render of the caller's walk
 * (idempotent per walk version and template while the job is in flight or its
 * image exists; a failed job, or one whose image the bucket's lifecycle rule
 * deleted, starts over) and report a job's state with a signed URL of the
 * image while it exists. Knows nothing of HTTP.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { AuthenticatedUser } from '../auth';
import type { ShareImagesConfig } from '../config';
import { DomainError } from '../domain-errors';
import type { ObjectStore } from '../storage';
import * as repo from './repository';
import type { TemplateName } from './templates';

/** Error code of a succeeded job whose image is gone (the bucket's age rule, ADR 0260). */
export const IMAGE_EXPIRED = 'image_expired';

export interface JobView {
  readonly job_id: string;
  readonly walk_id: string;
  readonly template: string;
  readonly status: repo.JobStatus;
  readonly attempts: number;
  readonly created_at: string;
  readonly image_url?: string;
  readonly expires_at?: string;
  readonly error_code?: string;
}

export interface ShareImagesServiceDeps {
  readonly pool: Pool;
  /** undefined when this environment has no bucket: the routes answer 503. */
  readonly store: Pick<ObjectStore, 'signedReadUrl' | 'exists'> | undefined;
  readonly config: Pick<ShareImagesConfig, 'maxAttempts'>;
  /** Lifetime of the image's signed GET URL. */
  readonly readUrlTtlSeconds: number;
}

const noStorage = () =>
  DomainError.unavailable('share images are not available here (no walk images bucket is configured)');

export function createShareImagesService(deps: ShareImagesServiceDeps) {
  const { pool, store, config, readUrlTtlSeconds } = deps;

  /** Whether a succeeded job's image is still in the bucket (undefined for other jobs). */
  async function imagePresent(job: repo.JobRow): Promise<boolean | undefined> {
    if (job.status !== 'succeeded' || !job.object_key) return undefined;
    if (!store) throw noStorage();
    return store.exists(job.object_key);
  }

  /** The API's view; a succeeded job whose image is gone reads as failed / image_expired, never a dead URL. */
  async function view(job: repo.JobRow, present: boolean | undefined): Promise<JobView> {
    const base: JobView = {
      job_id: job.id,
      walk_id: job.walk_id,
      template: job.template,
      status: job.status,
      attempts: job.attempts,
      created_at: job.created_at,
      ...(job.error_code && job.status !== 'succeeded' && { error_code: job.error_code }),
    };
    if (job.status !== 'succeeded' || !job.object_key) return base;
    if (!store) throw noStorage();
    if (!present) return { ...base, status: 'failed', error_code: IMAGE_EXPIRED };
    const signed = await store.signedReadUrl(job.object_key, readUrlTtlSeconds);
    return { ...base, image_url: signed.url, expires_at: signed.expiresAt.toISOString() };
  }

  return {
    /**
     * The job for the walk's current version and `template`: new (created),
     * the existing one while it is in flight or its image exists, or the
     * existing one started over (created) when it failed or its image is gone.
     */
    async enqueue(
      user: AuthenticatedUser,
      walkId: string,
      template: TemplateName,
      traceparent: string | null,
    ): Promise<{ job: JobView; created: boolean }> {
      if (!store) throw noStorage();
      const version = await repo.findWalkVersion(pool, user.id, walkId);
      if (version === undefined) throw DomainError.notFound('walk');
      const next = { id: randomUUID(), maxAttempts: config.maxAttempts, traceparent };
      const key = { walkId, walkVersion: version, template };
      const found = await repo.insertOrGetJob(pool, { ...key, ...next, userId: user.id });
      if (found.created) return { job: await view(found.job, undefined), created: true };
      const present = await imagePresent(found.job);
      const restartFrom =
        found.job.status === 'failed' ? 'failed' : present === false ? 'succeeded' : undefined;
      if (!restartFrom) return { job: await view(found.job, present), created: false };
      const restarted = await repo.restartJob(pool, found.job, restartFrom, next);
      if (restarted) return { job: await view(restarted, undefined), created: true };
      // a concurrent request started it over first: answer with that job
      const current = await repo.findJobFor(pool, key);
      if (!current) throw DomainError.notFound('walk');
      return { job: await view(current, await imagePresent(current)), created: false };
    },

    async get(user: AuthenticatedUser, jobId: string): Promise<JobView> {
      const job = await repo.findJob(pool, user.id, jobId);
      if (!job) throw DomainError.notFound('share-image job');
      return view(job, await imagePresent(job));
    },
  };
}

export type ShareImagesService = ReturnType<typeof createShareImagesService>;
