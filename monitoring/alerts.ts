/**
 * Every recording rule and alert, as data. rules.ts turns them into plain
 * Prometheus rule files and Managed Prometheus Rules/ClusterRules/GlobalRules
 * objects; test/rule-cases.ts holds a firing and a quiet case for each alert.
 */
import { SERVICE_NAMESPACE } from '../infra/config/names';
import { FLAGGER_JOB, SERVICE_SELECTOR } from './config';
import {
  BURN_RATE_WINDOWS,
  ERROR_RATIO_WINDOWS,
  ErrorRatioWindow,
  SLOS,
  errorBudget,
  errorRatioRecord,
} from './slo';

export type Severity = 'page' | 'ticket' | 'security';

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

const LONG_WINDOWS: readonly ErrorRatioWindow[] = ['3d', '30d'];

function recordingGroup(name: string, windows: readonly ErrorRatioWindow[], interval: string): RuleGroup {
  return {
    name,
    scope: 'namespace',
    interval,
    rules: SLOS.flatMap((slo) =>
      windows.map((w) => ({
        record: errorRatioRecord(w),
        expr: slo.errorRatio(w),
        labels: { slo: slo.name },
      })),
    ),
  };
}

const SLO_RUNBOOK: Record<string, string> = {
  availability: 'high-error-rate.md',
  latency: 'high-latency.md',
};
const SLO_TITLE: Record<string, string> = { availability: 'Availability', latency: 'Latency' };
const BURN_NAME: Record<string, string> = { fast: 'Fast', slow: 'Slow', ticket: 'Slow3d' };

function burnRateAlerts(): AlertRule[] {
  return SLOS.flatMap((slo) =>
    BURN_RATE_WINDOWS.map((w) => {
      const threshold = `${w.burnRate} * ${errorBudget(slo)}`;
      const sel = `{slo="${slo.name}"}`;
      return {
        alert: `WalkService${SLO_TITLE[slo.name]}BudgetBurn${BURN_NAME[w.id]}`,
        expr:
          `${errorRatioRecord(w.longWindow)}${sel} > (${threshold})\n` +
          `and\n${errorRatioRecord(w.shortWindow)}${sel} > (${threshold})`,
        for: w.for,
        severity: w.severity,
        slo: slo.name,
        summary: `walk-service ${slo.name} SLO burning its error budget ${w.burnRate}x too fast (${w.longWindow} and ${w.shortWindow})`,
        description:
          `${slo.description}. At this rate ${w.budgetSpentShare} of the 30-day budget is gone within ${w.longWindow}; ` +
          `the ${w.shortWindow} window shows it is still happening.`,
        runbook: SLO_RUNBOOK[slo.name]!,
      };
    }),
  );
}

const NS = `namespace="${SERVICE_NAMESPACE}"`;

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
    expr: `max by (namespace, pod) (kube_pod_container_status_ready{${NS}} == 0)`,
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

const globalCauses: AlertRule[] = [
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

export const RULE_GROUPS: readonly RuleGroup[] = [
  recordingGroup(
    'walk-service-slo-ratios',
    ERROR_RATIO_WINDOWS.filter((w) => !LONG_WINDOWS.includes(w)),
    '30s',
  ),
  // Long windows are costly to query and change slowly.
  recordingGroup('walk-service-slo-ratios-long', LONG_WINDOWS, '5m'),
  { name: 'walk-service-slo-alerts', scope: 'namespace', interval: '30s', rules: burnRateAlerts() },
  { name: 'walk-service-causes', scope: 'namespace', interval: '30s', rules: serviceCauses },
  { name: 'walk-service-platform', scope: 'cluster', interval: '30s', rules: platformCauses },
  { name: 'walk-service-edge', scope: 'global', interval: '5m', rules: globalCauses },
];

export function allAlerts(groups: readonly RuleGroup[] = RULE_GROUPS): AlertRule[] {
  return groups.flatMap((g) => g.rules.filter(isAlert));
}
