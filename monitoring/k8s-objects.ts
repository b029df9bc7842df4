/**
 * Kubernetes objects of the monitoring layer, applied by the `<env>-cluster`
 * stack after its namespaces: the Managed Prometheus rules and the
 * PodMonitoring that scrapes Flagger. The managed Alertmanager's config
 * Secret is applied with its receiver URLs merged in (alertmanager.ts), never
 * through Terraform.
 */
import { stringify } from 'yaml';
import type { KubernetesObject } from '../infra/constructs/kubernetes-manifests';
import { EnvironmentConfig, Environments } from '../infra/config/environments';
import { FLAGGER } from '../charts/lib/cluster-addons';
import { alertmanagerConfig } from './alertmanager';
import { runbookBaseUrl } from './config';
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

/** The objects the cluster stack of `env` applies (the same in every environment). */
export function observabilityObjects(config: Environments, _env: EnvironmentConfig): KubernetesObject[] {
  return [
    ...(managedRulesObjects(runbookBaseUrl(config)) as unknown as KubernetesObject[]),
    flaggerPodMonitoring(),
  ];
}
