/**
 * The share-image worker's loop (ADR 0255): claim a job, render the walk at
 * the job's version, store the JPEG, record the result — every write after
 * the claim fenced by the claimed attempt, so a worker whose lease expired
 * never overwrites the result of the attempt that replaced it.
 */
import { context, propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Link } from '@opentelemetry/api';
import type { Pool } from 'pg';
import type { ShareImagesConfig } from '../config';
import type { Logger } from '../observability/logger';
import type { ObjectStore } from '../storage';
import type { WorkerMetrics } from './metrics';
import * as repo from './repository';
import { renderShareImage, type RenderInput } from './render';
import { isTemplateName, TEMPLATES } from './templates';

/** Object key of a job's image (contract: share-images/<user>/<walk>/<job>.jpg). */
export function shareImageKey(job: Pick<repo.JobRow, 'user_id' | 'walk_id' | 'id'>): string {
  return `share-images/${job.user_id}/${job.walk_id}/${job.id}.jpg`;
}

/** A failure with the code the API shows; `permanent`: no retry can fix it. */
export class JobFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly permanent = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'JobFailure';
  }
}

/** Backoff before attempt n+1: base · 2^(n-1), at most 64 × base. */
export function retryDelayMs(baseMs: number, attempt: number): number {
  return baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 6);
}

export function renderInputOf(walk: repo.WalkForRender): RenderInput {
  const start = walk.start_time ?? walk.created_at;
  const end = walk.end_time ?? walk.last_location_at ?? start;
  const durationSeconds = Math.max(0, (end.getTime() - start.getTime()) / 1000 - walk.total_paused_duration);
  return {
    title: walk.title,
    distanceMeters: walk.total_distance,
    durationSeconds,
    steps: walk.total_steps,
    date: start,
    points: walk.points,
  };
}

export interface ShareImageWorkerDeps {
  readonly pool: Pool;
  readonly store: Pick<ObjectStore, 'put'>;
  readonly config: ShareImagesConfig;
  readonly metrics: WorkerMetrics;
  readonly logger: Logger;
  /**
   * Called with each job as it is claimed, before the walk is read; what it
   * returns is awaited. The crash tests hold a job here to let its lease pass.
   * @default none
   */
  readonly onClaimed?: (job: repo.ClaimedJob) => Promise<void> | void;
}

export type JobResult = 'succeeded' | 'retried' | 'failed' | 'fenced';

const tracer = trace.getTracer('walk-share-image-worker');

/** The span link to the request that created the job (its stored traceparent). */
function linkTo(traceparent: string | null): Link[] {
  if (!traceparent) return [];
  const linked = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent }));
  return linked ? [{ context: linked }] : [];
}

