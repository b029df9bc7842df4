/**
 * Every metric an alert, a recording rule or a dashboard queries exists: the
 * service exposes it, the platform catalogue documents it, or a recording
 * rule here produces it.
 */
import type { Request } from 'express';
import { routeTemplate } from '../../app/src/http/middleware';
import { UNMATCHED_ROUTE } from '../../config/sli';
import { RULE_GROUPS } from '../alerts';
import { dashboards } from '../dashboards';
import { METRIC_SOURCES, PLATFORM_METRICS } from '../metric-catalogue';
import { knownMetricNames, promqlMetricNames, serviceMetricNames } from './promql';
import type { Pool } from 'pg';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { registerPoolMetrics } from '../../app/src/observability/metrics';
import { workerMetrics } from '../../app/src/share-images/metrics';
import { WORKER_SCRAPED_METRICS } from '../../charts/walk-service/share-image-worker';
import { SHARE_IMAGE_WORKER_IDENTITY } from '../../config/names';

interface Target {
  expr?: string;
  datasource?: { type?: string };
}

function dashboardQueries(): { where: string; type: string; expr: string }[] {
  return Object.entries(dashboards()).flatMap(([name, board]) =>
    (board.panels ?? []).flatMap((p) => {
      const panel = p as { title?: string; targets?: Target[] };
      return (panel.targets ?? []).map((t) => ({
        where: `${name} / ${panel.title}`,
        type: t.datasource?.type ?? '?',
        expr: t.expr ?? '',
      }));
    }),
  );
}

describe('route labels', () => {
  it('the SLIs exclude the route label the service gives a request no route matched', () => {
    expect(routeTemplate({ baseUrl: '' } as Request)).toBe(UNMATCHED_ROUTE);
  });
});

describe('metric names', () => {
  const known = knownMetricNames();

  it('extracts metric names from PromQL, not functions, labels or keywords', () => {
    expect(
      promqlMetricNames(
        'sum by (route) (rate(http_requests_total{job="x",status_code=~"5.."}[5m])) / ignoring(state) up unless on (namespace) foo:bar',
      ).sort(),
    ).toEqual(['foo:bar', 'http_requests_total', 'up']);
  });

  it('knows the service contract metrics from the service definitions', () => {
    const service = serviceMetricNames();
    for (const name of [
      'http_requests_total',
      'http_request_duration_seconds_bucket',
      'db_pool_connections',
      'db_pool_waiting_clients',
      'db_pool_max_connections',
      'session_refresh_token_reuse_total',
      'process_cpu_seconds_total',
    ]) {
      expect(service).toContain(name);
    }
  });

  it('every rule queries known metrics only', () => {
    const unknown = RULE_GROUPS.flatMap((g) =>
      g.rules.flatMap((r) =>
        promqlMetricNames(r.expr)
          .filter((m) => !known.has(m))
          .map((m) => `${g.name}/${'alert' in r ? r.alert : r.record}: ${m}`),
      ),
    );
    expect(unknown).toEqual([]);
  });

  it('every dashboard PromQL query names known metrics, and each panel has a query', () => {
    const queries = dashboardQueries();
    expect(queries.length).toBeGreaterThan(15);
    const unknown = queries
      .filter((q) => q.type === 'prometheus')
      .flatMap((q) =>
        promqlMetricNames(q.expr)
          .filter((m) => !known.has(m))
          .map((m) => `${q.where}: ${m}`),
      );
    expect(unknown).toEqual([]);
    expect(queries.filter((q) => q.expr.trim() === '')).toEqual([]);
  });

  it('catalogues each platform metric once, with a documented source', () => {
    const names = PLATFORM_METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of PLATFORM_METRICS) expect(METRIC_SOURCES[m.source]).toMatch(/^https:\/\//);
    // A platform metric must not shadow a service metric.
    const service = serviceMetricNames();
    expect(names.filter((n) => service.has(n))).toEqual([]);
  });
});

describe('the share-image worker scrape', () => {
  it("keeps only series the worker's registry exposes, and every worker series a query reads", () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    workerMetrics(registry);
    registerPoolMetrics(registry as never, {} as Pool, 1);
    const exposed = new Set(
      registry.getMetricsAsArray().flatMap((m) => {
        const { name, type } = m as unknown as { name: string; type: string };
        return type === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => name + s) : [name];
      }),
    );
    expect(WORKER_SCRAPED_METRICS.filter((n) => !exposed.has(n))).toEqual([]);
    const read = [
      ...RULE_GROUPS.flatMap((g) => g.rules.map((r) => r.expr)),
      ...Object.values(dashboards()).flatMap((b) =>
        (b.panels ?? []).flatMap((p) =>
          ((p as { targets?: { expr?: string }[] }).targets ?? []).map((t) => t.expr ?? ''),
        ),
      ),
    ]
      .filter((e) => e.includes(`job="${SHARE_IMAGE_WORKER_IDENTITY.name}"`))
      .flatMap((e) => promqlMetricNames(e));
    expect(read.length).toBeGreaterThan(0);
    expect(
      [...new Set(read)].filter((n) => !(WORKER_SCRAPED_METRICS as readonly string[]).includes(n)),
    ).toEqual([]);
  });
});
