/**
 * Grafana dashboards as code (@grafana/grafana-foundation-sdk). Queries use
 * the provisioned datasources by uid (helm-values.ts), the SLO recording rules
 * and the service's metric names; a test checks every metric they name.
 */
import {
  DashboardBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder as LokiQuery } from '@grafana/grafana-foundation-sdk/loki';
import { PanelBuilder as LogsPanel } from '@grafana/grafana-foundation-sdk/logs';
import { DataqueryBuilder as PromQuery } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { FLAGGER_JOB } from './config';
import {
  SERVICE_NAME,
  SERVICE_NAMESPACE,
  SHARE_IMAGE_WORKER_IDENTITY,
  sqlInstanceName,
} from '../config/names';
import { userRequests } from '../config/sli';
import { SLOS, errorBudget, errorRatioRecord } from './slo';

/** Datasource uids, provisioned with these uids by the Grafana Helm values. */
export const DATASOURCES = {
  prometheus: { type: 'prometheus', uid: 'gmp' },
  loki: { type: 'loki', uid: 'loki' },
} as const;

/**
 * Template variables of every dashboard: `environment` is the GKE cluster
 * (`tekutoko-<env>`, the label managed collection adds), `namespace` the
 * service's (`walk-service`, or a preview's `pr-<n>`).
 */
export const VARIABLES = { environment: 'environment', namespace: 'namespace' } as const;
const ENV = `cluster=~"$${VARIABLES.environment}"`;
const NAMESPACE = `namespace=~"$${VARIABLES.namespace}"`;
/** The service's series in the chosen environment and namespace. */
const SELECTOR = `job="${SERVICE_NAME}",${ENV},${NAMESPACE}`;
/** The share-image worker's own series (its PodMonitoring is named after it). */
const WORKER_DASHBOARD_SELECTOR = `job="${SHARE_IMAGE_WORKER_IDENTITY.name}",${ENV},${NAMESPACE}`;

/** Log stream selector of the service: only the low-cardinality labels Alloy keeps (Loki is per cluster). */
export const SERVICE_LOG_SELECTOR = `{${NAMESPACE}, app=~"${SERVICE_NAME}.*"}`;

type Panel = TimeseriesPanel | StatPanel | LogsPanel;

const prom = (expr: string, legend: string, refId = 'A') =>
  new PromQuery().expr(expr).legendFormat(legend).refId(refId).datasource(DATASOURCES.prometheus);
/**
 * A latency query that also asks for exemplars: the request's sampled trace,
 * linked to Cloud Trace by the datasource (helm-values.ts, ADR 0243).
 */
const latency = (expr: string, legend: string, refId = 'A') => prom(expr, legend, refId).exemplar(true);
const loki = (expr: string, refId = 'A') =>
  new LokiQuery().expr(expr).refId(refId).datasource(DATASOURCES.loki);

function timeseries(title: string, unit: string, ...targets: PromQuery[]): TimeseriesPanel {
  const panel = new TimeseriesPanel().title(title).unit(unit).datasource(DATASOURCES.prometheus);
  for (const t of targets) panel.withTarget(t);
  return panel;
}

function stat(title: string, unit: string, target: PromQuery): StatPanel {
  return new StatPanel().title(title).unit(unit).datasource(DATASOURCES.prometheus).withTarget(target);
}

function logs(title: string, expr: string): LogsPanel {
  return new LogsPanel()
    .title(title)
    .datasource(DATASOURCES.loki)
    .withTarget(loki(expr))
    .showTime(true)
    .wrapLogMessage(true)
    .enableLogDetails(true);
}

/** Lays panels out left to right in rows of 24 columns, each `width` wide and `height` tall. */
function layout(
  board: DashboardBuilder,
  rows: { title: string; height: number; panels: [Panel, number][] }[],
): DashboardBuilder {
  let y = 0;
  for (const row of rows) {
    board.withRow(new RowBuilder(row.title).gridPos({ x: 0, y, w: 24, h: 1 }));
    y += 1;
    let x = 0;
    for (const [panel, width] of row.panels) {
      if (x + width > 24) {
        x = 0;
        y += row.height;
      }
      board.withPanel(panel.gridPos({ x, y, w: width, h: row.height }));
      x += width;
    }
    y += row.height;
  }
  return board;
}

function variable(name: string, label: string, query: string, current: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCES.prometheus)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .current({ text: current, value: current });
}

