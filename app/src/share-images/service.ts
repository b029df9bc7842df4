/**
 * The share-image API's domain: enqueue a render of the caller's walk
 * (idempotent per walk version and template) and report a job's state with a
 * signed URL of the image once it exists. Knows nothing of HTTP.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import type { AuthenticatedUser } from '../auth';
import type { ShareImagesConfig } from '../config';
import { DomainError } from '../domain-errors';
import type { ObjectStore } from '../storage';
import * as repo from './repository';
import type { TemplateName } from './templates';

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
  readonly store: Pick<ObjectStore, 'signedReadUrl'> | undefined;
  readonly config: Pick<ShareImagesConfig, 'maxAttempts'>;
  /** Lifetime of the image's signed GET URL. */
  readonly readUrlTtlSeconds: number;
}

const noStorage = () =>
  DomainError.unavailable('share images are not available here (no walk images bucket is configured)');

export function createShareImagesService(deps: ShareImagesServiceDeps) {
  const { pool, store, config, readUrlTtlSeconds } = deps;

  async function view(job: repo.JobRow): Promise<JobView> {
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
    const signed = await store.signedReadUrl(job.object_key, readUrlTtlSeconds);
    return { ...base, image_url: signed.url, expires_at: signed.expiresAt.toISOString() };
  }

  return {
    /** The job for the walk's current version and `template`: new (created) or the existing one. */
    async enqueue(
      user: AuthenticatedUser,
      walkId: string,
      template: TemplateName,
      traceparent: string | null,
    ): Promise<{ job: JobView; created: boolean }> {
      if (!store) throw noStorage();
      const version = await repo.findWalkVersion(pool, user.id, walkId);
      if (version === undefined) throw DomainError.notFound('walk');
      const { job, created } = await repo.insertOrGetJob(pool, {
        id: randomUUID(),
        walkId,
        userId: user.id,
        walkVersion: version,
        template,
        maxAttempts: config.maxAttempts,
        traceparent,
      });
      return { job: await view(job), created };
    },

    async get(user: AuthenticatedUser, jobId: string): Promise<JobView> {
      const job = await repo.findJob(pool, user.id, jobId);
      if (!job) throw DomainError.notFound('share-image job');
      return view(job);
    },
  };
}

export type ShareImagesService = ReturnType<typeof createShareImagesService>;
