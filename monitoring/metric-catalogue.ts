/**
 * Platform metrics the rules and dashboards may query besides the service's
 * own (app/src/observability/metrics.ts), each with the document that defines
 * it. A test fails when a query names a metric found in neither place.
 *
 * The share-image worker's series are the service's own (app/src/share-images/metrics.ts),
 * not catalogued here; its PodMonitoring keeps WORKER_SCRAPED_METRICS
 * (charts/walk-service/share-image-worker.ts), checked by test/metrics.test.ts.
 *
 * Flagger's own `namespace` label collides with the target's under managed
 * collection, so its series carry the canary's namespace as
 * `exported_namespace`.
 */

export type MetricSource =
  | 'gke-kube-state-metrics'
  | 'gmp-managed-collection'
  | 'flagger'
  | 'cloud-monitoring-cloudsql'
  | 'cloud-monitoring-uptime'
  | 'loki'
  | 'alloy';

export const METRIC_SOURCES: Readonly<Record<MetricSource, string>> = {
  'gke-kube-state-metrics':
    'https://cloud.google.com/kubernetes-engine/docs/how-to/kube-state-metrics (GKE package; Autopilot: monitoring_config components POD, DEPLOYMENT, HPA)',
  'gmp-managed-collection':
    'https://cloud.google.com/stackdriver/docs/managed-prometheus/setup-managed (synthetic `up` per PodMonitoring target)',
  flagger:
    'https://docs.flagger.app/usage/monitoring (pkg/metrics/recorder.go: 0 running, 1 succeeded, 2 failed)',
  'cloud-monitoring-cloudsql':
    'https://cloud.google.com/monitoring/api/metrics_gcp#gcp-cloudsql, queried through PromQL as cloudsql_googleapis_com:<metric path with _>',
  'cloud-monitoring-uptime':
    'https://cloud.google.com/monitoring/api/metrics_gcp#gcp-monitoring (uptime checks with validateSsl, infra/constructs/uptime-check.ts)',
  loki: 'https://grafana.com/docs/loki/latest/operations/observability/ (scraped by the `loki` PodMonitoring)',
  alloy:
    'https://grafana.com/docs/alloy/latest/reference/components/loki/loki.write/#debug-metrics (scraped by the `alloy` PodMonitoring)',
};

export interface PlatformMetric {
  readonly name: string;
  readonly source: MetricSource;
  readonly type: 'counter' | 'gauge';
  readonly labels: readonly string[];
  readonly help: string;
}