function base(uid: string, title: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(uid)
    .tags(['tekutoko', SERVICE_NAME])
    .editable()
    .refresh('1m')
    .time({ from: 'now-6h', to: 'now' })
    .timezone('utc')
    .withVariable(
      variable(VARIABLES.environment, 'environment', `label_values(up{job="${SERVICE_NAME}"}, cluster)`, ''),
    )
    .withVariable(
      variable(
        VARIABLES.namespace,
        'namespace',
        `label_values(up{job="${SERVICE_NAME}",${ENV}}, namespace)`,
        SERVICE_NAMESPACE,
      ),
    );
}

const rate = (metric: string, extra = '', by = '') =>
  `sum${by ? ` by (${by})` : ''} (rate(${metric}{${SELECTOR}${extra}}[$__rate_interval]))`;

/** Latency of user requests: probes answer fast (or 503 slowly) and are not what users wait for. */
const quantile = (q: number, by = '') =>
  `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(http_request_duration_seconds_bucket{${userRequests(SELECTOR)}}[$__rate_interval])))`;

/** A recorded SLO ratio in the chosen environment and namespace. */
const recorded = (record: string, slo: string) => `${record}{slo="${slo}",${ENV},${NAMESPACE}}`;

export function serviceOverview(): Dashboard {
  const burn = SLOS.map((slo, i) =>
    prom(
      `${recorded(errorRatioRecord('1h'), slo.name)} / ${errorBudget(slo)}`,
      `${slo.name} (1h)`,
      String.fromCharCode(65 + i),
    ),
  );
  const budgets = SLOS.map(
    (slo) =>
      [
        stat(
          `${slo.name} error budget remaining (30d)`,
          'percentunit',
          prom(`1 - ${recorded(errorRatioRecord('30d'), slo.name)} / ${errorBudget(slo)}`, slo.name),
        ),
        6,
      ] as [Panel, number],
  );
  return layout(base('walk-service-overview', 'walk-service: overview'), [
    {
      title: 'SLOs',
      height: 6,
      panels: [
        [
          stat(
            'availability (30d)',
            'percentunit',
            prom(`1 - ${recorded(errorRatioRecord('30d'), 'availability')}`, 'availability'),
          ),
          6,
        ],
        [
          stat(
            'within 500 ms (30d)',
            'percentunit',
            prom(`1 - ${recorded(errorRatioRecord('30d'), 'latency')}`, 'latency'),
          ),
          6,
        ],
        ...budgets,
      ],
    },
    {
      title: 'Traffic, errors, latency',
      height: 8,
      panels: [
        [
          timeseries(
            'requests per second by route',
            'reqps',
            prom(rate('http_requests_total', '', 'route'), '{{route}}'),
          ),
          12,
        ],
        [
          timeseries(
            '5xx ratio by route',
            'percentunit',
            prom(
              `${rate('http_requests_total', ',status_code=~"5.."', 'route')}\n/\n${rate('http_requests_total', '', 'route')}`,
              '{{route}}',
            ),
          ),
          12,
        ],
        [
          timeseries(
            'latency percentiles (user requests, probes excluded)',
            's',
            latency(quantile(0.5), 'p50', 'A'),
            latency(quantile(0.95), 'p95', 'B'),
            latency(quantile(0.99), 'p99', 'C'),
          ),
          12,
        ],
        [timeseries('error-budget burn rate (1 = on budget)', 'none', ...burn), 12],
      ],
    },
    {
      title: 'Saturation',
      height: 8,
      panels: [
        [
          timeseries(
            'CPU per pod (cores)',
            'short',
            prom(`sum by (pod) (rate(process_cpu_seconds_total{${SELECTOR}}[$__rate_interval]))`, '{{pod}}'),
          ),
          6,
        ],
        [
          timeseries(
            'memory per pod (resident)',
            'bytes',
            prom(`sum by (pod) (process_resident_memory_bytes{${SELECTOR}})`, '{{pod}}'),
          ),
          6,
        ],
        [
          timeseries(
            'container restarts (1h)',
            'short',
            prom(
              `sum by (pod) (increase(kube_pod_container_status_restarts_total{${ENV},${NAMESPACE},container="${SERVICE_NAME}"}[1h]))`,
              '{{pod}}',
            ),
          ),
          6,
        ],
        [
          timeseries(
            'database pool in use',
            'percentunit',
            prom(
              `sum by (pod) (db_pool_connections{${SELECTOR},state="total"} - ignoring(state) db_pool_connections{${SELECTOR},state="idle"})\n/\nsum by (pod) (db_pool_max_connections{${SELECTOR}})`,
              '{{pod}}',
            ),
          ),
          6,
        ],
      ],
    },
    {
      // issue 18: app/src/observability/product-metrics.ts
      title: 'Policies, consents, remote config',
      height: 8,
      panels: [
        [
          timeseries(
            'consents recorded per second by type',
            'reqps',
            prom(rate('consents_recorded_total', '', 'consent_type'), '{{consent_type}}'),
          ),
          8,
        ],
        [
          timeseries(
            'GET /v1/config answers per second by template version',
            'reqps',
            prom(rate('config_served_total', '', 'template_version'), 'version {{template_version}}'),
          ),
          8,
        ],
        [
          timeseries(
            'GET /v1/config answered 304 (not modified)',
            'percentunit',
            prom(
              `${rate('config_served_total', ',result="304"')}\n/\n${rate('config_served_total')}`,
              '304 ratio',
            ),
          ),
          8,
        ],
      ],
    },
    {
      // issue 19: app/src/share-images/metrics.ts; alerts WalkShareImageBacklog, WalkShareImageJobsFailing
      title: 'Share images',
      height: 8,
      panels: [
        [
          timeseries(
            'jobs waiting and the oldest one’s wait',
            's',
            prom(`max(walk_share_image_jobs_waiting{${SELECTOR}})`, 'jobs waiting'),
            prom(`max(walk_share_image_oldest_waiting_seconds{${SELECTOR}})`, 'oldest waiting (s)', 'B'),
          ),
          6,
        ],
        [
          timeseries(
            'job attempts per second by outcome',
            'ops',
            prom(
              `sum by (outcome) (rate(walk_share_image_jobs_total{${WORKER_DASHBOARD_SELECTOR}}[$__rate_interval]))`,
              '{{outcome}}',
            ),
          ),
          6,
        ],
        [
          timeseries(
            'p50 / p99 job time (enqueue to finish) and render time',
            's',
            ...(
              [
                [0.5, 'walk_share_image_job_seconds', 'job p50', 'A'],
                [0.99, 'walk_share_image_job_seconds', 'job p99', 'B'],
                [0.5, 'walk_share_image_render_seconds', 'render p50', 'C'],
                [0.99, 'walk_share_image_render_seconds', 'render p99', 'D'],
              ] as const
            ).map(([q, metric, legend, ref]) =>
              prom(
                `histogram_quantile(${q}, sum by (le) (rate(${metric}_bucket{${WORKER_DASHBOARD_SELECTOR}}[$__rate_interval])))`,
                legend,
                ref,
              ),
            ),
          ),
          6,
        ],
        [
          timeseries(
            'worker replicas (KEDA)',
            'none',
            prom(
              `sum(kube_deployment_status_replicas_available{${ENV},${NAMESPACE},deployment="${SHARE_IMAGE_WORKER_IDENTITY.name}"})`,
              'available',
            ),
            prom(
              `sum(kube_deployment_spec_replicas{${ENV},${NAMESPACE},deployment="${SHARE_IMAGE_WORKER_IDENTITY.name}"})`,
              'wanted',
              'B',
            ),
          ),
          6,
        ],
      ],
    },
    {
      // issue 20: POST /v1/client-logs (app/src/client-logs); alert WalkServiceClientErrorsRising
      title: 'App (client logs)',
      height: 8,
      panels: [
        [
          timeseries(
            'app log lines per second by level',
            'reqps',
            prom(rate('client_log_entries_total', '', 'level'), '{{level}}'),
          ),
          8,
        ],
        [
          timeseries(
            'share of error and critical lines by app version',
            'percentunit',
            prom(
              `${rate('client_log_entries_total', ',level=~"error|critical"', 'app_version')}\n/\n${rate('client_log_entries_total', '', 'app_version')}`,
              '{{app_version}}',
            ),
          ),
          8,
        ],
        [
          timeseries(
            'error lines per second by operation',
            'reqps',
            prom(rate('client_log_entries_total', ',level=~"error|critical"', 'operation'), '{{operation}}'),
          ),
          8,
        ],
      ],
    },
    {
      title: 'Logs',
      height: 10,
      panels: [
        [
          timeseries(
            'responses by status code',
            'reqps',
            prom(rate('http_requests_total', '', 'status_code'), '{{status_code}}'),
          ),
          8,
        ],
        [
          logs(
            'walk-service warnings and errors',
            `${SERVICE_LOG_SELECTOR} | severity=~"WARNING|ERROR|CRITICAL"`,
          ),
          16,
        ],
      ],
    },
  ]).build();
}

