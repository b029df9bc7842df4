/**
 * Every recording rule and alert, as data. rules.ts turns them into plain
 * Prometheus rule files and Managed Prometheus Rules/ClusterRules/GlobalRules
 * objects; test/rule-cases.ts holds a firing and a quiet case for each alert.
 */
import { SERVICE_NAMESPACE } from '../config/names';
import { CLOUD_MONITORING_PROMQL_NAMING, GKE_KUBE_STATE_POD_PHASE_METRIC } from '../config/platform-facts';
import { ALLOY_SELECTOR, FLAGGER_JOB, LOKI_SELECTOR, SERVICE_SELECTOR, WORKER_SELECTOR } from './config';
import {
  BURN_RATE_WINDOWS,
  BurnRateWindow,
  ERROR_RATIO_WINDOWS,
  ErrorRatioWindow,
  SLOS,
  Slo,
  burnThreshold,
  errorRatioRecord,
  eventsRecord,
  minEventsForWindow,
} from './slo';

/** `heartbeat`: the always-firing Watchdog, routed to a dead man's switch, never to people. */
export type Severity = 'page' | 'ticket' | 'security' | 'heartbeat';

/**
 * Where Managed Prometheus evaluates a group: `namespace` (Rules in the
 * service namespace: queries see only its series), `cluster` (ClusterRules:
 * kube-state-metrics and Flagger series live in other namespaces), `global`
 * (GlobalRules: Cloud Monitoring metrics carry no cluster label).
 */
export type RuleScope = 'namespace' | 'cluster' | 'global';

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly severity: Severity;
  /** Set on SLO-related alerts: inhibition pairs pages and tickets by it. */
  readonly slo?: string;
  readonly summary: string;
  readonly description: string;
  /** File under runbooks/, e.g. `high-error-rate.md`. */
  readonly runbook: string;
}

export interface RuleGroup {
  readonly name: string;
  readonly scope: RuleScope;
  readonly interval: string;
  readonly rules: readonly (RecordingRule | AlertRule)[];
}

export function isAlert(rule: RecordingRule | AlertRule): rule is AlertRule {
  return 'alert' in rule;
}

/** WalkShareImageBacklog: minutes the oldest ready job may wait (cold start from zero included). */
export const SHARE_IMAGE_BACKLOG_MINUTES = 10;
/** WalkShareImageJobsFailing: share of finished jobs that failed, and the finished jobs an hour needs first. */
export const SHARE_IMAGE_FAILED_RATIO = 0.1;
export const SHARE_IMAGE_MIN_FINISHED = 10;

const LONG_WINDOWS: readonly ErrorRatioWindow[] = ['3d', '30d'];
/** Windows whose request count guards an alert against low traffic (every burn window's long window). */
const GUARDED_WINDOWS = [...new Set(BURN_RATE_WINDOWS.map((w) => w.longWindow))];

function recordingGroup(name: string, windows: readonly ErrorRatioWindow[], interval: string): RuleGroup {
  return {
    name,
    scope: 'namespace',
    interval,
    rules: SLOS.flatMap((slo) => [
      ...windows.map((w) => ({
        record: errorRatioRecord(w),
        expr: slo.errorRatio(w),
        labels: { slo: slo.name },
      })),
      ...windows
        .filter((w) => GUARDED_WINDOWS.includes(w))
        .map((w) => ({ record: eventsRecord(w), expr: slo.events(w), labels: { slo: slo.name } })),
    ]),
  };
}

const SLO_RUNBOOK: Record<string, string> = {
  availability: 'high-error-rate.md',
  latency: 'high-latency.md',
};
const SLO_TITLE: Record<string, string> = { availability: 'Availability', latency: 'Latency' };

/** One window's condition: both ratios above the threshold, and enough requests that one bad one cannot do it. */
function burnCondition(slo: Slo, w: BurnRateWindow): string {
  const sel = `{slo="${slo.name}"}`;
  const threshold = burnThreshold(slo, w);
  return (
    `  ${errorRatioRecord(w.longWindow)}${sel} > ${threshold}\n` +
    `  and ${errorRatioRecord(w.shortWindow)}${sel} > ${threshold}\n` +
    `  and ${eventsRecord(w.longWindow)}${sel} >= ${minEventsForWindow(slo, w)}`
  );
}

