/**
 * The generated dashboards, checked by the tools that read them: every
 * PromQL query (panels and variables) parses under Prometheus' own parser
 * (`promtool check rules`), every variable a query uses is defined, and
 * latency percentiles leave probe routes out.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { stringify } from 'yaml';
import { traceExemplar } from '../../app/src/observability/metrics';
import { ENVIRONMENT_NAMES, loadEnvironments } from '../../config/environments';
import { PROBE_ROUTES } from '../../config/sli';
import { DATASOURCES, VARIABLES, dashboards } from '../dashboards';
import { EXEMPLAR_TRACE_LABEL, observabilityValues } from '../helm-values';

interface Query {
  where: string;
  type: string;
  expr: string;
  exemplar?: boolean;
}
interface Variable {
  name: string;
  query?: string;
  datasource?: { uid?: string };
}

const boards = dashboards();
/** Grafana's own variables, filled in before a query reaches the datasource. */
const BUILT_IN = new Set(['__rate_interval', '__interval', '__range']);

function panelQueries(): Query[] {
  return Object.entries(boards).flatMap(([name, board]) =>
    (board.panels ?? []).flatMap((p) => {
      const panel = p as {
        title?: string;
        targets?: { expr?: string; exemplar?: boolean; datasource?: { type?: string } }[];
      };
      return (panel.targets ?? []).map((t) => ({
        where: `${name} / ${panel.title}`,
        type: t.datasource?.type ?? '?',
        expr: t.expr ?? '',
        exemplar: t.exemplar,
      }));
    }),
  );
}
const variablesOf = (name: string) => (boards[name]!.templating?.list ?? []) as Variable[];

/** What Grafana sends: variables interpolated (a sample value), `label_values(q, l)` as its series query `q`. */
function interpolated(expr: string): string {
  return expr
    .replace(/^label_values\((.*),\s*\w+\)$/s, '$1')
    .replace(/\$(__rate_interval|__interval|__range)\b/g, '5m')
    .replace(/\$(\w+)/g, 'value');
}

