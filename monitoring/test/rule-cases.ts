/**
 * promtool unit-test cases: for every alert one case where it fires and one
 * where it stays quiet. Series use promtool's expanding notation
 * (`0+100x120`: start 0, add 100 each interval, 120 times).
 */
import { SERVICE_NAME, SERVICE_NAMESPACE, SHARE_IMAGE_WORKER_IDENTITY } from '../../config/names';

export interface Series {
  readonly series: string;
  readonly values: string;
}

export interface RuleCase {
  readonly alert: string;
  readonly fires: boolean;
  readonly name: string;
  readonly interval?: string;
  readonly evalTime: string;
  readonly series: readonly Series[];
  /** Labels of the firing alert besides alertname and the rule's own labels (severity, slo). */
  readonly labels?: Readonly<Record<string, string>>;
}

const SVC = `job="${SERVICE_NAME}",namespace="${SERVICE_NAMESPACE}",pod="walk-service-primary-1",app="walk-service-primary"`;
const NS = `namespace="${SERVICE_NAMESPACE}"`;
const WORKER = `job="${SHARE_IMAGE_WORKER_IDENTITY.name}",namespace="${SERVICE_NAMESPACE}",pod="walk-image-worker-7d9f-abcde"`;
const LOKI = `job="loki",namespace="monitoring",pod="loki-0"`;
const ALLOY = `job="alloy",namespace="monitoring",pod="alloy-6f7c9-x2k4d"`;

/** A working log pipeline for `steps` minutes: Alloy ships 600 lines a minute, Loki takes and stores them. */
function logPipeline(steps: number): Series[] {
  return [
    { series: `up{${LOKI}}`, values: `1x${steps}` },
    { series: `loki_distributor_lines_received_total{${LOKI},tenant="fake"}`, values: `0+600x${steps}` },
    { series: `loki_ingester_chunks_flush_failures_total{${LOKI}}`, values: `0x${steps}` },
    { series: `up{${ALLOY}}`, values: `1x${steps}` },
    {
      series: `loki_write_sent_entries_total{${ALLOY},host="loki.monitoring.svc.cluster.local:3100",tenant=""}`,
      values: `0+600x${steps}`,
    },
    {
      series: `loki_write_dropped_entries_total{${ALLOY},host="loki.monitoring.svc.cluster.local:3100",tenant="",reason="ingester_error"}`,
      values: `0x${steps}`,
    },
  ];
}

/** `logPipeline(steps)` with the series named by `name` (a substring) replaced by `values`, or removed when `values` is undefined. */
function brokenPipeline(steps: number, changes: Record<string, string | undefined>): Series[] {
  return logPipeline(steps).flatMap((s) => {
    const key = Object.keys(changes).find((k) => s.series.includes(k));
    if (key === undefined) return [s];
    const values = changes[key];
    return values === undefined ? [] : [{ series: s.series, values }];
  });
}

/**
 * Client log lines: app 1.4.0 for 26 h at 1 error and 100 info lines a minute;
 * app 1.5.0 from minute 1500 with `errors` error and `infos` info lines a minute.
 */
function clientLogs(errors: string, infos: string): Series[] {
  const line = (version: string, level: string) =>
    `client_log_entries_total{${SVC},level="${level}",operation="walkSync",app_version="${version}"}`;
  return [
    { series: line('1.4.0', 'error'), values: '0+1x1600' },
    { series: line('1.4.0', 'info'), values: '0+100x1600' },
    { series: line('1.5.0', 'error'), values: `_x1500 0+${errors}x100` },
    { series: line('1.5.0', 'info'), values: `_x1500 0+${infos}x100` },
  ];
}

/** Requests at `perStep` per interval, `badPerStep` of them 5xx and `slowPerStep` slower than 0.5 s. */
function traffic(steps: number, perStep: number, badPerStep: number, slowPerStep: number): Series[] {
  const counter = (n: number) => `0+${n}x${steps}`;
  return [
    {
      series: `http_requests_total{${SVC},method="GET",route="/v1/walks",status_code="200"}`,
      values: counter(perStep - badPerStep),
    },
    {
      series: `http_requests_total{${SVC},method="GET",route="/v1/walks",status_code="503"}`,
      values: counter(badPerStep),
    },
    {
      series: `http_request_duration_seconds_bucket{${SVC},le="0.5"}`,
      values: counter(perStep - slowPerStep),
    },
    { series: `http_request_duration_seconds_bucket{${SVC},le="+Inf"}`, values: counter(perStep) },
    { series: `http_request_duration_seconds_count{${SVC}}`, values: counter(perStep) },
  ];
}