/**
 * One alert per SLO and severity, as Sloth and Pyrra emit: the page fires on
 * the fast or the slow window (`or` keeps one series, so one alert), the
 * ticket on the 3-day one. An incident is one page, not one per window.
 */
function burnRateAlerts(): AlertRule[] {
  return SLOS.flatMap((slo) =>
    (['page', 'ticket'] as const).map((severity) => {
      const windows = BURN_RATE_WINDOWS.filter((w) => w.severity === severity);
      const text = windows
        .map(
          (w) =>
            `${w.burnRate}x over ${w.longWindow} and ${w.shortWindow} (${w.budgetSpentShare} of the budget)`,
        )
        .join(', or ');
      return {
        alert: `WalkService${SLO_TITLE[slo.name]}BudgetBurn${severity === 'ticket' ? 'Ticket' : ''}`,
        expr: windows.map((w) => `(\n${burnCondition(slo, w)}\n)`).join('\nor\n'),
        // The shortest `for` of its windows: the short window already stops a blip from alerting.
        for: windows.map((w) => w.for).sort((a, b) => parseDuration(a) - parseDuration(b))[0]!,
        severity,
        slo: slo.name,
        summary: `walk-service ${slo.name} SLO is burning its error budget too fast`,
        description: `${slo.description}. Burning at ${text}.`,
        runbook: SLO_RUNBOOK[slo.name]!,
      };
    }),
  );
}

/** Minutes of a Prometheus duration such as `2m`, `1h`. */
function parseDuration(d: string): number {
  const m = /^(\d+)([mh])$/.exec(d);
  if (!m) throw new Error(`unsupported duration ${d}`);
  return Number(m[1]) * (m[2] === 'h' ? 60 : 1);
}

const NS = `namespace="${SERVICE_NAMESPACE}"`;

/** Client log lines (POST /v1/client-logs) counted over `range`, by `by`. */
const clientLines = (range: string, by: string) =>
  `sum by (${by}) (increase(client_log_entries_total{${SERVICE_SELECTOR}}[${range}]))`;
const clientErrors = (range: string, by: string) =>
  `sum by (${by}) (increase(client_log_entries_total{${SERVICE_SELECTOR},level=~"error|critical"}[${range}]))`;