describe('dashboards', () => {
  it('every dashboard offers the environment and namespace variables', () => {
    for (const name of Object.keys(boards))
      expect([name, variablesOf(name).map((v) => v.name)]).toEqual([
        name,
        [VARIABLES.environment, VARIABLES.namespace],
      ]);
  });

  it('every variable a query uses is defined on its dashboard', () => {
    const undefinedUses = Object.keys(boards).flatMap((name) => {
      const defined = new Set(variablesOf(name).map((v) => v.name));
      const exprs = [
        ...panelQueries()
          .filter((q) => q.where.startsWith(`${name} /`))
          .map((q) => q.expr),
        ...variablesOf(name).map((v) => v.query ?? ''),
      ];
      return exprs.flatMap((e) =>
        [...e.matchAll(/\$(\w+)/g)]
          .map((m) => m[1]!)
          .filter((v) => !BUILT_IN.has(v) && !defined.has(v))
          .map((v) => `${name}: $${v}`),
      );
    });
    expect(undefinedUses).toEqual([]);
  });

  it('every PromQL query and variable query parses under promtool', () => {
    const exprs = [
      ...panelQueries().filter((q) => q.type === DATASOURCES.prometheus.type),
      ...Object.keys(boards).flatMap((name) =>
        variablesOf(name).map((v) => ({ where: `${name} / $${v.name}`, type: 'prometheus', expr: v.query! })),
      ),
    ];
    expect(exprs.length).toBeGreaterThan(20);
    const dir = mkdtempSync(join(tmpdir(), 'dashboards-'));
    try {
      // One file per query, so promtool names the query that does not parse.
      const files = exprs.map((q, i) => {
        const file = join(dir, `q${i}.yaml`);
        const rule = { record: `dashboard:query_${i}`, expr: interpolated(q.expr) };
        writeFileSync(file, stringify({ groups: [{ name: q.where, rules: [rule] }] }));
        return file;
      });
      const failures = files.filter((f) => {
        try {
          execFileSync('promtool', ['check', 'rules', f], { stdio: 'pipe' });
          return false;
        } catch {
          return true;
        }
      });
      expect(failures.map((f) => exprs[files.indexOf(f)]!.where)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the interpolation cannot hide a broken query: promtool rejects an unbalanced one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboards-'));
    try {
      const file = join(dir, 'bad.yaml');
      const expr = interpolated('sum(rate(http_requests_total{namespace=~"$namespace"}[$__rate_interval])');
      writeFileSync(file, stringify({ groups: [{ name: 'bad', rules: [{ record: 'x:y', expr }] }] }));
      expect(() => execFileSync('promtool', ['check', 'rules', file], { stdio: 'pipe' })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('latency percentiles count user requests only (probe routes excluded)', () => {
    const percentiles = panelQueries().filter(
      (q) => q.expr.includes('histogram_quantile') && q.expr.includes('http_request_duration_seconds'),
    );
    expect(percentiles.length).toBeGreaterThanOrEqual(4);
    for (const q of percentiles) {
      const excluded = /route!~"([^"]+)"/.exec(q.expr)?.[1]?.split('|') ?? [];
      expect([q.where, PROBE_ROUTES.filter((r) => !excluded.includes(r))]).toEqual([q.where, []]);
    }
  });

  it('the overview shows saturation: CPU, memory, restarts and the database pool', () => {
    const overview = panelQueries().filter((q) => q.where.startsWith('walk-service-overview /'));
    for (const metric of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'kube_pod_container_status_restarts_total',
      'db_pool_max_connections',
    ])
      expect([metric, overview.some((q) => q.expr.includes(metric))]).toEqual([metric, true]);
  });

  it('has a "Share images" row: queue depth, oldest job, throughput by outcome, p50/p99 job and render time, worker replicas', () => {
    const panels = (boards['walk-service-overview']!.panels ?? []) as {
      type?: string;
      title?: string;
      targets?: { expr?: string }[];
    }[];
    const start = panels.findIndex((p) => p.type === 'row' && p.title === 'Share images');
    expect(start).toBeGreaterThan(-1);
    const end = panels.findIndex((p, i) => i > start && p.type === 'row');
    const exprs = panels
      .slice(start + 1, end === -1 ? undefined : end)
      .flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    for (const wanted of [
      /max\(walk_share_image_jobs_waiting\{/,
      /max\(walk_share_image_oldest_waiting_seconds\{/,
      /sum by \(outcome\) \(rate\(walk_share_image_jobs_total\{/,
      /histogram_quantile\(0\.5, sum by \(le\) \(rate\(walk_share_image_job_seconds_bucket/,
      /histogram_quantile\(0\.99, sum by \(le\) \(rate\(walk_share_image_job_seconds_bucket/,
      /histogram_quantile\(0\.5, sum by \(le\) \(rate\(walk_share_image_render_seconds_bucket/,
      /histogram_quantile\(0\.99, sum by \(le\) \(rate\(walk_share_image_render_seconds_bucket/,
      /kube_deployment_status_replicas_available\{.*deployment="walk-image-worker"/,
    ])
      expect([String(wanted), exprs.some((e) => wanted.test(e))]).toEqual([String(wanted), true]);
  });

  it('every latency panel asks for exemplars, the link from a latency point to its trace', () => {
    const latency = panelQueries().filter((q) => q.expr.includes('http_request_duration_seconds_bucket'));
    expect(latency.length).toBeGreaterThanOrEqual(4);
    expect(latency.filter((q) => q.exemplar !== true).map((q) => q.where)).toEqual([]);
  });
});

describe('exemplar link to Cloud Trace (Grafana datasource)', () => {
  const config = loadEnvironments();
  /** Grafana's own variables in an exemplar link: the exemplar label's value. */
  const GRAFANA_LINK_VARIABLES = new Set(['__value.raw']);
  const prometheusOf = (name: (typeof ENVIRONMENT_NAMES)[number]) => {
    const grafana = observabilityValues(config.environments[name]).grafana as {
      datasources: Record<
        string,
        {
          datasources: {
            uid: string;
            jsonData?: { exemplarTraceIdDestinations?: { name: string; url: string }[] };
          }[];
        }
      >;
    };
    return grafana.datasources['datasources.yaml']!.datasources.find(
      (d) => d.uid === DATASOURCES.prometheus.uid,
    )!;
  };

  it('names the label the service writes and opens the trace in the environment’s project', () => {
    const written = Object.keys(
      traceExemplar(
        { spanContext: () => ({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 }) } as never,
        'p',
      )!,
    );
    for (const name of ENVIRONMENT_NAMES) {
      const [destination, ...more] = prometheusOf(name).jsonData!.exemplarTraceIdDestinations!;
      expect(more).toEqual([]);
      expect(written).toContain(destination!.name);
      expect(destination!.name).toBe(EXEMPLAR_TRACE_LABEL);
      const url = new URL(destination!.url.replace(/\$\$\{[^}]*\}/g, 'x'));
      expect([url.origin, url.searchParams.get('project')]).toEqual([
        'https://console.cloud.google.com',
        config.environments[name].projectId,
      ]);
    }
  });

  it('uses only variables Grafana defines, escaped from provisioning’s environment expansion', () => {
    for (const name of ENVIRONMENT_NAMES) {
      const { url } = prometheusOf(name).jsonData!.exemplarTraceIdDestinations![0]!;
      const escaped = [...url.matchAll(/\$\$\{([^}]*)\}/g)].map((m) => m[1]!);
      expect(escaped.length).toBeGreaterThan(0);
      expect(escaped.filter((v) => !GRAFANA_LINK_VARIABLES.has(v))).toEqual([]);
      // no bare $NAME / ${NAME} left for provisioning to replace with an (empty) environment variable
      expect(url.replace(/\$\$/g, '')).not.toContain('$');
    }
  });
});