export function database(): Dashboard {
  const pool = (metric: string, extra = '') => `sum by (pod) (${metric}{${SELECTOR}${extra}})`;
  const sql = `database_id=~".+:${sqlInstanceName('.+')}"`;
  return layout(base('walk-service-database', 'walk-service: database'), [
    {
      title: 'Connection pool (per pod)',
      height: 8,
      panels: [
        [
          timeseries(
            'busy connections vs pool size',
            'short',
            prom(
              `${pool('db_pool_connections', ',state="total"')} - ${pool('db_pool_connections', ',state="idle"')}`,
              'busy {{pod}}',
              'A',
            ),
            prom(pool('db_pool_max_connections'), 'max {{pod}}', 'B'),
          ),
          12,
        ],
        [
          timeseries(
            'queries waiting for a connection',
            'short',
            prom(pool('db_pool_waiting_clients'), '{{pod}}'),
          ),
          12,
        ],
      ],
    },
    {
      title: 'Cloud SQL',
      height: 8,
      panels: [
        [
          timeseries(
            'CPU utilization',
            'percentunit',
            prom(`cloudsql_googleapis_com:database_cpu_utilization{${sql}}`, '{{database_id}}'),
          ),
          8,
        ],
        [
          timeseries(
            'disk utilization',
            'percentunit',
            prom(`cloudsql_googleapis_com:database_disk_utilization{${sql}}`, '{{database_id}}'),
          ),
          8,
        ],
        [
          timeseries(
            'server connections by database',
            'short',
            prom(
              `sum by (database) (cloudsql_googleapis_com:database_postgresql_num_backends{${sql}})`,
              '{{database}}',
            ),
          ),
          8,
        ],
      ],
    },
    {
      title: 'Logs',
      height: 10,
      panels: [
        [
          logs(
            'database errors in walk-service logs',
            `${SERVICE_LOG_SELECTOR} |~ "(?i)database|pool|postgres" | severity=~"WARNING|ERROR|CRITICAL"`,
          ),
          24,
        ],
      ],
    },
  ]).build();
}

