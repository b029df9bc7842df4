/**
 * Kubernetes objects of the monitoring layer, applied by the `<env>-cluster`
 * stack after its namespaces: the Managed Prometheus rules and the
 * PodMonitorings that scrape Flagger, Loki and Alloy (managed collection
 * reads PodMonitoring, not the charts' ServiceMonitors). The managed Alertmanager's config
 * Secret is applied with its receiver URLs merged in (alertmanager.ts), never
 * through Terraform.
 */
import { stringify } from 'yaml';
import type { KubernetesObject } from '../charts/lib/kubernetes-object';
import { EnvironmentConfig, Environments } from '../config/environments';
import { FLAGGER, LOG_PIPELINE, MONITORING } from '../charts/lib/cluster-addons';
import { alertmanagerConfig } from './alertmanager';
import { runbookBaseUrl } from './config';
import { PLATFORM_METRICS } from './metric-catalogue';
import { managedRulesObjects } from './rules';

const LABELS = { 'app.kubernetes.io/part-of': 'tekutoko', 'app.kubernetes.io/component': 'monitoring' };

/** The routing of `env` with placeholder receiver URLs (what review and amtool see). */
export function alertmanagerYaml(env: EnvironmentConfig): string {
  return stringify(alertmanagerConfig(env.observability.alertRouting), { lineWidth: 0 });
}

/** Flagger exposes flagger_* on its `http` port; managed collection needs a PodMonitoring to see it. */
export function flaggerPodMonitoring(): KubernetesObject {
  return {
    apiVersion: 'monitoring.googleapis.com/v1',
    kind: 'PodMonitoring',
    metadata: { name: FLAGGER.releaseName, namespace: FLAGGER.namespace, labels: LABELS },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': FLAGGER.releaseName } },
      endpoints: [{ port: 'http', path: '/metrics', interval: '30s' }],
    },
  };
}

/**
 * Loki and Alloy expose their own metrics on `http-metrics`; the log-pipeline
 * alerts (alerts.ts) read them under `job="loki"` / `job="alloy"`. Each exposes
 * hundreds of series and Managed Prometheus bills per sample, so only the
 * catalogued ones are kept (`up` is synthetic and always kept).
 */
export function logPipelinePodMonitorings(): KubernetesObject[] {
  return (['loki', 'alloy'] as const).map((source) => {
    const p = LOG_PIPELINE[source];
    const keep = PLATFORM_METRICS.filter((m) => m.source === source).map((m) => m.name);
    return {
      apiVersion: 'monitoring.googleapis.com/v1',
      kind: 'PodMonitoring',
      metadata: { name: p.releaseName, namespace: MONITORING.namespace, labels: LABELS },
      spec: {
        selector: {
          matchLabels: { 'app.kubernetes.io/name': p.podName, 'app.kubernetes.io/instance': p.releaseName },
        },
        endpoints: [
          {
            port: p.metricsPort,
            path: '/metrics',
            interval: '30s',
            metricRelabeling: [{ action: 'keep', sourceLabels: ['__name__'], regex: keep.join('|') }],
          },
        ],
      },
    };
  });
}

/** The objects the cluster stack of `env` applies (the same in every environment). */
export function observabilityObjects(config: Environments, _env: EnvironmentConfig): KubernetesObject[] {
  return [
    ...(managedRulesObjects(runbookBaseUrl(config)) as unknown as KubernetesObject[]),
    flaggerPodMonitoring(),
    ...logPipelinePodMonitorings(),
  ];
}