/** An unready pod: /readyz answers 503, slower than the latency threshold. */
function probeFailures(steps: number): Series[] {
  const probe = `${SVC},method="GET",route="/readyz",status_code="503"`;
  return [
    { series: `http_requests_total{${probe}}`, values: `0+500x${steps}` },
    { series: `http_request_duration_seconds_bucket{${probe},le="0.5"}`, values: `0x${steps}` },
    { series: `http_request_duration_seconds_bucket{${probe},le="+Inf"}`, values: `0+500x${steps}` },
    { series: `http_request_duration_seconds_count{${probe}}`, values: `0+500x${steps}` },
  ];
}

function burnCases(slo: 'Availability' | 'Latency'): RuleCase[] {
  const bad = (ratio: number) => (slo === 'Availability' ? [ratio, 0] : [0, ratio]);
  const t = (steps: number, ratioPer1000: number) => {
    const [errors, slow] = bad(ratioPer1000);
    return traffic(steps, 1000, errors!, slow!);
  };
  return [
    // Bad shares per 1000 requests: 20 % is 200x the availability budget and 20x the latency budget.
    {
      alert: `WalkService${slo}BudgetBurn`,
      fires: true,
      name: '20 % bad for 70 minutes',
      evalTime: '70m',
      series: t(80, 200),
    },
    {
      alert: `WalkService${slo}BudgetBurn`,
      fires: false,
      name: 'all good',
      evalTime: '70m',
      series: t(80, 0),
    },
    {
      alert: `WalkService${slo}BudgetBurn`,
      fires: false,
      name: 'users fine while /readyz answers 503 slowly (probes are not users)',
      evalTime: '70m',
      series: [...t(80, 0), ...probeFailures(80)],
    },
    ...(slo === 'Availability'
      ? [
          {
            alert: 'WalkServiceAvailabilityBudgetBurn',
            fires: false,
            name: 'no 5xx series at all (no errors since the pods started)',
            evalTime: '70m',
            series: t(80, 0).filter((s) => !s.series.includes('status_code="503"')),
          },
        ]
      : []),
    {
      alert: `WalkService${slo}BudgetBurn`,
      fires: true,
      name: '8 % bad for 7 hours',
      evalTime: '7h',
      series: t(430, 80),
    },
    {
      alert: `WalkService${slo}BudgetBurn`,
      fires: false,
      name: 'within budget (0.05 % bad)',
      evalTime: '7h',
      series: t(430, 0.5),
    },
    {
      alert: `WalkService${slo}BudgetBurnTicket`,
      fires: true,
      name: 'a steady 2x burn for 8 hours',
      interval: '5m',
      evalTime: '8h',
      series: t(100, slo === 'Availability' ? 2 : 20),
    },
    {
      alert: `WalkService${slo}BudgetBurnTicket`,
      fires: false,
      name: 'a steady 0.5x burn',
      interval: '5m',
      evalTime: '8h',
      series: t(100, slo === 'Availability' ? 0.5 : 5),
    },
  ];
}

const pod = { namespace: SERVICE_NAMESPACE, pod: 'walk-service-primary-1' };

