/**
 * The pods each Helm chart the cluster stack installs renders from the values
 * we give it, for the cost estimate. There is no `helm template` on the build
 * machines, so this is each chart's knowledge written down: which workloads
 * and containers its templates create, at which values path each container's
 * `resources` sit, and the chart's own default when we set none. Read from the
 * charts' sources at the versions in infra/constructs/cluster-addons.ts:
 * - flagger 1.44.0 and loadtester 0.38.0: fluxcd/flagger `charts/{flagger,loadtester}/values.yaml` (`resources`, `replicaCount`);
 * - grafana 12.11.1, loki 18.11.0: grafana-community/helm-charts `charts/grafana/values.yaml`
 *   (`replicas`, `resources`, `sidecar.*`, `downloadDashboards.resources`; `templates/_pod.tpl` for the init container) and `charts/loki/values.yaml` (`singleBinary.*`, `sidecar.rules.enabled`,
 *   `sidecar.resources`, `gateway`, `lokiCanary`, `chunksCache`, `resultsCache`);
 * - keda 2.20.2: kedacore/charts `keda/values.yaml` (`resources.{operator,metricServer,webhooks}`,
 *   `{operator,metricsServer,webhooks}.replicaCount`, `metricsServer.enabled`, `webhooks.enabled`, `nodeSelector`);
 * - alloy 1.11.1: grafana/alloy `operations/helm/charts/alloy/values.yaml` (`controller.*`, `alloy.resources`,
 *   `configReloader.*`).
 * A chart version other than these makes the estimate fail, so a bump revisits this file.
 */
import { AUTOPILOT_SPOT_NODE_SELECTOR } from '../../config/platform-facts';
import { KEDA } from '../../charts/lib/cluster-addons';
import { cpuMillis, memoryMiB } from './quantities';

/* eslint-disable @typescript-eslint/no-explicit-any -- Helm values are untyped data */
type Values = Record<string, any>;

export interface ContainerRequests {
  readonly name: string;
  /** Undefined: no request set, so Autopilot applies its default. */
  readonly cpuMillis?: number;
  readonly memoryMiB?: number;
}

export interface Workload {
  /** Where it comes from: `helm:<release>` or `manifest:<stack>`. */
  readonly source: string;
  readonly namespace: string;
  readonly name: string;
  readonly replicasMin: number;
  readonly replicasMax: number;
  readonly containers: readonly ContainerRequests[];
  /** Init containers that run to completion first: the pod is sized for the larger of them and the containers. */
  readonly initContainers?: readonly ContainerRequests[];
  /** Runs on Autopilot Spot Pods (nodeSelector cloud.google.com/gke-spot). */
  readonly spot: boolean;
  /** Persistent volume claims, GiB per replica. */
  readonly volumeGib: number;
  /** Labels of its pods (what a PodMonitoring selects). */
  readonly podLabels: Readonly<Record<string, string>>;
}

function at(values: Values, path: string): any {
  return path.split('.').reduce<any>((v, key) => (v == null ? undefined : v[key]), values);
}

/** `resources.requests` at `path`, else the chart's default. */
export function requestsAt(
  values: Values,
  path: string,
  name: string,
  chartDefault: { cpu?: string; memory?: string } = {},
): ContainerRequests {
  const set = at(values, path)?.requests as { cpu?: string; memory?: string } | undefined;
  const requests = set ?? chartDefault;
  return {
    name,
    ...(requests.cpu !== undefined ? { cpuMillis: cpuMillis(requests.cpu) } : {}),
    ...(requests.memory !== undefined ? { memoryMiB: memoryMiB(requests.memory) } : {}),
  };
}

const enabled = (values: Values, path: string, chartDefault: boolean): boolean =>
  (at(values, path) as boolean | undefined) ?? chartDefault;