const serviceCauses: AlertRule[] = [
  {
    alert: 'WalkServiceTargetDown',
    expr: `up{${SERVICE_SELECTOR}} == 0`,
    for: '5m',
    severity: 'ticket',
    summary: 'Managed Prometheus cannot scrape walk-service pod {{ $labels.pod }}',
    description:
      'The /metrics endpoint on port 9464 has failed for 5 minutes; the pod may be hung or its network policy blocks the collector.',
    runbook: 'target-down.md',
  },
  {
    alert: 'WalkServiceDbPoolSaturated',
    expr:
      `(\n  db_pool_connections{${SERVICE_SELECTOR},state="total"}\n  - ignoring(state) db_pool_connections{${SERVICE_SELECTOR},state="idle"}\n)\n` +
      `/ ignoring(state) db_pool_max_connections{${SERVICE_SELECTOR}} >= 0.9`,
    for: '10m',
    severity: 'ticket',
    summary: 'walk-service pod {{ $labels.pod }} uses 90 % or more of its database pool',
    description:
      'Busy pool connections have been at or above 90 % of DB_POOL_MAX for 10 minutes; the next burst queues.',
    runbook: 'db-pool-saturated.md',
  },
  {
    alert: 'WalkServiceDbPoolClientsWaiting',
    expr: `min_over_time(db_pool_waiting_clients{${SERVICE_SELECTOR}}[5m]) > 0`,
    for: '5m',
    severity: 'ticket',
    summary: 'Queries on walk-service pod {{ $labels.pod }} have waited for a pool connection for 10 minutes',
    description:
      'db_pool_waiting_clients never dropped to 0 in the last 10 minutes: requests queue for the database.',
    runbook: 'db-pool-clients-waiting.md',
  },
  {
    alert: 'WalkServiceClientErrorsRising',
    // Per app version: the share of error/critical lines the app sends over 30 min, against twice the
    // share of the day before over every version; at least 100 lines and 2 % so a quiet hour stays quiet.
    expr:
      `(\n  (\n    ${clientErrors('30m', 'namespace, app_version')}\n` +
      `    / ${clientLines('30m', 'namespace, app_version')}\n  )\n` +
      `  > on (namespace) group_left ()\n` +
      `  (2 * ${clientErrors('1d', 'namespace')} / ${clientLines('1d', 'namespace')})\n` +
      `) > 0.02\n` +
      `and on (namespace, app_version)\n${clientLines('30m', 'namespace, app_version')} >= 100`,
    for: '15m',
    severity: 'ticket',
    summary: 'App version {{ $labels.app_version }} sends more than twice the usual share of error log lines',
    description:
      'Over 30 minutes the share of error and critical lines from this app version is more than twice the share of the day before: a release (of the app or of walk-service) broke something users meet.',
    runbook: 'client-errors-rising.md',
  },
  {
    alert: 'WalkShareImageBacklog',
    // The oldest ready job has waited longer than a worker needs to start from zero (a scrape of the
    // gauge, KEDA's poll, an Autopilot pod start: a few minutes, ADR 0262) while work waits.
    expr:
      `max by (namespace) (walk_share_image_oldest_waiting_seconds{${SERVICE_SELECTOR}}) > ${SHARE_IMAGE_BACKLOG_MINUTES * 60}\n` +
      `and on (namespace)\nmax by (namespace) (walk_share_image_jobs_waiting{${SERVICE_SELECTOR}}) > 0`,
    for: '5m',
    severity: 'ticket',
    summary: `Share-image jobs have waited more than ${SHARE_IMAGE_BACKLOG_MINUTES} minutes for a worker`,
    description:
      'The oldest ready share-image job has waited longer than a worker needs to start: no worker takes jobs (KEDA down, the worker failing to start) or too few for the load.',
    runbook: 'share-image-backlog.md',
  },
  {
    alert: 'WalkShareImageJobsFailing',
    // Final failures over finished jobs in an hour; at least 10 finished so one bad walk in a quiet hour stays quiet.
    expr:
      `(\n  sum by (namespace) (increase(walk_share_image_jobs_total{${WORKER_SELECTOR},outcome="failed"}[1h]))\n` +
      `  / sum by (namespace) (increase(walk_share_image_jobs_total{${WORKER_SELECTOR},outcome=~"succeeded|failed"}[1h]))\n` +
      `) > ${SHARE_IMAGE_FAILED_RATIO}\n` +
      `and on (namespace)\nsum by (namespace) (increase(walk_share_image_jobs_total{${WORKER_SELECTOR},outcome=~"succeeded|failed"}[1h])) >= ${SHARE_IMAGE_MIN_FINISHED}`,
    for: '10m',
    severity: 'ticket',
    summary: `More than ${SHARE_IMAGE_FAILED_RATIO * 100} % of share-image jobs end in failed`,
    description:
      'Over the last hour, more than one in ten finished share-image jobs failed after its last attempt: rendering or storing breaks for many walks.',
    runbook: 'share-image-jobs-failing.md',
  },
  {
    alert: 'WalkServiceRefreshTokenReuse',
    expr: `sum by (namespace) (increase(session_refresh_token_reuse_total{${SERVICE_SELECTOR}}[10m])) > 0`,
    severity: 'security',
    summary: 'An already-used refresh token was presented to walk-service',
    description:
      'A rotated refresh token came back: token theft, or a client refreshing concurrently. The session family is already revoked.',
    runbook: 'refresh-token-reuse.md',
  },
];

