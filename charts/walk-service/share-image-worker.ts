import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { workerDbPoolMax } from '../../config/connection-budget';
import {
  googleServiceAccountEmail,
  iamDatabaseUser,
  SERVICE_PORTS,
  SHARE_IMAGE_WORKER_IDENTITY,
} from '../../config/names';
import { AUTOPILOT_SPOT_NODE_SELECTOR } from '../../config/platform-facts';
import { ScaledObject } from '../crds/keda';
import { PodMonitoring } from '../crds/managed-prometheus';
import { MONITORING, prometheusQueryUrl } from '../lib/cluster-addons';
import { LABEL, PART_OF } from '../lib/labels';
import { cloudSqlProxySidecar, CLOUD_SQL_PROXY_LISTEN_PORT } from './cloud-sql-proxy';
import { workloadEgressRules } from './network-policies';
import { ShareImageWorkerProps, WalkServiceProps } from './props';
import {
  CDK8S_ADDRESS_LABEL,
  containerResources,
  imageReference,
  restrictedSecurityContext,
  SERVICE_UID,
  tracingEnvironment,
} from './workload';

/** The worker's entry point in the image (app/src/worker.ts). */
export const WORKER_COMMAND = 'dist/app/worker.js';

/** Pod component of the share-image worker. */
export const WORKER_COMPONENT = 'share-image-worker';

/** The queue-depth gauge walk-service exports (issue 19's contract): KEDA and the alerts read it. */
export const JOBS_WAITING_METRIC = 'walk_share_image_jobs_waiting';

/**
 * What Managed Prometheus keeps of the worker's /metrics (billed per sample):
 * the contract's job metrics (issue 19) and the saturation series the
 * dashboard and a runbook read; monitoring/test/metrics.test.ts checks each
 * name against the worker's own registry.
 */
export const WORKER_SCRAPED_METRICS = [
  'walk_share_image_jobs_total',
  'walk_share_image_job_seconds_bucket',
  'walk_share_image_job_seconds_sum',
  'walk_share_image_job_seconds_count',
  'walk_share_image_render_seconds_bucket',
  'walk_share_image_render_seconds_sum',
  'walk_share_image_render_seconds_count',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'db_pool_connections',
  'db_pool_waiting_clients',
] as const;

/** Labels of the worker's pods. */
export function workerPodLabels(): Record<string, string> {
  return {
    [LABEL.name]: SHARE_IMAGE_WORKER_IDENTITY.name,
    [LABEL.component]: WORKER_COMPONENT,
    [LABEL.partOf]: PART_OF,
  };
}

/**
 * KEDA's query: the waiting jobs walk-service reports, the max over its
 * replicas (each reports the same table), in this namespace only.
 */
export function jobsWaitingQuery(namespace: string): string {
  return `max(${JOBS_WAITING_METRIC}{namespace="${namespace}"}) or vector(0)`;
}

/** The worker's Kubernetes and Google service accounts: its own, or the service's (previews, ADR 0261). */
export function workerIdentity(p: WalkServiceProps, w: ShareImageWorkerProps) {
  const accountId = w.googleServiceAccountId ?? p.identity.googleServiceAccountId;
  return {
    kubernetesServiceAccount: w.kubernetesServiceAccount ?? p.identity.kubernetesServiceAccount,
    googleServiceAccountId: accountId,
    databaseUser: iamDatabaseUser(accountId, p.projectId),
    ownIdentity: w.googleServiceAccountId !== undefined,
  };
}

/** Environment of the worker container (issue 19's worker contract). */
export function workerEnvironment(
  p: WalkServiceProps,
  w: ShareImageWorkerProps,
): Record<string, kplus.EnvValue> {
  const v = (x: string | number) => kplus.EnvValue.fromValue(String(x));
  const id = workerIdentity(p, w);
  return {
    APP_ENV: v(p.appEnv),
    METRICS_PORT: v(SERVICE_PORTS.metrics),
    DATABASE_URL: v(
      `postgres://${encodeURIComponent(id.databaseUser)}@127.0.0.1:${CLOUD_SQL_PROXY_LISTEN_PORT}/${p.identity.databaseName}?sslmode=disable`,
    ),
    DB_POOL_MAX: v(workerDbPoolMax(w.concurrency)),
    WALK_IMAGES_BUCKET: v(p.walkImagesBucket),
    SHARE_IMAGE_WORKER_CONCURRENCY: v(w.concurrency),
    SHUTDOWN_TIMEOUT_MS: v(w.shutdownTimeoutMs),
    LOG_LEVEL: v(p.logLevel ?? 'info'),
    GOOGLE_CLOUD_PROJECT: v(p.projectId),
    ...tracingEnvironment(p),
  };
}

/**
 * The share-image worker: a Deployment of the service's image running
 * WORKER_COMMAND, scaled by KEDA on the queue depth (ADR 0262), with the Auth
 * Proxy sidecar, probes on METRICS_PORT, a NetworkPolicy that admits only the
 * managed collectors' scrape, a PDB and a PodMonitoring.
 */
