import { AUTOPILOT_SPOT_NODE_SELECTOR } from '../../config/platform-facts';
import { nodeSelectorValues } from '../cost/helm-workloads';
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { App } from 'cdk8s';
import { GmpFrontendChart } from '../../charts/cluster/gmp-frontend-chart';
import {
  FLAGGER,
  KEDA,
  LOKI_URL,
  MONITORING,
  prometheusQueryUrl,
  type ObservabilityValues,
} from '../../charts/lib/cluster-addons';

export type { ObservabilityValues };
import { LOKI_IDENTITY } from '../../config/names';
import { KubernetesManifests } from './kubernetes-manifests';
import { PinnedHelmRelease } from './helm-release';

type Values = Record<string, unknown>;

/** Chart sources and exact versions; a bump is a reviewed one-line change. */
export const ADDON_CHARTS = {
  flagger: { repository: 'https://flagger.app', chart: 'flagger', version: '1.44.0' },
  loadtester: { repository: 'https://flagger.app', chart: 'loadtester', version: '0.38.0' },
  grafana: {
    repository: 'https://grafana-community.github.io/helm-charts',
    chart: 'grafana',
    version: '12.11.1',
  },
  loki: { repository: 'https://grafana-community.github.io/helm-charts', chart: 'loki', version: '18.11.0' },
  alloy: { repository: 'https://grafana.github.io/helm-charts', chart: 'alloy', version: '1.11.1' },
  keda: { repository: 'https://kedacore.github.io/charts', chart: 'keda', version: '2.20.2' },
} as const;

/** Merges Helm values: objects key by key, anything else (arrays included) replaced. */
export function mergeValues(base: Values, override: Values = {}): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const b = out[k];
    const isObj = (x: unknown): x is Values => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = isObj(b) && isObj(v) ? mergeValues(b, v) : v;
  }
  return out;
}

/** Where Loki keeps chunks and index (the platform stack's bucket and Workload Identity user). */
export interface LokiStorageTarget {
  readonly bucketName: string;
  readonly serviceAccountEmail: string;
  readonly retentionDays: number;
}

/**
 * Minimal working defaults: Flagger on Gateway API reading Managed
 * Prometheus, Grafana with both data sources, single-binary Loki on GCS, and
 * Alloy tailing pod logs into it.
 */
export function defaultAddonValues(loki: LokiStorageTarget): Record<keyof typeof ADDON_CHARTS, Values> {
  return {
    flagger: {
      meshProvider: 'gatewayapi:v1',
      metricsServer: prometheusQueryUrl(),
      prometheus: { install: false },
      // The chart's default `securityContext` (non-root, read-only root); it has no podSecurityContext.
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
    },
    loadtester: {
      fullnameOverride: FLAGGER.loadTesterName,
      cmd: { timeout: '1h' },
      securityContext: { enabled: true },
      // The chart renders `.Values.resources` on its only container (templates/deployment.yaml);
      // without requests Autopilot bills its 0.5 vCPU / 2 GiB default (the chart's values define requests only).
      resources: { requests: { cpu: '50m', memory: '64Mi' } },
    },
    grafana: {
      datasources: {
        'datasources.yaml': {
          apiVersion: 1,
          datasources: [
            {
              name: 'Managed Prometheus',
              type: 'prometheus',
              url: prometheusQueryUrl(),
              access: 'proxy',
              isDefault: true,
            },
            { name: 'Loki', type: 'loki', url: LOKI_URL, access: 'proxy' },
          ],
        },
      },
      persistence: { enabled: false },
      // Requests for a handful of users and dashboards (ADR 0200); no sidecar is enabled.
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      // The chart's init container, rendered whenever dashboards are set (even inline ones it never downloads).
      downloadDashboards: {
        resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      },
    },
    loki: {
      deploymentMode: 'SingleBinary',
      serviceAccount: {
        create: true,
        name: LOKI_IDENTITY.kubernetesServiceAccount,
        annotations: { 'iam.gke.io/gcp-service-account': loki.serviceAccountEmail },
      },
      loki: {
        auth_enabled: false,
        commonConfig: { replication_factor: 1 },
        storage: {
          type: 'gcs',
          bucketNames: { chunks: loki.bucketName, ruler: loki.bucketName, admin: loki.bucketName },
        },
        schemaConfig: {
          configs: [
            {
              from: '2024-01-01',
              store: 'tsdb',
              object_store: 'gcs',
              schema: 'v13',
              index: { prefix: 'index_', period: '24h' },
            },
          ],
        },
        limits_config: { retention_period: `${loki.retentionDays * 24}h` },
        compactor: { retention_enabled: true, delete_request_store: 'gcs' },
      },
      singleBinary: {
        replicas: 1,
        persistence: { enabled: true, size: '10Gi' },
        // One environment's logs, a few MiB a minute (ADR 0200).
        resources: { requests: { cpu: '200m', memory: '512Mi' }, limits: { memory: '1Gi' } },
      },
      gateway: { enabled: false },
      lokiCanary: { enabled: false },
      test: { enabled: false },
      // quay.io, like Grafana's sidecar: one registry on the prod Binary Authorization allowlist.
      // The rules sidecar only watches ConfigMaps.
      sidecar: {
        image: { registry: 'quay.io' },
        resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
      },
      chunksCache: { enabled: false },
      resultsCache: { enabled: false },
      backend: { replicas: 0 },
      read: { replicas: 0 },
      write: { replicas: 0 },
    },
    keda: {
      // One operator, metrics server and webhook pod each, sized for one ScaledObject polled every
      // 15–30 s (ADR 0262); the chart's defaults are 100m/100Mi requests and 1 CPU/1000Mi limits.
      resources: {
        operator: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: null, memory: '256Mi' } },
        metricServer: { requests: { cpu: '50m', memory: '128Mi' }, limits: { cpu: null, memory: '256Mi' } },
        webhooks: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: null, memory: '128Mi' } },
      },
    },
    alloy: {
      alloy: {
        // Tails pod logs through the Kubernetes API (no hostPath, allowed on Autopilot) into Loki,
        // labelled namespace/pod/container and the pod's `app` (walk-service, walk-service-primary).
        configMap: {
          content: [
            'discovery.kubernetes "pods" {',
            '  role = "pod"',
            '}',
            'discovery.relabel "pods" {',
            '  targets = discovery.kubernetes.pods.targets',
            '  rule {',
            '    source_labels = ["__meta_kubernetes_namespace"]',
            '    target_label  = "namespace"',
            '  }',
            '  rule {',
            '    source_labels = ["__meta_kubernetes_pod_name"]',
            '    target_label  = "pod"',
            '  }',
            '  rule {',
            '    source_labels = ["__meta_kubernetes_pod_container_name"]',
            '    target_label  = "container"',
            '  }',
            '  rule {',
            '    source_labels = ["__meta_kubernetes_pod_label_app"]',
            '    target_label  = "app"',
            '  }',
            '}',
            'loki.source.kubernetes "pods" {',
            '  targets    = discovery.relabel.pods.output',
            '  forward_to = [loki.write.default.receiver]',
            '}',
            'loki.write "default" {',
            '  endpoint {',
            `    url = "${LOKI_URL}/loki/api/v1/push"`,
            '  }',
            '}',
          ].join('\n'),
        },
        // Grafana's estimate for logs is about 1 CPU and 120 MiB per MiB/s; ours is far below that (ADR 0200).
        resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } },
      },
      controller: { type: 'deployment', replicas: 1 },
      // The reloader image is not on the prod Binary Authorization allowlist; a Helm upgrade restarts Alloy instead.
      configReloader: { enabled: false },
    },
  };
}

