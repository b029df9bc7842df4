/**
 * What the monitoring layer reads from the rest of the repository: the
 * validated environments (config/environments.ts), the naming contract
 * (config/names.ts) and the add-on names the charts layer exports.
 * Nothing here is retyped.
 */
import { ContextSources, resolveContext } from '../config/context';
import { EnvironmentConfig, Environments, loadEnvironments } from '../config/environments';
import { SERVICE_NAME, SERVICE_NAMESPACE, SHARE_IMAGE_WORKER_IDENTITY } from '../config/names';
import { FLAGGER, LOG_PIPELINE, MONITORING } from '../charts/lib/cluster-addons';

/** GKE cluster name of an environment (the platform stack names it `tekutoko-<env>`). */
export function clusterName(env: Pick<EnvironmentConfig, 'name'>): string {
  return `tekutoko-${env.name}`;
}

/**
 * Managed collection sets `job` to the PodMonitoring name (the chart names it
 * after the service) and `namespace` to the pod's; previews (`pr-<n>`) are
 * left out of the SLOs on purpose.
 */
export const SERVICE_SELECTOR = `job="${SERVICE_NAME}",namespace="${SERVICE_NAMESPACE}"`;

/** The share-image worker's series: its PodMonitoring is named after its Deployment (charts/walk-service/share-image-worker.ts). */
export const WORKER_SELECTOR = `job="${SHARE_IMAGE_WORKER_IDENTITY.name}",namespace="${SERVICE_NAMESPACE}"`;

/** Flagger's own metrics (flagger_*) as scraped by the PodMonitoring in monitoring/k8s-objects.ts. */
export const FLAGGER_JOB = FLAGGER.releaseName;

/** `https://github.com/<repo>/blob/<branch>/runbooks/`: stable, reviewable, no wiki drift. */
export function runbookBaseUrl(config: Pick<Environments, 'bootstrap'>): string {
  const branch = config.bootstrap.githubDeployRef.replace(/^refs\/(heads|tags)\//, '');
  return `https://github.com/${config.bootstrap.githubRepository}/blob/${branch}/runbooks/`;
}

/** Environments from the same sources `npm run synth` reads (cdktf.json, -c, TEKUTOKO_*). */
export function loadMonitoringConfig(sources: ContextSources = {}): Environments {
  const { context, env } = resolveContext(sources);
  return loadEnvironments(context, env);
}

/** Loki's and Alloy's own metrics, as scraped by the PodMonitorings in monitoring/k8s-objects.ts. */
export const LOKI_SELECTOR = `job="${LOG_PIPELINE.loki.releaseName}",namespace="${MONITORING.namespace}"`;
export const ALLOY_SELECTOR = `job="${LOG_PIPELINE.alloy.releaseName}",namespace="${MONITORING.namespace}"`;
