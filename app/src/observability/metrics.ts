/**
 * The service's Prometheus metrics. Names and labels are a contract with the
 * monitoring rules and the canary analysis: change them there too.
 *
 * Served as OpenMetrics: prom-client writes exemplars only in that format, and
 * the request-latency histogram carries the sampled trace of a request as its
 * exemplar (ADR 0243). Series names are the same in both formats.
 */
import { TraceFlags, type Span } from '@opentelemetry/api';
import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type OpenMetricsContentType,
} from 'prom-client';
import type { Pool } from 'pg';
import { productMetrics, type ProductMetrics } from './product-metrics';

export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type MetricsRegistry = Registry<OpenMetricsContentType>;

export interface Metrics {
  readonly registry: MetricsRegistry;
  readonly httpRequests: Counter<'method' | 'route' | 'status_code'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  /** operation: create | replace | delete */
  readonly walkWrites: Counter<'operation'>;
  /** result: success | invalid_token | rate_limited | error (the sessions component fills it) */
  readonly sessionLogins: Counter<'result'>;
  readonly sessionRefreshes: Counter<'result'>;
  readonly sessionRefreshTokenReuse: Counter;
  /** Client log entries ingested; operation and app_version are bounded (client-logs/labels.ts). */
  readonly clientLogEntries: Counter<'level' | 'operation' | 'app_version'>;
  /** result: accepted | invalid | rate_limited */
  readonly clientLogBatches: Counter<'result'>;
  /** Policies, consents, remote configuration (product-metrics.ts). */
  readonly product: ProductMetrics;
  /** object: thumbnail (a replaced one) | walk_objects (a deleted walk's); leftovers are the lifecycle rule's. */
  readonly imageObjectDeleteFailures: Counter<'object'>;
}

/** A fresh registry with default process metrics and the service's own; one per app instance. */
export function createMetrics(): Metrics {
  // (the constructor takes the content type, but prom-client's typings do not declare it)
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status_code'] as const;
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route template and status code.',
      labelNames,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request to response, by route template and status code.',
      labelNames,
      buckets: HTTP_DURATION_BUCKETS,
      registers: [registry],
      enableExemplars: true,
    }),
    walkWrites: new Counter({
      name: 'walks_writes_total',
      help: 'Walk writes committed, by operation.',
      labelNames: ['operation'],
      registers: [registry],
    }),
    sessionLogins: new Counter({
      name: 'session_logins_total',
      help: 'Session logins, by result.',
      labelNames: ['result'],
      registers: [registry],
    }),
    sessionRefreshes: new Counter({
      name: 'session_refreshes_total',
      help: 'Session refreshes, by result.',
      labelNames: ['result'],
      registers: [registry],
    }),
    sessionRefreshTokenReuse: new Counter({
      name: 'session_refresh_token_reuse_total',
      help: 'Already-used refresh tokens presented (treated as theft; the family is revoked).',
      registers: [registry],
    }),
    clientLogEntries: new Counter({
      name: 'client_log_entries_total',
      help: 'Log entries the app sent, by level, operation (unknown ones as other) and app version.',
      labelNames: ['level', 'operation', 'app_version'],
      registers: [registry],
    }),
    clientLogBatches: new Counter({
      name: 'client_log_batches_total',
      help: 'Client log batches received, by result.',
      labelNames: ['result'],
      registers: [registry],
    }),
    product: productMetrics(registry),
    imageObjectDeleteFailures: initialised(
      new Counter({
        name: 'walk_image_object_delete_failures_total',
        help: 'Bucket objects the service failed to delete after the database change committed.',
        labelNames: ['object'],
        registers: [registry],
      }),
      'object',
      ['thumbnail', 'walk_objects'],
    ),
  };
}

/** Series at 0 from the start, so the first failure is a step rate() sees. */
function initialised<L extends string>(counter: Counter<L>, label: L, values: readonly string[]): Counter<L> {
  for (const value of values) counter.inc({ [label]: value } as Partial<Record<L, string>>, 0);
  return counter;
}

/**
 * Exemplar labels linking a latency observation to its trace: the names
 * Managed Service for Prometheus maps to a Cloud Trace span context
 * (trace_id, span_id, project_id; example in GoogleCloudPlatform/prometheus-engine,
 * examples/instrumentation/go-synthetic). Only sampled spans: an unsampled one
 * has no trace to open. Names and values stay under OpenMetrics' 128 characters
 * (32 + 16 hex digits and a project id of at most 30).
 */
export function traceExemplar(
  span: Span | undefined,
  project: string | undefined,
): Record<string, string> | undefined {
  const ctx = span?.spanContext();
  if (!ctx || (ctx.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return { trace_id: ctx.traceId, span_id: ctx.spanId, ...(project && { project_id: project }) };
}

/** A route the service serves, as its metrics label it. */
export interface RouteLabel {
  readonly method: string;
  readonly route: string;
}

/**
 * Creates at 0 the request series of every route with each given status, so
 * the first such answer is a step from 0: a series that appears with its
 * first error already counted is invisible to rate() until its second
 * (the SLIs and the canary analysis would miss a burst of 5xx entirely).
 */
export function initialiseRequestSeries(
  metrics: Metrics,
  routes: readonly RouteLabel[],
  statusCodes: readonly number[],
): void {
  for (const { method, route } of routes) {
    for (const status of statusCodes) {
      const labels = { method, route, status_code: String(status) };
      metrics.httpRequests.inc(labels, 0);
      metrics.httpDuration.zero(labels);
    }
  }
}

/** Pool gauges, read from the pool at scrape time. */
export function registerPoolMetrics(registry: MetricsRegistry, pool: Pool, maxConnections: number): void {
  new Gauge({
    name: 'db_pool_connections',
    help: 'Connections in the pg pool, by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
    },
  });
  new Gauge({
    name: 'db_pool_waiting_clients',
    help: 'Queries waiting for a pool connection.',
    registers: [registry],
    collect() {
      this.set(pool.waitingCount);
    },
  });
  new Gauge({
    name: 'db_pool_max_connections',
    help: 'Configured size of the pg pool.',
    registers: [registry],
    collect() {
      this.set(maxConnections);
    },
  });
}
