import { MONITORING_NAMESPACE } from '../../config/names';
import { GKE_MANAGED_PROMETHEUS_NAMESPACE } from '../../config/platform-facts';

/**
 * Names of the cluster add-ons that the `<env>-cluster` stack installs and the
 * walk-service chart talks to (Flagger, its load tester, the Managed Prometheus
 * query frontend). One module so both sides import the same strings.
 */
export const FLAGGER = {
  namespace: 'flagger-system',
  releaseName: 'flagger',
  loadTesterName: 'flagger-loadtester',
  /** `app.kubernetes.io/name` of the load tester pods (its chart's name). */
  loadTesterPodName: 'loadtester',
  /** Port of the load tester's Service (the chart's default). */
  loadTesterPort: 80,
  /** Port the load tester's container listens on (its chart's deployment.yaml: `-port=8080`). */
  loadTesterContainerPort: 8080,
  /** `app.kubernetes.io/name` of the Flagger controller pods (its chart's name), the caller of every webhook. */
  controllerPodName: 'flagger',
} as const;

/**
 * KEDA (ADR 0262): its operator reads the queue depth from the query
 * frontend and scales the share-image worker, to zero where configured. Pod
 * names are its chart's (kedacore/charts `keda/values.yaml` 2.20.2:
 * `operator.name`, `webhooks.name`; the metrics server is `<operator>-metrics-apiserver`).
 */
export const KEDA = {
  namespace: 'keda',
  releaseName: 'keda',
  operatorName: 'keda-operator',
  metricsServerName: 'keda-operator-metrics-apiserver',
  webhooksName: 'keda-admission-webhooks',
} as const;

export const MONITORING = {
  namespace: MONITORING_NAMESPACE,
  /** Managed Prometheus query frontend: a Prometheus HTTP API over Cloud Monitoring. */
  frontendName: 'gmp-frontend',
  frontendPort: 9090,
  /** Google service account (id) the query frontend reads Cloud Monitoring as. */
  frontendGoogleServiceAccountId: 'gmp-query-frontend',
  /** Namespace of GKE's managed collectors that scrape PodMonitoring targets (and its Alertmanager). */
  managedCollectorNamespace: GKE_MANAGED_PROMETHEUS_NAMESPACE.value,
} as const;

/**
 * The log pipeline's pods as their Helm charts render them (release names as
 * the cluster stack installs them), for the PodMonitorings that scrape them.
 * Both charts label pods `app.kubernetes.io/name` (chart) and
 * `app.kubernetes.io/instance` (release) and name the metrics port
 * `http-metrics`: grafana-community/helm-charts charts/loki/templates/_pod.tpl
 * (Loki 18.11.0) and grafana/alloy operations/helm/charts/alloy/templates/containers/_agent.yaml (1.11.1).
 */
export const LOG_PIPELINE = {
  loki: { releaseName: 'loki', podName: 'loki', metricsPort: 'http-metrics' },
  alloy: { releaseName: 'alloy', podName: 'alloy', metricsPort: 'http-metrics' },
} as const;

/** In-cluster URL of the Managed Prometheus query frontend (Flagger and Grafana read it). */
export function prometheusQueryUrl(): string {
  return `http://${MONITORING.frontendName}.${MONITORING.namespace}.svc.cluster.local:${MONITORING.frontendPort}`;
}

/** In-cluster URL of Flagger's load tester, which runs the canary webhooks. */
export function loadTesterUrl(): string {
  return `http://${FLAGGER.loadTesterName}.${FLAGGER.namespace}.svc.cluster.local:${FLAGGER.loadTesterPort}/`;
}

/**
 * Source ranges of Google's load balancer proxies and health checkers
 * (https://cloud.google.com/load-balancing/docs/health-check-concepts#ip-ranges).
 */
export const GOOGLE_LB_SOURCE_RANGES = ['35.191.0.0/16', '130.211.0.0/22'] as const;

/** GKE metadata server addresses a pod reaches for Workload Identity tokens. */
export const GKE_METADATA_SERVER = [
  { cidr: '169.254.169.254/32', port: 80 },
  { cidr: '169.254.169.252/32', port: 988 },
] as const;

/** private.googleapis.com: Google APIs reached over Private Google Access. */
export const PRIVATE_GOOGLE_APIS_CIDR = '199.36.153.8/30';

/** Edge resources of the shared Gateway, created by the `<env>-cluster` stack. */
export const GATEWAY_EDGE = {
  /** Reserved global IP address the Gateway listens on. */
  addressName: 'gateway-external',
  /** Certificate Manager map with the certificate for the domain and `*.<domain>`. */
  certificateMapName: 'gateway-external',
} as const;

/** Loki's in-cluster push/query URL (single-binary mode, gateway disabled). */
export const LOKI_URL = `http://loki.${MONITORING.namespace}.svc.cluster.local:3100`;

/**
 * Helm values the monitoring layer supplies (monitoring/) for Grafana, Loki
 * and Alloy; the cluster stack merges them over its defaults
 * (infra/constructs/cluster-addons.ts), objects key by key.
 */
export interface ObservabilityValues {
  readonly grafana?: Record<string, unknown>;
  readonly loki?: Record<string, unknown>;
  readonly alloy?: Record<string, unknown>;
}