/** Where each chart takes the nodeSelector of its pods (its values.yaml). */
export const NODE_SELECTOR_PATH = {
  flagger: 'nodeSelector',
  loadtester: 'nodeSelector',
  grafana: 'nodeSelector',
  loki: 'singleBinary.nodeSelector',
  alloy: 'controller.nodeSelector',
  keda: 'nodeSelector',
} as const;

/** Values that put a chart's pods on `nodeSelector` (nested at the chart's path). */
export function nodeSelectorValues(
  chart: keyof typeof NODE_SELECTOR_PATH,
  nodeSelector: Record<string, string>,
): Values {
  return NODE_SELECTOR_PATH[chart]
    .split('.')
    .reduceRight<Values>((inner, key) => ({ [key]: inner }), nodeSelector);
}

const spotSelected = (values: Values, path: string): boolean =>
  Object.entries(AUTOPILOT_SPOT_NODE_SELECTOR.value).every(([k, v]) => at(values, path)?.[k] === v);

interface Release {
  readonly name: string;
  readonly namespace: string;
  readonly chart: string;
  readonly version: string;
  readonly values: Values;
}

type ChartModel = (r: Release) => Workload[];

// Every chart here labels its pods with the chart name and the release (Helm's recommended labels).
const one = (
  r: Release,
  w: Omit<Workload, 'source' | 'namespace' | 'volumeGib' | 'podLabels'> & { volumeGib?: number },
): Workload => ({
  source: `helm:${r.name}`,
  namespace: r.namespace,
  volumeGib: 0,
  podLabels: { 'app.kubernetes.io/name': r.chart, 'app.kubernetes.io/instance': r.name },
  ...w,
});

function fluxChart(
  r: Release,
  chart: 'flagger' | 'loadtester',
  chartDefault: { cpu: string; memory: string },
): Workload[] {
  const n = Number(r.values.replicaCount ?? 1);
  return [
    one(r, {
      name: r.name,
      replicasMin: n,
      replicasMax: n,
      spot: spotSelected(r.values, NODE_SELECTOR_PATH[chart]),
      containers: [requestsAt(r.values, 'resources', chart, chartDefault)],
    }),
  ];
}

