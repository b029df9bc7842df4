/** A share-image worker for tests: short lease and backoff, fresh metrics, a silent logger. */
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import type { ShareImagesConfig } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { workerMetrics } from '../../src/share-images/metrics';
import { createShareImageWorker, type ShareImageWorkerDeps } from '../../src/share-images/worker-loop';
import { createObjectStore } from '../../src/storage';
import type { TestStorage } from './storage';

export const TEST_WORKER_CONFIG: ShareImagesConfig = {
  workerConcurrency: 1,
  maxAttempts: 3,
  leaseMs: 30_000,
  retryBaseMs: 100,
  pollIntervalMs: 20,
  queueGaugeIntervalMs: 60_000,
};

export type TestWorkerOverrides = Partial<Omit<ShareImageWorkerDeps, 'config'>> & {
  config?: Partial<ShareImagesConfig>;
};

export function testWorker(pool: Pool, storage: TestStorage, overrides: TestWorkerOverrides = {}) {
  const registry = new Registry();
  const deps: ShareImageWorkerDeps = {
    pool,
    store: createObjectStore(storage.config),
    metrics: workerMetrics(registry),
    logger: createLogger({ level: 'silent' }),
    ...overrides,
    config: { ...TEST_WORKER_CONFIG, ...overrides.config },
  };
  return { worker: createShareImageWorker(deps), registry, deps };
}
