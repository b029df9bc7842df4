/**
 * Share-image metrics (names are a contract with monitoring/ and KEDA):
 * walk-service exports the queue depth, so it exists while the worker is
 * scaled to zero; the worker exports outcomes and timings.
 */
import { Counter, Gauge, Histogram, type Registry, type RegistryContentType } from 'prom-client';
import type { Pool } from 'pg';
import type { Logger } from '../observability/logger';
import { waitingJobs } from './repository';

export const OUTCOMES = ['succeeded', 'retried', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface QueueGauges {
  readonly waiting: Gauge;
  readonly oldestWaitingSeconds: Gauge;
}

export function queueGauges(registry: Registry<RegistryContentType>): QueueGauges {
  return {
    waiting: new Gauge({
      name: 'walk_share_image_jobs_waiting',
      help: 'Share-image jobs ready to be claimed (queued and due, or running with an expired lease).',
      registers: [registry],
    }),
    oldestWaitingSeconds: new Gauge({
      name: 'walk_share_image_oldest_waiting_seconds',
      help: 'Seconds the oldest ready share-image job has waited (0 when none).',
      registers: [registry],
    }),
  };
}

/** Refreshes the gauges every `intervalMs` with one query; returns a stop function. */
export function startQueueGaugeRefresher(options: {
  readonly pool: Pool;
  readonly gauges: QueueGauges;
  readonly intervalMs: number;
  readonly logger: Logger;
}): { refresh(): Promise<void>; stop(): void } {
  const { pool, gauges, intervalMs, logger } = options;
  let running: Promise<void> | undefined;
  const refresh = () =>
    (running ??= waitingJobs(pool)
      .then(
        ({ count, oldestSeconds }) => {
          gauges.waiting.set(count);
          gauges.oldestWaitingSeconds.set(oldestSeconds);
        },
        // Keep the last values: a gap in the database is reported by the pool's own metrics.
        (error: unknown) => logger.warn({ err: error }, 'share-image queue depth not refreshed'),
      )
      .finally(() => (running = undefined)));
  void refresh();
  const timer = setInterval(() => void refresh(), intervalMs);
  timer.unref();
  return { refresh, stop: () => clearInterval(timer) };
}

export interface WorkerMetrics {
  readonly jobs: Counter<'outcome'>;
  readonly jobSeconds: Histogram<'outcome'>;
  readonly renderSeconds: Histogram;
}

export function workerMetrics(registry: Registry<RegistryContentType>): WorkerMetrics {
  const metrics: WorkerMetrics = {
    jobs: new Counter({
      name: 'walk_share_image_jobs_total',
      help: 'Share-image job attempts finished, by outcome (retried: failed with attempts left).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    jobSeconds: new Histogram({
      name: 'walk_share_image_job_seconds',
      help: 'Seconds from enqueue to the end of a share-image job, by final outcome.',
      labelNames: ['outcome'],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers: [registry],
    }),
    renderSeconds: new Histogram({
      name: 'walk_share_image_render_seconds',
      help: 'Seconds to render and encode one share image.',
      buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5],
      registers: [registry],
    }),
  };
  // Series exist from the first scrape, so rate() and the alerts see zeros, not gaps.
  for (const outcome of OUTCOMES) metrics.jobs.inc({ outcome }, 0);
  for (const outcome of ['succeeded', 'failed'] as const) metrics.jobSeconds.zero({ outcome });
  return metrics;
}