const platformCauses: AlertRule[] = [
  {
    alert: 'WalkServiceNoTargetsUp',
    expr:
      `sum by (namespace) (kube_deployment_spec_replicas{${NS}}) > 0\n` +
      `unless on (namespace)\nsum by (namespace) (up{${SERVICE_SELECTOR}} == 1)`,
    for: '5m',
    severity: 'page',
    slo: 'availability',
    summary: 'No walk-service pod answers scrapes although replicas are wanted',
    description:
      'Every walk-service target is down or gone while its Deployments ask for replicas: the service is likely down and the SLO alerts have no data to fire on.',
    runbook: 'service-down.md',
  },
  {
    alert: 'WalkServicePodsNotReady',
    // A finished pod (the migrations Job's) reports its completed container not ready: not a symptom.
    expr:
      `max by (namespace, pod) (kube_pod_container_status_ready{${NS}} == 0)\n` +
      `unless on (namespace, pod)\n` +
      `max by (namespace, pod) (${GKE_KUBE_STATE_POD_PHASE_METRIC.value}{${NS},phase=~"Succeeded|Failed"} == 1)`,
    for: '10m',
    severity: 'ticket',
    summary: 'walk-service pod {{ $labels.pod }} has a container that is not ready',
    description:
      'A container has failed its readiness probe for 10 minutes (for walk-service: /readyz checks the database and migrations).',
    runbook: 'pods-not-ready.md',
  },
  {
    alert: 'WalkServicePodCrashLooping',
    expr: `max by (namespace, pod, container) (max_over_time(kube_pod_container_status_waiting_reason{${NS},reason="CrashLoopBackOff"}[10m])) == 1`,
    for: '5m',
    severity: 'ticket',
    summary: 'Container {{ $labels.container }} of pod {{ $labels.pod }} is crash-looping',
    description: 'The container has been in CrashLoopBackOff within the last 10 minutes, for 5 minutes.',
    runbook: 'pod-crash-looping.md',
  },
  {
    alert: 'WalkServiceHpaAtMax',
    expr:
      `max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_status_current_replicas{${NS}})\n` +
      `>= max by (namespace, horizontalpodautoscaler) (kube_horizontalpodautoscaler_spec_max_replicas{${NS}})`,
    for: '15m',
    severity: 'ticket',
    summary: 'HPA {{ $labels.horizontalpodautoscaler }} has run at its maximum replicas for 15 minutes',
    description:
      'The autoscaler cannot add capacity; CPU stays above target and latency follows. Raise service.maxReplicas or find the load.',
    runbook: 'hpa-at-max.md',
  },
  {
    alert: 'WalkServiceCanaryFailed',
    expr: `max by (exported_namespace, name) (flagger_canary_status{job="${FLAGGER_JOB}",exported_namespace="${SERVICE_NAMESPACE}"}) == 2`,
    severity: 'ticket',
    summary: 'Flagger rolled back canary {{ $labels.name }}',
    description:
      'The last canary analysis failed its checks (5xx ratio or p99 latency) and traffic went back to the primary; the new image is not serving.',
    runbook: 'canary-failed.md',
  },
];

/**
 * The log pipeline (Alloy → Loki → bucket, docs/adr/0210). Tickets, not
 * pages: Cloud Logging keeps the same logs while Loki is broken. Every pod in
 * the cluster logs, so 15 minutes without a line means the pipeline, not quiet.
 */
const logPipelineCauses: AlertRule[] = [
  {
    alert: 'LokiDown',
    expr: `absent(up{${LOKI_SELECTOR}} == 1)`,
    for: '10m',
    severity: 'ticket',
    summary: 'No Loki pod answers scrapes',
    description:
      'Loki is gone, crash-looping or unreachable for 10 minutes: Grafana shows no logs and Alloy is buffering or dropping them.',
    runbook: 'loki-down.md',
  },
  {
    alert: 'LokiIngestionStopped',
    expr:
      `sum by (namespace) (rate(loki_distributor_lines_received_total{${LOKI_SELECTOR}}[15m])) == 0\n` +
      `or\nsum by (namespace) (rate(loki_ingester_chunks_flush_failures_total{${LOKI_SELECTOR}}[15m])) > 0`,
    for: '5m',
    severity: 'ticket',
    summary: 'Loki is up but stores no logs',
    description:
      'Loki received no log line for 15 minutes, or its chunk flushes to the bucket fail (Workload Identity, bucket IAM): logs since then are missing from Loki.',
    runbook: 'loki-ingestion-stopped.md',
  },
  {
    alert: 'AlloyNotShippingLogs',
    expr:
      `max by (namespace) (\n` +
      `  sum by (namespace) (rate(loki_write_sent_entries_total{${ALLOY_SELECTOR}}[15m])) == 0\n` +
      `  or sum by (namespace) (rate(loki_write_dropped_entries_total{${ALLOY_SELECTOR}}[15m])) > 0\n` +
      `  or absent(up{${ALLOY_SELECTOR}} == 1)\n` +
      `)`,
    for: '5m',
    severity: 'ticket',
    summary: 'Alloy is not shipping pod logs to Loki',
    description:
      'Alloy is down, sent no entry for 15 minutes, or dropped entries after its retries: pod logs are not reaching Loki.',
    runbook: 'alloy-not-shipping-logs.md',
  },
];