export function shareImageWorker(
  scope: Construct,
  p: WalkServiceProps,
  w: ShareImageWorkerProps,
): kplus.Deployment {
  const name = SHARE_IMAGE_WORKER_IDENTITY.name;
  const id = workerIdentity(p, w);
  const serviceAccount = id.ownIdentity
    ? new kplus.ServiceAccount(scope, 'worker-service-account', {
        metadata: {
          name: id.kubernetesServiceAccount,
          annotations: {
            'iam.gke.io/gcp-service-account': googleServiceAccountEmail(
              id.googleServiceAccountId,
              p.projectId,
            ),
          },
        },
        automountToken: false,
      })
    : kplus.ServiceAccount.fromServiceAccountName(
        scope,
        'worker-service-account',
        id.kubernetesServiceAccount,
      );
  const graceSeconds = Math.ceil(w.shutdownTimeoutMs / 1000) + 10;
  const deployment = new kplus.Deployment(scope, 'worker-deployment', {
    metadata: { name },
    select: false,
    spread: false,
    revisionHistoryLimit: 5,
    // Replace, never add: the connection budget counts no surge pod (config/connection-budget.ts).
    strategy: kplus.DeploymentStrategy.rollingUpdate({
      maxSurge: kplus.PercentOrAbsolute.absolute(0),
      maxUnavailable: kplus.PercentOrAbsolute.absolute(1),
    }),
    serviceAccount,
    automountServiceAccountToken: false,
    terminationGracePeriod: Duration.seconds(graceSeconds),
    securityContext: { ensureNonRoot: true, user: SERVICE_UID, group: SERVICE_UID, fsGroup: SERVICE_UID },
    podMetadata: { labels: workerPodLabels() },
    initContainers: [cloudSqlProxySidecar(p.cloudSqlInstanceConnectionName)],
  });
  deployment.select(kplus.LabelSelector.of({ labels: workerPodLabels() }));
  const tmp = kplus.Volume.fromEmptyDir(scope, 'worker-tmp', 'tmp', { sizeLimit: Size.mebibytes(64) });
  const probe = (path: string, periodSeconds: number, failureThreshold: number) =>
    kplus.Probe.fromHttpGet(path, {
      port: SERVICE_PORTS.metrics,
      periodSeconds: Duration.seconds(periodSeconds),
      failureThreshold,
      timeoutSeconds: Duration.seconds(2),
    });
  deployment.addContainer({
    name,
    image: imageReference(p),
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    args: [WORKER_COMMAND],
    ports: [{ name: 'metrics', number: SERVICE_PORTS.metrics }],
    envVariables: workerEnvironment(p, w),
    volumeMounts: [{ path: '/tmp', volume: tmp }],
    startup: probe('/healthz', 2, 30),
    liveness: probe('/healthz', 10, 3),
    readiness: probe('/readyz', 5, 2),
    resources: containerResources(w.resources),
    securityContext: restrictedSecurityContext(SERVICE_UID),
  });
  const obj = ApiObject.of(deployment);
  if (p.spotPods)
    obj.addJsonPatch(JsonPatch.add('/spec/template/spec/nodeSelector', AUTOPILOT_SPOT_NODE_SELECTOR.value));
  // cdk8s-plus writes replicas: 2 when none is given; KEDA's HPA owns the count, and an applied
  // `replicas` would reset it on every deploy.
  obj.addJsonPatch(
    JsonPatch.remove('/spec/replicas'),
    JsonPatch.remove(`/spec/template/metadata/labels/${CDK8S_ADDRESS_LABEL}`),
  );

  // Eviction may take the only pod: its job is released and retried (SIGTERM contract).
  new kplus.k8s.KubePodDisruptionBudget(scope, 'worker-pdb', {
    metadata: { name },
    spec: {
      maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
      selector: { matchLabels: workerPodLabels() },
    },
  });
  new PodMonitoring(scope, 'worker-pod-monitoring', {
    metadata: { name },
    spec: {
      selector: { matchLabels: workerPodLabels() },
      endpoints: [
        {
          port: 'metrics',
          path: '/metrics',
          interval: `${p.scrapeIntervalSeconds ?? 15}s`,
          metricRelabeling: [
            { action: 'keep', sourceLabels: ['__name__'], regex: WORKER_SCRAPED_METRICS.join('|') },
          ],
        },
      ],
    },
  });
  const pods = kplus.Pods.select(scope, 'worker-pods', { labels: workerPodLabels() });
  new kplus.NetworkPolicy(scope, 'worker-traffic', {
    metadata: { name },
    selector: pods,
    ingress: {
      rules: [
        {
          peer: kplus.Pods.all(scope, 'worker-managed-collectors', {
            namespaces: kplus.Namespaces.select(scope, 'worker-managed-collection', {
              names: [MONITORING.managedCollectorNamespace],
            }),
          }),
          ports: [kplus.NetworkPolicyPort.tcp(SERVICE_PORTS.metrics)],
        },
      ],
    },
    egress: { rules: workloadEgressRules(scope, 'worker', p) },
  });
  new ScaledObject(scope, 'worker-scaler', {
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicaCount: w.minReplicas,
      maxReplicaCount: w.maxReplicas,
      pollingInterval: p.scrapeIntervalSeconds ?? 15,
      cooldownPeriod: w.cooldownSeconds,
      triggers: [
        {
          type: 'prometheus',
          name: 'jobs-waiting',
          metadata: {
            serverAddress: prometheusQueryUrl(),
            query: jobsWaitingQuery(p.identity.namespace),
            threshold: String(w.jobsPerReplica),
            activationThreshold: '0',
          },
        },
      ],
    },
  });
  return deployment;
}