const MODELS: Record<string, { version: string; model: ChartModel }> = {
  // Flagger's two charts: one Deployment, `replicaCount`, top-level `resources` with a chart default.
  flagger: { version: '1.44.0', model: (r) => fluxChart(r, 'flagger', { cpu: '10m', memory: '32Mi' }) },
  loadtester: { version: '0.38.0', model: (r) => fluxChart(r, 'loadtester', { cpu: '10m', memory: '64Mi' }) },
  grafana: {
    version: '12.11.1',
    model: (r) => {
      const n = Number(r.values.replicas ?? 1);
      const sidecars = ['dashboards', 'datasources', 'notifiers', 'plugins', 'alerts']
        .filter((s) => enabled(r.values, `sidecar.${s}.enabled`, false))
        .map((s) => requestsAt(r.values, 'sidecar.resources', `grafana-sc-${s}`));
      return [
        one(r, {
          name: r.name,
          replicasMin: n,
          replicasMax: n,
          spot: spotSelected(r.values, NODE_SELECTOR_PATH.grafana),
          containers: [requestsAt(r.values, 'resources', 'grafana'), ...sidecars],
          // templates/_pod.tpl renders `download-dashboards` whenever `dashboards` is set, inline JSON included.
          initContainers:
            Object.keys(r.values.dashboards ?? {}).length > 0
              ? [requestsAt(r.values, 'downloadDashboards.resources', 'download-dashboards')]
              : [],
          volumeGib: enabled(r.values, 'persistence.enabled', false)
            ? memoryMiB(at(r.values, 'persistence.size') ?? '10Gi') / 1024
            : 0,
        }),
      ];
    },
  },
  loki: {
    version: '18.11.0',
    model: (r) => {
      const mode = String(r.values.deploymentMode ?? 'Monolithic');
      if (!['Monolithic', 'SingleBinary'].includes(mode))
        throw new Error(`loki deploymentMode ${mode}: only the single-binary mode is modelled`);
      for (const part of ['gateway', 'lokiCanary', 'chunksCache', 'resultsCache'])
        if (enabled(r.values, `${part}.enabled`, true))
          throw new Error(`loki ${part} is enabled: add its pods to infra/cost/helm-workloads.ts`);
      const n = Number(at(r.values, 'singleBinary.replicas') ?? 0);
      const persistence = enabled(r.values, 'singleBinary.persistence.enabled', true);
      return [
        one(r, {
          name: r.name,
          replicasMin: n,
          replicasMax: n,
          spot: spotSelected(r.values, NODE_SELECTOR_PATH.loki),
          containers: [
            requestsAt(r.values, 'singleBinary.resources', 'loki'),
            ...(enabled(r.values, 'sidecar.rules.enabled', true)
              ? [requestsAt(r.values, 'sidecar.resources', 'loki-sc-rules')]
              : []),
          ],
          volumeGib: persistence
            ? memoryMiB(at(r.values, 'singleBinary.persistence.size') ?? '10Gi') / 1024
            : 0,
        }),
      ];
    },
  },
  keda: { version: '2.20.2', model: kedaWorkloads },
  alloy: {
    version: '1.11.1',
    model: (r) => {
      const type = String(at(r.values, 'controller.type') ?? 'daemonset');
      if (type !== 'deployment' && type !== 'statefulset')
        throw new Error(`alloy controller.type ${type}: only a Deployment/StatefulSet is modelled`);
      const n = Number(at(r.values, 'controller.replicas') ?? 1);
      return [
        one(r, {
          name: r.name,
          replicasMin: n,
          replicasMax: n,
          spot: spotSelected(r.values, NODE_SELECTOR_PATH.alloy),
          containers: [
            requestsAt(r.values, 'alloy.resources', 'alloy'),
            ...(enabled(r.values, 'configReloader.enabled', true)
              ? [
                  requestsAt(r.values, 'configReloader.resources', 'config-reloader', {
                    cpu: '10m',
                    memory: '50Mi',
                  }),
                ]
              : []),
          ],
        }),
      ];
    },
  },
};

/** KEDA's three Deployments (keda/templates/{manager,metrics-server,webhooks}/deployment.yaml). */
function kedaWorkloads(r: Release): Workload[] {
  const pod = (name: string, replicasPath: string, resources: string, enabledPath?: string): Workload[] =>
    enabledPath && !enabled(r.values, enabledPath, true)
      ? []
      : [
          {
            source: `helm:${r.name}`,
            namespace: r.namespace,
            name,
            replicasMin: Number(at(r.values, replicasPath) ?? 1),
            replicasMax: Number(at(r.values, replicasPath) ?? 1),
            spot: spotSelected(r.values, NODE_SELECTOR_PATH.keda),
            containers: [requestsAt(r.values, resources, name, { cpu: '100m', memory: '100Mi' })],
            volumeGib: 0,
            podLabels: { 'app.kubernetes.io/name': name },
          },
        ];
  return [
    ...pod(KEDA.operatorName, 'operator.replicaCount', 'resources.operator'),
    ...pod(
      KEDA.metricsServerName,
      'metricsServer.replicaCount',
      'resources.metricServer',
      'metricsServer.enabled',
    ),
    ...pod(KEDA.webhooksName, 'webhooks.replicaCount', 'resources.webhooks', 'webhooks.enabled'),
  ];
}

/** The workloads a Helm release renders; throws for a chart or version this file does not model. */
export function helmWorkloads(release: Release): Workload[] {
  const m = MODELS[release.chart];
  if (!m)
    throw new Error(`no pod model for Helm chart ${release.chart}: add it to infra/cost/helm-workloads.ts`);
  if (m.version !== release.version)
    throw new Error(
      `Helm chart ${release.chart} is ${release.version}, infra/cost/helm-workloads.ts models ${m.version}: re-read its values.yaml`,
    );
  return m.model(release);
}