export const RULE_CASES: readonly RuleCase[] = [
  ...burnCases('Availability'),
  ...burnCases('Latency'),
  {
    alert: 'WalkServiceTargetDown',
    fires: true,
    name: 'scrape failing for 10 minutes',
    evalTime: '8m',
    series: [{ series: `up{${SVC},instance="10.0.0.1:9464"}`, values: '0x10' }],
    labels: { job: SERVICE_NAME, app: 'walk-service-primary', instance: '10.0.0.1:9464', ...pod },
  },
  {
    alert: 'WalkServiceTargetDown',
    fires: false,
    name: 'one failed scrape',
    evalTime: '8m',
    series: [{ series: `up{${SVC},instance="10.0.0.1:9464"}`, values: '1 1 1 1 1 0 1 1 1 1 1' }],
  },
  {
    alert: 'WalkServiceDbPoolSaturated',
    fires: true,
    name: '9 of 10 connections busy for 15 minutes',
    evalTime: '12m',
    series: [
      { series: `db_pool_connections{${SVC},state="total"}`, values: '10x15' },
      { series: `db_pool_connections{${SVC},state="idle"}`, values: '1x15' },
      { series: `db_pool_max_connections{${SVC}}`, values: '10x15' },
    ],
    labels: { job: SERVICE_NAME, app: 'walk-service-primary', ...pod },
  },
  {
    alert: 'WalkServiceDbPoolSaturated',
    fires: false,
    name: 'half the pool busy',
    evalTime: '12m',
    series: [
      { series: `db_pool_connections{${SVC},state="total"}`, values: '10x15' },
      { series: `db_pool_connections{${SVC},state="idle"}`, values: '5x15' },
      { series: `db_pool_max_connections{${SVC}}`, values: '10x15' },
    ],
  },
  {
    alert: 'WalkServiceDbPoolClientsWaiting',
    fires: true,
    name: 'queries waiting for 15 minutes',
    evalTime: '12m',
    series: [{ series: `db_pool_waiting_clients{${SVC}}`, values: '3x15' }],
    labels: { job: SERVICE_NAME, app: 'walk-service-primary', ...pod },
  },
  {
    alert: 'WalkServiceDbPoolClientsWaiting',
    fires: false,
    name: 'short bursts of waiting',
    evalTime: '12m',
    series: [{ series: `db_pool_waiting_clients{${SVC}}`, values: '0 4 0 2 0 0 5 0 1 0 0 3 0 0 0 0' }],
  },
  {
    alert: 'WalkServiceClientErrorsRising',
    fires: true,
    name: 'app 1.5.0 sends 10 % errors where the day before had 1 %',
    evalTime: '1560m',
    series: clientLogs('10', '90'),
    labels: { namespace: SERVICE_NAMESPACE, app_version: '1.5.0' },
  },
  {
    alert: 'WalkServiceClientErrorsRising',
    fires: false,
    name: 'app 1.5.0 sends errors at the share of the day before',
    evalTime: '1560m',
    series: clientLogs('1', '99'),
  },
  {
    alert: 'WalkShareImageBacklog',
    fires: true,
    name: 'jobs wait and the oldest ages past 10 minutes: no worker takes them',
    evalTime: '20m',
    series: [
      { series: `walk_share_image_jobs_waiting{${SVC}}`, values: '3x20' },
      { series: `walk_share_image_oldest_waiting_seconds{${SVC}}`, values: '0+60x20' },
    ],
    labels: { namespace: SERVICE_NAMESPACE },
  },
  {
    alert: 'WalkShareImageBacklog',
    fires: false,
    name: 'a cold start from zero: the worker drains the queue within 4 minutes of the first job',
    evalTime: '20m',
    series: [
      { series: `walk_share_image_jobs_waiting{${SVC}}`, values: '0x5 2 4 3 1 0x12' },
      { series: `walk_share_image_oldest_waiting_seconds{${SVC}}`, values: '0x5 30 90 150 210 0x12' },
    ],
  },
  {
    alert: 'WalkShareImageJobsFailing',
    fires: true,
    name: '30 of 120 finished jobs an hour fail',
    evalTime: '90m',
    series: [
      { series: `walk_share_image_jobs_total{${WORKER},outcome="succeeded"}`, values: '0+1.5x90' },
      { series: `walk_share_image_jobs_total{${WORKER},outcome="failed"}`, values: '0+0.5x90' },
      { series: `walk_share_image_jobs_total{${WORKER},outcome="retried"}`, values: '0+1x90' },
    ],
    labels: { namespace: SERVICE_NAMESPACE },
  },
  {
    alert: 'WalkShareImageJobsFailing',
    fires: false,
    name: 'a quiet hour: 2 of 5 finished jobs fail, under the 10-job floor',
    evalTime: '90m',
    series: [
      {
        series: `walk_share_image_jobs_total{${WORKER},outcome="succeeded"}`,
        values: '0x30 1 1 2 2 3 3 3x54',
      },
      { series: `walk_share_image_jobs_total{${WORKER},outcome="failed"}`, values: '0x30 0 1 1 1 1 2 2x54' },
    ],
  },
  {
    alert: 'WalkServiceRefreshTokenReuse',
    fires: true,
    name: 'one reused refresh token',
    evalTime: '5m',
    series: [{ series: `session_refresh_token_reuse_total{${SVC}}`, values: '0 0 0 1 1 1 1' }],
    labels: { namespace: SERVICE_NAMESPACE },
  },
  {
    alert: 'WalkServiceRefreshTokenReuse',
    fires: false,
    name: 'no reuse',
    evalTime: '5m',
    series: [{ series: `session_refresh_token_reuse_total{${SVC}}`, values: '0x6' }],
  },
  {
    alert: 'WalkServiceNoTargetsUp',
    fires: true,
    name: 'replicas wanted, no target up',
    evalTime: '8m',
    series: [
      { series: `kube_deployment_spec_replicas{${NS},deployment="walk-service-primary"}`, values: '3x10' },
      { series: `up{${SVC},instance="10.0.0.1:9464"}`, values: '0x10' },
    ],
    labels: { namespace: SERVICE_NAMESPACE },
  },
  {
    alert: 'WalkServiceNoTargetsUp',
    fires: false,
    name: 'paused: no replicas wanted and none up',
    evalTime: '8m',
    series: [
      { series: `kube_deployment_spec_replicas{${NS},deployment="walk-service-primary"}`, values: '0x10' },
      { series: `up{${SVC},instance="10.0.0.1:9464"}`, values: '0x10' },
    ],
  },
  {
    alert: 'WalkServicePodsNotReady',
    fires: true,
    name: 'a container unready for 15 minutes',
    evalTime: '12m',
    series: [
      {
        series: `kube_pod_container_status_ready{${NS},pod="walk-service-primary-1",container="walk-service"}`,
        values: '0x15',
      },
    ],
    labels: pod,
  },
  {
    alert: 'WalkServicePodsNotReady',
    fires: false,
    name: 'ready',
    evalTime: '12m',
    series: [
      {
        series: `kube_pod_container_status_ready{${NS},pod="walk-service-primary-1",container="walk-service"}`,
        values: '1x15',
      },
    ],
  },
  {
    alert: 'WalkServicePodCrashLooping',
    fires: true,
    name: 'in CrashLoopBackOff',
    evalTime: '8m',
    series: [
      {
        series: `kube_pod_container_status_waiting_reason{${NS},pod="walk-service-primary-1",container="walk-service",reason="CrashLoopBackOff"}`,
        values: '1x10',
      },
    ],
    labels: { ...pod, container: 'walk-service' },
  },
  {
    alert: 'WalkServicePodCrashLooping',
    fires: false,
    name: 'waiting for another reason',
    evalTime: '8m',
    series: [
      {
        series: `kube_pod_container_status_waiting_reason{${NS},pod="walk-service-primary-1",container="walk-service",reason="ContainerCreating"}`,
        values: '1x10',
      },
    ],
  },
  {
    alert: 'WalkServiceHpaAtMax',
    fires: true,
    name: '10 of 10 replicas for 20 minutes',
    evalTime: '18m',
    series: [
      {
        series: `kube_horizontalpodautoscaler_status_current_replicas{${NS},horizontalpodautoscaler="walk-service-primary"}`,
        values: '10x20',
      },
      {
        series: `kube_horizontalpodautoscaler_spec_max_replicas{${NS},horizontalpodautoscaler="walk-service-primary"}`,
        values: '10x20',
      },
    ],
    labels: { namespace: SERVICE_NAMESPACE, horizontalpodautoscaler: 'walk-service-primary' },
  },
  {
    alert: 'WalkServiceHpaAtMax',
    fires: false,
    name: 'headroom left',
    evalTime: '18m',
    series: [
      {
        series: `kube_horizontalpodautoscaler_status_current_replicas{${NS},horizontalpodautoscaler="walk-service-primary"}`,
        values: '6x20',
      },
      {
        series: `kube_horizontalpodautoscaler_spec_max_replicas{${NS},horizontalpodautoscaler="walk-service-primary"}`,
        values: '10x20',
      },
    ],
  },
  {
    alert: 'WalkServiceCanaryFailed',
    fires: true,
    name: 'analysis failed',
    evalTime: '3m',
    series: [
      {
        series: `flagger_canary_status{job="flagger",namespace="flagger-system",exported_namespace="${SERVICE_NAMESPACE}",name="${SERVICE_NAME}"}`,
        values: '0 0 2 2 2',
      },
    ],
    labels: { exported_namespace: SERVICE_NAMESPACE, name: SERVICE_NAME },
  },
  {
    alert: 'WalkServiceCanaryFailed',
    fires: false,
    name: 'analysis succeeded',
    evalTime: '3m',
    series: [
      {
        series: `flagger_canary_status{job="flagger",namespace="flagger-system",exported_namespace="${SERVICE_NAMESPACE}",name="${SERVICE_NAME}"}`,
        values: '0 0 1 1 1',
      },
    ],
  },
  {
    alert: 'WalkServiceCertificateExpiringSoon',
    fires: true,
    name: '10 days left for 2 hours',
    interval: '5m',
    evalTime: '90m',
    series: [
      {
        series: `monitoring_googleapis_com:uptime_check_time_until_ssl_cert_expires{monitored_resource="uptime_url",host="api.prod.tekutoko.example"}`,
        values: '10x30',
      },
    ],
    labels: { host: 'api.prod.tekutoko.example' },
  },
  {
    alert: 'WalkServiceCertificateExpiringSoon',
    fires: false,
    name: '60 days left',
    interval: '5m',
    evalTime: '90m',
    series: [
      {
        series: `monitoring_googleapis_com:uptime_check_time_until_ssl_cert_expires{monitored_resource="uptime_url",host="api.prod.tekutoko.example"}`,
        values: '60x30',
      },
    ],
  },
  {
    alert: 'WalkServicePodsNotReady',
    fires: false,
    name: 'a finished migrations Job pod (completed container reported not ready)',
    evalTime: '20m',
    series: [
      {
        series: `kube_pod_container_status_ready{${NS},pod="walk-service-migrate-x7k2p",container="migrate"}`,
        values: '0x25',
      },
      {
        series: `kube_pod_status_phase{${NS},pod="walk-service-migrate-x7k2p",phase="Succeeded"}`,
        values: '1x25',
      },
      {
        series: `kube_pod_status_phase{${NS},pod="walk-service-migrate-x7k2p",phase="Running"}`,
        values: '0x25',
      },
    ],
  },
  {
    alert: 'WalkServiceEdgeDown',
    fires: true,
    name: 'uptime check failing from 3 regions for 5 minutes',
    evalTime: '8m',
    series: ['asia-pacific', 'usa-oregon', 'europe'].map((region) => ({
      series: `monitoring_googleapis_com:uptime_check_check_passed{monitored_resource="uptime_url",host="api.prod.tekutoko.example",checker_location="${region}"}`,
      values: '1 1 1 0x10',
    })),
    labels: { host: 'api.prod.tekutoko.example' },
  },
  {
    alert: 'WalkServiceEdgeDown',
    fires: false,
    name: "one region failing (the prober's network)",
    evalTime: '8m',
    series: ['asia-pacific', 'usa-oregon', 'europe'].map((region, i) => ({
      series: `monitoring_googleapis_com:uptime_check_check_passed{monitored_resource="uptime_url",host="api.prod.tekutoko.example",checker_location="${region}"}`,
      values: i === 0 ? '1 1 1 0x10' : '1x13',
    })),
  },
  { alert: 'Watchdog', fires: true, name: 'always', evalTime: '1m', series: [] },
  { alert: 'LokiDown', fires: false, name: 'Loki scraped and up', evalTime: '40m', series: logPipeline(40) },
  {
    alert: 'LokiDown',
    fires: true,
    name: 'Loki pod gone (no target) for 20 minutes',
    evalTime: '40m',
    series: brokenPipeline(40, { [`up{${LOKI}}`]: '1x20' }),
  },
  {
    alert: 'LokiDown',
    fires: true,
    name: 'Loki target failing its scrapes',
    evalTime: '40m',
    series: brokenPipeline(40, { [`up{${LOKI}}`]: '1x20 0x20' }),
  },
  {
    alert: 'LokiIngestionStopped',
    fires: false,
    name: 'lines arriving and chunks stored',
    evalTime: '40m',
    series: logPipeline(40),
  },
  {
    alert: 'LokiIngestionStopped',
    fires: true,
    name: 'no line received for 20 minutes',
    evalTime: '40m',
    series: brokenPipeline(40, { loki_distributor_lines_received_total: '0+600x20 12000x20' }),
    labels: { namespace: 'monitoring' },
  },
  {
    alert: 'LokiIngestionStopped',
    fires: true,
    name: 'chunk flushes to the bucket failing',
    evalTime: '40m',
    series: brokenPipeline(40, { loki_ingester_chunks_flush_failures_total: '0x20 0+3x20' }),
    labels: { namespace: 'monitoring' },
  },
  {
    alert: 'AlloyNotShippingLogs',
    fires: false,
    name: 'entries sent, none dropped',
    evalTime: '40m',
    series: logPipeline(40),
  },
  {
    alert: 'AlloyNotShippingLogs',
    fires: true,
    name: 'nothing sent for 20 minutes',
    evalTime: '40m',
    series: brokenPipeline(40, { loki_write_sent_entries_total: '0+600x20 12000x20' }),
    labels: { namespace: 'monitoring' },
  },
  {
    alert: 'AlloyNotShippingLogs',
    fires: true,
    name: 'entries dropped after retries (Loki rejecting pushes)',
    evalTime: '40m',
    series: brokenPipeline(40, { loki_write_dropped_entries_total: '0x20 0+50x20' }),
    labels: { namespace: 'monitoring' },
  },
  {
    alert: 'AlloyNotShippingLogs',
    fires: true,
    name: 'Alloy pod gone',
    evalTime: '40m',
    series: brokenPipeline(40, {
      [`up{${ALLOY}}`]: '1x20',
      loki_write_sent_entries_total: '0+600x20',
      loki_write_dropped_entries_total: '0x20',
    }),
  },
];