export function canary(): Dashboard {
  const byApp = (expr: string) => `sum by (app) (${expr})`;
  const flagger = `job="${FLAGGER_JOB}",${ENV},exported_namespace=~"$${VARIABLES.namespace}"`;
  return layout(base('walk-service-canary', 'walk-service: canary'), [
    {
      title: 'Flagger',
      height: 7,
      panels: [
        [
          stat(
            'canary status (0 progressing, 1 succeeded, 2 failed)',
            'none',
            prom(`max by (name) (flagger_canary_status{${flagger}})`, '{{name}}'),
          ),
          8,
        ],
        [
          timeseries(
            'traffic weight',
            'percent',
            prom(`max by (workload) (flagger_canary_weight{${flagger}})`, '{{workload}}'),
          ),
          16,
        ],
      ],
    },
    {
      title: 'Primary vs canary',
      height: 8,
      panels: [
        [
          timeseries(
            '5xx ratio',
            'percentunit',
            prom(
              `${byApp(`rate(http_requests_total{${userRequests(SELECTOR)},status_code=~"5.."}[$__rate_interval])`)}\n/\n${byApp(`rate(http_requests_total{${userRequests(SELECTOR)}}[$__rate_interval])`)}`,
              '{{app}}',
            ),
          ),
          12,
        ],
        [timeseries('p99 latency (user requests)', 's', latency(quantile(0.99, 'app'), '{{app}}')), 12],
      ],
    },
    {
      title: 'Logs',
      height: 10,
      // The canary's pods carry app=<service>, the primary's app=<service>-primary (Flagger).
      panels: [
        [logs('canary pod logs', `{${NAMESPACE}, workload="${SERVICE_NAME}"}`), 12],
        [logs('primary pod logs', `{${NAMESPACE}, workload="${SERVICE_NAME}-primary"}`), 12],
      ],
    },
  ]).build();
}

export function logsDashboard(): Dashboard {
  return layout(base('walk-service-logs', 'walk-service: logs'), [
    {
      title: 'Metrics beside logs',
      height: 8,
      panels: [
        [timeseries('requests per second', 'reqps', prom(rate('http_requests_total'), 'requests')), 12],
        [
          timeseries(
            '5xx per second',
            'reqps',
            prom(rate('http_requests_total', ',status_code=~"5.."'), '5xx'),
          ),
          12,
        ],
      ],
    },
    {
      title: 'Logs',
      height: 12,
      panels: [[logs('walk-service logs', SERVICE_LOG_SELECTOR), 24]],
    },
  ]).build();
}

/** Dashboards by file name (`dashboards/<name>.json`). */
export function dashboards(): Record<string, Dashboard> {
  return {
    'walk-service-overview': serviceOverview(),
    'walk-service-database': database(),
    'walk-service-canary': canary(),
    'walk-service-logs': logsDashboard(),
  };
}