const UPTIME_CHECK_PASSED =
  CLOUD_MONITORING_PROMQL_NAMING.value['monitoring.googleapis.com/uptime_check/check_passed']!;

/** Uptime-check regions that must fail together before the edge counts as down (one is the prober's network). */
export const EDGE_DOWN_MIN_FAILING_REGIONS = 2;

const globalCauses: AlertRule[] = [
  {
    alert: 'WalkServiceEdgeDown',
    // Pods see no traffic when the load balancer, certificate or Cloud Armor fails: the burn alerts go
    // quiet (0/0) and NoTargetsUp too. Only a probe from outside sees it.
    expr:
      `count by (host) (${UPTIME_CHECK_PASSED}{monitored_resource="uptime_url"} == 0)\n` +
      `>= ${EDGE_DOWN_MIN_FAILING_REGIONS}`,
    for: '2m',
    severity: 'page',
    slo: 'availability',
    summary: 'https://{{ $labels.host }} fails its uptime check from several regions',
    description:
      'Cloud Monitoring uptime checks fail from more than one region: users cannot reach the service through the load balancer, whatever the pods say.',
    runbook: 'edge-down.md',
  },
  {
    alert: 'WalkServiceCertificateExpiringSoon',
    expr: `min by (host) (monitoring_googleapis_com:uptime_check_time_until_ssl_cert_expires{monitored_resource="uptime_url"}) < 14`,
    for: '1h',
    severity: 'ticket',
    summary: 'The TLS certificate served for {{ $labels.host }} expires in less than 14 days',
    description:
      'Certificate Manager renews about 30 days before expiry; a certificate this close means renewal is failing (often the DNS authorization CNAME).',
    runbook: 'certificate-expiring.md',
  },
];

/**
 * Always fires: the heartbeat receiver (a dead man's switch) expects it every
 * few minutes and alerts its owner when it stops, i.e. when rule evaluation,
 * the managed Alertmanager or the route to the receiver is broken.
 */
export const WATCHDOG: AlertRule = {
  alert: 'Watchdog',
  expr: 'vector(1)',
  severity: 'heartbeat',
  summary: 'The alerting pipeline is alive',
  description:
    'Always firing. If the heartbeat receiver stops getting it, alerts are not being evaluated or delivered.',
  runbook: 'heartbeat-missing.md',
};

/** Evaluation interval of the 3-day and 30-day ratios (the lookback is 5 minutes). */
export const LONG_WINDOW_RECORD_INTERVAL = '1m';

export const RULE_GROUPS: readonly RuleGroup[] = [
  recordingGroup(
    'walk-service-slo-ratios',
    ERROR_RATIO_WINDOWS.filter((w) => !LONG_WINDOWS.includes(w)),
    '30s',
  ),
  // Long windows are costly, so not every 30 s; but a record is visible for 5 minutes only (the lookback),
  // so its interval stays well inside that: one late or missed evaluation must not make it vanish.
  recordingGroup('walk-service-slo-ratios-long', LONG_WINDOWS, LONG_WINDOW_RECORD_INTERVAL),
  { name: 'walk-service-slo-alerts', scope: 'namespace', interval: '30s', rules: burnRateAlerts() },
  { name: 'walk-service-causes', scope: 'namespace', interval: '30s', rules: serviceCauses },
  { name: 'walk-service-platform', scope: 'cluster', interval: '30s', rules: platformCauses },
  // Loki and Alloy run in the monitoring namespace: cluster scope sees their series.
  { name: 'log-pipeline', scope: 'cluster', interval: '1m', rules: logPipelineCauses },
  // Uptime checks run every minute; a 5-minute evaluation would delay the page by up to 5 minutes.
  { name: 'walk-service-edge', scope: 'global', interval: '1m', rules: globalCauses },
  { name: 'walk-service-heartbeat', scope: 'namespace', interval: '30s', rules: [WATCHDOG] },
];

export function allAlerts(groups: readonly RuleGroup[] = RULE_GROUPS): AlertRule[] {
  return groups.flatMap((g) => g.rules.filter(isAlert));
}