export function createShareImageWorker(deps: ShareImageWorkerDeps) {
  const { pool, store, config, metrics, logger } = deps;
  const inHand = new Map<string, { job: repo.ClaimedJob; done: Promise<JobResult> }>();
  let stopping = false;
  let loops: Promise<void>[] = [];
  const wakers = new Set<() => void>();

  async function attempt(job: repo.ClaimedJob): Promise<string> {
    await deps.onClaimed?.(job);
    const walk = await repo.loadWalkForRender(pool, job.walk_id);
    if (!walk) throw new JobFailure('walk_gone', 'the walk was deleted', true);
    if (walk.version !== job.walk_version) {
      throw new JobFailure(
        'walk_changed',
        `the walk is at version ${walk.version}, the job was for ${job.walk_version}; ask again`,
        true,
      );
    }
    if (!isTemplateName(job.template)) {
      throw new JobFailure('unknown_template', `no template ${job.template}`, true);
    }
    const stopRender = metrics.renderSeconds.startTimer();
    let jpeg: Buffer;
    try {
      jpeg = (await renderShareImage(TEMPLATES[job.template], renderInputOf(walk))).jpeg;
    } catch (error) {
      throw new JobFailure('render_failed', (error as Error).message, false, { cause: error });
    } finally {
      stopRender();
    }
    // Still ours? A worker that lost its lease stops before touching the bucket.
    if (!(await repo.extendLease(pool, job, config.leaseMs))) throw new FencedOff();
    const key = shareImageKey(job);
    try {
      await store.put(key, jpeg, 'image/jpeg');
    } catch (error) {
      throw new JobFailure('storage_failed', (error as Error).message, false, { cause: error });
    }
    return key;
  }

  function observeEnd(job: repo.ClaimedJob, outcome: 'succeeded' | 'failed'): void {
    const seconds = (Date.now() - Date.parse(job.created_at)) / 1000;
    metrics.jobSeconds.observe({ outcome }, Math.max(0, seconds));
  }

  async function run(job: repo.ClaimedJob): Promise<JobResult> {
    const log = logger.child({ job_id: job.id, walk_id: job.walk_id, attempt: job.attempt });
    return tracer.startActiveSpan(
      'share-image job',
      {
        root: true,
        links: linkTo(job.traceparent),
        attributes: { 'job.id': job.id, 'job.attempt': job.attempt, 'job.template': job.template },
      },
      context.active(),
      async (span) => {
        try {
          const key = await attempt(job);
          if (!(await repo.recordSuccess(pool, job, key))) throw new FencedOff();
          metrics.jobs.inc({ outcome: 'succeeded' });
          observeEnd(job, 'succeeded');
          log.info({ object_key: key }, 'share image stored');
          return 'succeeded';
        } catch (error) {
          if (error instanceof FencedOff) {
            log.warn('lease lost to another attempt: result dropped');
            return 'fenced';
          }
          span.recordException(error as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          return await recordFailed(job, error, log);
        } finally {
          span.end();
        }
      },
    );
  }

  async function recordFailed(job: repo.ClaimedJob, error: unknown, log: Logger): Promise<JobResult> {
    const failure =
      error instanceof JobFailure
        ? error
        : new JobFailure('internal', (error as Error)?.message ?? String(error));
    const status = await repo.recordFailure(pool, job, {
      code: failure.code,
      message: failure.message,
      retryAfterMs: failure.permanent ? null : retryDelayMs(config.retryBaseMs, job.attempt),
    });
    if (status === undefined) {
      log.warn({ error_code: failure.code }, 'lease lost to another attempt: failure dropped');
      return 'fenced';
    }
    const outcome = status === 'queued' ? 'retried' : 'failed';
    metrics.jobs.inc({ outcome });
    if (outcome === 'failed') observeEnd(job, 'failed');
    log[outcome === 'failed' ? 'error' : 'warn'](
      { err: error, error_code: failure.code, outcome },
      outcome === 'failed' ? 'share-image job failed' : 'share-image attempt failed; retrying later',
    );
    return outcome;
  }

  /** Claims and processes one job; undefined when none was ready. */
  async function processNext(): Promise<JobResult | undefined> {
    await repo.failExhaustedLeases(pool);
    const job = await repo.claimJob(pool, config.leaseMs);
    if (!job) return undefined;
    const done = run(job);
    inHand.set(job.id, { job, done });
    try {
      return await done;
    } finally {
      inHand.delete(job.id);
    }
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      let result: JobResult | undefined;
      try {
        result = await processNext();
      } catch (error) {
        logger.warn({ err: error }, 'share-image queue unreachable; polling again');
      }
      if (result === undefined && !stopping) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            wakers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, config.pollIntervalMs);
          wakers.add(wake);
        });
      }
    }
  }

  return {
    processNext,
    /** Starts `config.workerConcurrency` loops. */
    start(): void {
      loops = Array.from({ length: config.workerConcurrency }, () => loop());
    },
    get inHand(): number {
      return inHand.size;
    },
    /**
     * Stops claiming; waits up to `timeoutMs` for the jobs in hand, then
     * releases the rest (back to queued, due now, the attempt not counted) so
     * another worker takes them.
     */
    async stop(timeoutMs: number): Promise<{ finished: number; released: number }> {
      stopping = true;
      for (const wake of [...wakers]) wake();
      const pending = [...inHand.values()];
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const settled = await Promise.race([Promise.allSettled(loops).then(() => 'done' as const), timedOut]);
      clearTimeout(timer);
      if (settled === 'done') return { finished: pending.length, released: 0 };
      let released = 0;
      for (const { job } of inHand.values()) {
        // not an attempt of the job's: a deploy must not use up its budget
        try {
          if (await repo.releaseJob(pool, job, 'the worker shut down during this attempt')) released += 1;
        } catch (error) {
          // e.g. an older release's grants after a rollback: the lease's expiry hands the job on
          logger.warn({ err: error, job_id: job.id }, 'could not release the job; its lease will expire');
        }
      }
      return { finished: pending.length - inHand.size, released };
    },
  };
}

class FencedOff extends Error {
  constructor() {
    super('this attempt no longer holds the job');
    this.name = 'FencedOff';
  }
}

export type ShareImageWorker = ReturnType<typeof createShareImageWorker>;
