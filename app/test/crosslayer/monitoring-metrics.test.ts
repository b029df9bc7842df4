/**
 * Cross-layer: every service metric the monitoring rules and dashboards query
 * is on the running service's /metrics (METRICS_PORT), and the latency SLO's
 * threshold is one of its histogram buckets.
 */
import { SHARE_IMAGE_WORKER_IDENTITY } from '../../../config/names';
import { RULE_GROUPS } from '../../../monitoring/alerts';
import { dashboards } from '../../../monitoring/dashboards';
import { PLATFORM_METRIC_NAMES } from '../../../monitoring/metric-catalogue';
import { LATENCY_THRESHOLD_SECONDS } from '../../../monitoring/slo';
import { promqlMetricNames, recordedMetricNames } from '../../../monitoring/test/promql';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { startService, type RunningService } from '../../src/server';
import { createTestDatabase, testEnv, type TestDatabase } from '../harness';

let db: TestDatabase;
let service: RunningService;
let exposition: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig(testEnv(db.url, { PORT: '0', METRICS_PORT: '0' }));
  service = await startService(
    config,
    createLogger({ level: 'error', destination: { write: () => undefined } }),
  );
  // One answered request so labelled series (route, status_code, le) exist.
  await fetch(`http://127.0.0.1:${service.port}/healthz`);
  exposition = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
});
afterAll(async () => {
  await service?.stop('test over');
  await db?.drop();
});

/** Series names /metrics can yield, from its OpenMetrics `# TYPE` lines (histograms and counters expanded). */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name! + s);
    else if (type === 'counter') names.add(`${name!}_total`);
    else names.add(name!);
  }
  return names;
}

function queriedServiceMetrics(): string[] {
  const exprs = [
    ...RULE_GROUPS.flatMap((g) => g.rules.map((r) => r.expr)),
    ...Object.values(dashboards()).flatMap((b) =>
      (b.panels ?? []).flatMap((p) =>
        ((p as { targets?: { expr?: string; datasource?: { type?: string } }[] }).targets ?? [])
          .filter((t) => t.datasource?.type === 'prometheus')
          .map((t) => t.expr ?? ''),
      ),
    ),
  ];
  const recorded = recordedMetricNames();
  // Series read only from the share-image worker's job are on the worker's /metrics, not the service's
  // (monitoring/test/metrics.test.ts checks them against the worker's registry).
  const worker = `job="${SHARE_IMAGE_WORKER_IDENTITY.name}"`;
  const serviceRead = new Set(exprs.filter((e) => !e.includes(worker)).flatMap(promqlMetricNames));
  return [...new Set(exprs.flatMap(promqlMetricNames))].filter(
    (m) => !PLATFORM_METRIC_NAMES.has(m) && !recorded.has(m) && serviceRead.has(m),
  );
}

describe('monitoring ↔ running service', () => {
  it('every service metric the rules and dashboards query is exposed on /metrics', () => {
    const exposed = exposedNames(exposition);
    const queried = queriedServiceMetrics();
    expect(queried).toEqual(expect.arrayContaining(['http_requests_total', 'db_pool_waiting_clients']));
    expect(queried.filter((m) => !exposed.has(m))).toEqual([]);
  });

  it('the latency SLO threshold is a bucket boundary of http_request_duration_seconds', () => {
    expect(exposition).toMatch(
      new RegExp(
        `^http_request_duration_seconds_bucket\\{[^}]*le="${LATENCY_THRESHOLD_SECONDS}"[^}]*\\} \\d+`,
        'm',
      ),
    );
  });

  it('series carry the labels the rules group and filter by', () => {
    expect(exposition).toMatch(
      /^http_requests_total\{[^}]*route="\/healthz"[^}]*status_code="200"[^}]*\} \d+/m,
    );
    expect(exposition).toMatch(/^db_pool_connections\{state="idle"\} \d+/m);
  });
});
