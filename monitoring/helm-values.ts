/**
 * The monitoring layer's Helm values for the cluster stack's Grafana, Loki
 * and Alloy releases (infra/constructs/cluster-addons.ts merges them over its
 * defaults: objects key by key, arrays replaced).
 */
import { EnvironmentConfig } from '../config/environments';
import { LOKI_URL, prometheusQueryUrl, type ObservabilityValues } from '../charts/lib/cluster-addons';
import { DATASOURCES, dashboards } from './dashboards';

/** Dashboard provider (and Grafana folder) the dashboards are provisioned into. */
export const DASHBOARD_PROVIDER = 'tekutoko';

/**
 * Stream labels Alloy keeps: low cardinality only (never pod, user or request
 * ids). `workload` is the pod's `app` label, which Flagger sets per
 * Deployment: `walk-service` for the canary (and where no canary runs),
 * `walk-service-primary` for the primary; two values per service.
 */
export const LOG_LABELS = ['namespace', 'app', 'workload', 'severity'] as const;

/** The exemplar label that carries the trace id (the service writes it; app/src/observability/metrics.ts). */
export const EXEMPLAR_TRACE_LABEL = 'trace_id';

/**
 * The Cloud Trace page of one trace in the environment's project. Google
 * documents no deep-link format for the console; this is the Trace explorer's
 * `;traceId=` form. `$${__value.raw}` is Grafana's exemplar value, with `$$`
 * because Grafana expands `$NAME` and `${NAME}` in provisioning files as
 * environment variables (https://grafana.com/docs/grafana/latest/administration/provisioning/#using-environment-variables).
 */
export function cloudTraceUrl(projectId: string): string {
  return `https://console.cloud.google.com/traces/explorer;traceId=$\${__value.raw}?project=${encodeURIComponent(projectId)}`;
}

function grafanaValues(env: EnvironmentConfig): Record<string, unknown> {
  const boards = dashboards();
  return {
    datasources: {
      'datasources.yaml': {
        apiVersion: 1,
        datasources: [
          {
            name: 'Managed Prometheus',
            uid: DATASOURCES.prometheus.uid,
            type: DATASOURCES.prometheus.type,
            url: prometheusQueryUrl(),
            access: 'proxy',
            isDefault: true,
            editable: false,
            jsonData: {
              timeInterval: '15s',
              // Exemplars reach Grafana end to end: managed collection ingests them on histograms and
              // the frontend forwards /api/v1/query_exemplars to Cloud Monitoring (ADR 0243).
              exemplarTraceIdDestinations: [
                {
                  name: EXEMPLAR_TRACE_LABEL,
                  url: cloudTraceUrl(env.projectId),
                  urlDisplayLabel: 'Cloud Trace',
                },
              ],
            },
          },
          {
            name: 'Loki',
            uid: DATASOURCES.loki.uid,
            type: DATASOURCES.loki.type,
            url: LOKI_URL,
            access: 'proxy',
            editable: false,
          },
        ],
      },
    },
    dashboardProviders: {
      'dashboardproviders.yaml': {
        apiVersion: 1,
        providers: [
          {
            name: DASHBOARD_PROVIDER,
            orgId: 1,
            folder: 'TekuToko',
            type: 'file',
            disableDeletion: true,
            editable: false,
            options: { path: `/var/lib/grafana/dashboards/${DASHBOARD_PROVIDER}` },
          },
        ],
      },
    },
    dashboards: {
      [DASHBOARD_PROVIDER]: Object.fromEntries(
        Object.entries(boards).map(([name, board]) => [name, { json: JSON.stringify(board) }]),
      ),
    },
  };
}

function lokiValues(env: EnvironmentConfig): Record<string, unknown> {
  return {
    loki: {
      // Retention per environment (environments.ts); the compactor deletes older chunks from the bucket.
      limits_config: {
        retention_period: `${env.observability.lokiRetentionDays * 24}h`,
        reject_old_samples: true,
        reject_old_samples_max_age: '168h',
        // Guard against label creep: Alloy's three labels plus the service_name Loki derives itself.
        max_label_names_per_series: LOG_LABELS.length + 1,
      },
      compactor: { retention_enabled: true, delete_request_store: 'gcs', retention_delete_delay: '2h' },
    },
  };
}

/**
 * Pod logs through the Kubernetes API (no hostPath on Autopilot) → Loki.
 * Stream labels: namespace, app (app.kubernetes.io/name, else app), workload
 * (the pod's `app` label: primary or canary Deployment) and the
 * JSON `severity` pino writes; everything else stays in the line.
 */
export function alloyConfig(): string {
  return [
    'discovery.kubernetes "pods" {',
    '  role = "pod"',
    '}',
    '',
    'discovery.relabel "pods" {',
    '  targets = discovery.kubernetes.pods.targets',
    '  rule {',
    '    source_labels = ["__meta_kubernetes_namespace"]',
    '    target_label  = "namespace"',
    '  }',
    '  rule {',
    '    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name", "__meta_kubernetes_pod_label_app"]',
    '    separator     = ";"',
    '    regex         = "^;*([^;]+).*$"',
    '    target_label  = "app"',
    '  }',
    '  rule {',
    '    source_labels = ["__meta_kubernetes_pod_label_app"]',
    '    target_label  = "workload"',
    '  }',
    '}',
    '',
    'loki.source.kubernetes "pods" {',
    '  targets    = discovery.relabel.pods.output',
    '  forward_to = [loki.process.pods.receiver]',
    '}',
    '',
    'loki.process "pods" {',
    '  stage.json {',
    '    expressions = { severity = "severity" }',
    '  }',
    '  stage.labels {',
    '    values = { severity = "" }',
    '  }',
    '  stage.label_keep {',
    `    values = [${LOG_LABELS.map((l) => `"${l}"`).join(', ')}]`,
    '  }',
    '  forward_to = [loki.write.default.receiver]',
    '}',
    '',
    'loki.write "default" {',
    '  endpoint {',
    `    url = "${LOKI_URL}/loki/api/v1/push"`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export function observabilityValues(env: EnvironmentConfig): ObservabilityValues {
  return {
    grafana: grafanaValues(env),
    loki: lokiValues(env),
    alloy: { alloy: { configMap: { content: alloyConfig() } } },
  };
}