export interface ClusterAddonsProps {
  readonly helmProvider: HelmProvider;
  readonly kubernetesProvider: KubernetesProvider;
  readonly projectId: string;
  /** Google service account id the Managed Prometheus query frontend runs as. */
  readonly queryFrontendServiceAccountId: string;
  /** Loki's bucket, identity and retention. */
  readonly lokiStorage: LokiStorageTarget;
  /** @default {} — the monitoring layer's values. */
  readonly observabilityValues?: ObservabilityValues;
  /**
   * @default false — the environment is paused: the query frontend (a plain
   * manifest, which an apply would otherwise scale back up) runs no replica.
   */
  readonly paused?: boolean;
  /** @default false — every add-on's pods on Autopilot Spot capacity. */
  readonly spotPods?: boolean;
  /** Namespaces must exist first. */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Cluster add-ons: Flagger (Gateway API provider) and its load tester,
 * Grafana, Loki and Alloy as pinned Helm releases, and the Managed Prometheus
 * query frontend that Flagger and Grafana read metrics from.
 */
export class ClusterAddons extends Construct {
  readonly releases: Record<keyof typeof ADDON_CHARTS, PinnedHelmRelease>;
  readonly queryFrontend: KubernetesManifests;

  constructor(scope: Construct, id: string, props: ClusterAddonsProps) {
    super(scope, id);
    const defaults = defaultAddonValues(props.lokiStorage);
    const observability = props.observabilityValues ?? {};
    const release = (
      name: keyof typeof ADDON_CHARTS,
      namespace: string,
      values: Values,
      after: ITerraformDependable[] = [],
    ) =>
      new PinnedHelmRelease(this, name, {
        provider: props.helmProvider,
        ...ADDON_CHARTS[name],
        releaseName: name === 'loadtester' ? FLAGGER.loadTesterName : name,
        namespace,
        values: props.spotPods
          ? mergeValues(values, nodeSelectorValues(name, AUTOPILOT_SPOT_NODE_SELECTOR.value))
          : values,
        dependsOn: [...(props.dependsOn ?? []), ...after],
      });

    const frontendChart = new GmpFrontendChart(new App(), 'gmp-frontend', {
      projectId: props.projectId,
      googleServiceAccountId: props.queryFrontendServiceAccountId,
      ...(props.paused && { replicas: 0 }),
    });
    this.queryFrontend = new KubernetesManifests(this, 'query-frontend', {
      provider: props.kubernetesProvider,
      source: frontendChart,
      dependsOn: props.dependsOn,
    });

    const flagger = release('flagger', FLAGGER.namespace, defaults.flagger);
    this.releases = {
      flagger,
      loadtester: release('loadtester', FLAGGER.namespace, defaults.loadtester, [flagger.release]),
      grafana: release('grafana', MONITORING.namespace, mergeValues(defaults.grafana, observability.grafana)),
      loki: release('loki', MONITORING.namespace, mergeValues(defaults.loki, observability.loki)),
      alloy: release('alloy', MONITORING.namespace, mergeValues(defaults.alloy, observability.alloy)),
      // Installs the ScaledObject CRD the app stacks' worker objects need.
      keda: release('keda', KEDA.namespace, defaults.keda),
    };
  }
}
