/**
 * Database connections each workload may hold at once, against the
 * instance's `max_connections`: the service at full scale (primary and
 * canary both at maxReplicas during an analysis, plus a rolling update's
 * surge), one migrations Job, and on the preview host the previews up to
 * their cap. infra/test/app-crosslayer.test.ts checks the synthesized
 * Deployments, HPAs and flags against these figures.
 */
import type { EnvironmentConfig } from './environments';

/**
 * Slots the service does not count on: PostgreSQL keeps
 * `superuser_reserved_connections` (3 by default,
 * https://www.postgresql.org/docs/17/runtime-config-connection.html) and
 * Cloud SQL's own agents connect too
 * (https://cloud.google.com/sql/docs/postgres/quotas#maximum_concurrent_connections);
 * 10 leaves a margin for both and an operator's session.
 */
export const RESERVED_CONNECTIONS = 10;

/** The Deployment's `maxSurge` (charts/walk-service/workload.ts reads it): pods a rollout adds. */
export const ROLLING_MAX_SURGE_PERCENT = 25;

/**
 * One-shot Jobs hold one client each (app/src/db/migrate.ts, grant-cli.ts) and
 * run one after another: the migrations Job waits for the grant Job's
 * Complete (infra/constructs/walk-service-release.ts).
 */
export const MIGRATIONS_CONNECTIONS = 1;

/** A preview's pool: one replica with light traffic needs few connections. */
export const PREVIEW_DB_POOL_MAX = 3;

/** Extra pods during a rolling update of `replicas` (Kubernetes rounds a percentage surge up). */
export function surgePods(replicas: number): number {
  return Math.ceil((replicas * ROLLING_MAX_SURGE_PERCENT) / 100);
}

/** DB_POOL_MAX of a share-image worker pod: one connection per job in hand and one for claiming. */
export function workerDbPoolMax(concurrency: number): number {
  return concurrency + 1;
}

/**
 * The share-image worker at KEDA's maximum (ADR 0262). Its rollout adds no
 * pod (maxSurge 0: a stopping worker releases its job, no user waits on it).
 */
export function workerConnections(maxReplicas: number, concurrency: number): number {
  return maxReplicas * workerDbPoolMax(concurrency);
}

/** A preview's worker: at most one pod rendering one job at a time. */
export const PREVIEW_WORKER = { maxReplicas: 1, concurrency: 1 } as const;

/**
 * Connections of one environment's service at full scale, its rollout surge,
 * its migrations Job and its share-image worker at full scale.
 */
export function serviceConnections(env: EnvironmentConfig): number {
  const s = env.service;
  const copies = s.canary ? 2 : 1;
  const w = env.shareImageWorker;
  return (
    (copies * s.maxReplicas + surgePods(s.maxReplicas)) * s.dbPoolMax +
    MIGRATIONS_CONNECTIONS +
    workerConnections(w.maxReplicas, w.concurrency)
  );
}

/** DB_POOL_MAX of a preview on `host`. */
export function previewDbPoolMax(host: EnvironmentConfig): number {
  return Math.min(host.service.dbPoolMax, PREVIEW_DB_POOL_MAX);
}

/** One preview: its replica and the rollout's surge pod at full pool, its migrations Job and its worker. */
export function previewConnections(host: EnvironmentConfig): number {
  return (
    (1 + surgePods(1)) * previewDbPoolMax(host) +
    MIGRATIONS_CONNECTIONS +
    workerConnections(PREVIEW_WORKER.maxReplicas, PREVIEW_WORKER.concurrency)
  );
}

/**
 * Previews the host's instance can carry beside its own service at full
 * scale; `npm run preview` refuses a new one beyond it.
 */
export function maxConcurrentPreviews(host: EnvironmentConfig): number {
  const free = host.database.maxConnections - RESERVED_CONNECTIONS - serviceConnections(host);
  return Math.max(0, Math.floor(free / previewConnections(host)));
}

/** The cap's arithmetic, for the message that refuses a preview. */
export function previewCapExplanation(host: EnvironmentConfig): string {
  return (
    `${host.name}'s max_connections ${host.database.maxConnections} − reserved ${RESERVED_CONNECTIONS} − ` +
    `${host.name} at full scale ${serviceConnections(host)}, divided by ${previewConnections(host)} per preview ` +
    `(pool ${previewDbPoolMax(host)} × 2 pods during a rollout + its migrations Job + its share-image worker)`
  );
}