export const PLATFORM_METRICS: readonly PlatformMetric[] = [
  {
    name: 'kube_pod_container_status_ready',
    source: 'gke-kube-state-metrics',
    type: 'gauge',
    labels: ['namespace', 'pod', 'container'],
    help: '1 when the container passes its readiness probe',
  },
  {
    name: 'kube_pod_status_phase',
    source: 'gke-kube-state-metrics',
    type: 'gauge',
    labels: ['namespace', 'pod', 'phase'],
    help: '1 for the phase the pod is in (Pending, Running, Succeeded, Failed, Unknown)',
  },
  {
    name: 'kube_pod_container_status_waiting_reason',
    source: 'gke-kube-state-metrics',
    type: 'gauge',
    labels: ['namespace', 'pod', 'container', 'reason'],
    help: '1 while the container waits for the given reason (CrashLoopBackOff, ImagePullBackOff, …)',
  },
  {
    name: 'kube_pod_container_status_restarts_total',
    source: 'gke-kube-state-metrics',
    type: 'counter',
    labels: ['namespace', 'pod', 'container'],
    help: 'restarts of a container',
  },
  {
    name: 'kube_deployment_spec_replicas',
    source: 'gke-kube-state-metrics',
    type: 'gauge',
    labels: ['namespace', 'deployment'],
    help: 'desired replicas of a Deployment',
  },
  {
    name: 'kube_deployment_status_replicas_available',
    source: 'gke-kube-state-metrics',
    type: 'gauge',
    labels: ['namespace', 'deployment'],
    help: 'available replicas of a Deployment',
  },
  {
    name: 'kube_horizontalpodautoscaler_spec_max_replicas',
    source: 'gke-kube-state-metrics',
    type: 'gauge',
    labels: ['namespace', 'horizontalpodautoscaler'],
    help: 'upper replica limit of an HPA',
  },
  {
    name: 'kube_horizontalpodautoscaler_status_current_replicas',
    source: 'gke-kube-state-metrics',
    type: 'gauge',
    labels: ['namespace', 'horizontalpodautoscaler'],
    help: 'current replicas managed by an HPA',
  },
  {
    name: 'kube_horizontalpodautoscaler_status_desired_replicas',
    source: 'gke-kube-state-metrics',
    type: 'gauge',
    labels: ['namespace', 'horizontalpodautoscaler'],
    help: 'replicas the HPA wants',
  },
  {
    name: 'up',
    source: 'gmp-managed-collection',
    type: 'gauge',
    labels: ['job', 'namespace', 'pod', 'instance'],
    help: '1 when the last scrape of the target succeeded',
  },
  {
    name: 'flagger_canary_status',
    source: 'flagger',
    type: 'gauge',
    labels: ['name', 'exported_namespace'],
    help: 'last canary analysis result: 0 progressing, 1 succeeded, 2 failed',
  },
  {
    name: 'flagger_canary_weight',
    source: 'flagger',
    type: 'gauge',
    labels: ['workload', 'exported_namespace'],
    help: 'traffic weight of the primary and canary workloads',
  },
  {
    name: 'flagger_canary_total',
    source: 'flagger',
    type: 'gauge',
    labels: ['exported_namespace'],
    help: 'Canary objects per namespace',
  },
  {
    name: 'cloudsql_googleapis_com:database_cpu_utilization',
    source: 'cloud-monitoring-cloudsql',
    type: 'gauge',
    labels: ['database_id'],
    help: 'Cloud SQL instance CPU utilization (0..1)',
  },
  {
    name: 'cloudsql_googleapis_com:database_disk_utilization',
    source: 'cloud-monitoring-cloudsql',
    type: 'gauge',
    labels: ['database_id'],
    help: 'Cloud SQL data disk utilization (0..1)',
  },
  {
    name: 'cloudsql_googleapis_com:database_postgresql_num_backends',
    source: 'cloud-monitoring-cloudsql',
    type: 'gauge',
    labels: ['database_id', 'database'],
    help: 'connections (backends) per database',
  },
  {
    name: 'cloudsql_googleapis_com:database_up',
    source: 'cloud-monitoring-cloudsql',
    type: 'gauge',
    labels: ['database_id'],
    help: '1 while the instance is up',
  },
  {
    name: 'monitoring_googleapis_com:uptime_check_check_passed',
    source: 'cloud-monitoring-uptime',
    type: 'gauge',
    labels: ['host', 'check_id', 'checker_location'],
    help: 'whether the last uptime check from a checker location passed (bool: 0 or 1)',
  },
  {
    name: 'monitoring_googleapis_com:uptime_check_time_until_ssl_cert_expires',
    source: 'cloud-monitoring-uptime',
    type: 'gauge',
    labels: ['host', 'check_id'],
    help: 'days until the certificate served to the uptime check expires',
  },
  {
    name: 'loki_distributor_lines_received_total',
    source: 'loki',
    type: 'counter',
    labels: ['tenant'],
    help: 'log lines the distributor accepted',
  },
  {
    name: 'loki_ingester_chunks_flush_failures_total',
    source: 'loki',
    type: 'counter',
    labels: [],
    help: 'chunk flushes to object storage that failed',
  },
  {
    name: 'loki_write_sent_entries_total',
    source: 'alloy',
    type: 'counter',
    labels: ['host', 'tenant'],
    help: 'log entries loki.write sent to Loki',
  },
  {
    name: 'loki_write_dropped_entries_total',
    source: 'alloy',
    type: 'counter',
    labels: ['host', 'tenant', 'reason'],
    help: 'log entries loki.write dropped after its retries',
  },
];

export const PLATFORM_METRIC_NAMES: ReadonlySet<string> = new Set(PLATFORM_METRICS.map((m) => m.name));
