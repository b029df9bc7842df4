import { ApiObject, JsonPatch, Size, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { SERVICE_NAME, SERVICE_PORTS, googleServiceAccountEmail, iamDatabaseUser } from '../../config/names';
import { GKE_SECRET_MANAGER_CSI_DRIVER, GkeSecretProviderClass } from '../crds/secrets-store';
import { AUTOPILOT_SPOT_NODE_SELECTOR, TELEMETRY_OTLP_ENDPOINT } from '../../config/platform-facts';
import { ROLLING_MAX_SURGE_PERCENT } from '../../config/connection-budget';
import { COMPONENT, LABEL, PART_OF } from '../lib/labels';
import { ShutdownTiming } from '../lib/shutdown';
import { CLOUD_SQL_PROXY_LISTEN_PORT, cloudSqlProxySidecar } from './cloud-sql-proxy';
import { ResourceSizing, WalkServiceProps } from './props';

/** Numeric user of the image (distroless `nonroot`); the Dockerfile uses the same. */
export const SERVICE_UID = 65532;
/** cdk8s-plus' pod address label (`/` escaped for JSON Pointer); selection here is by explicit labels. */
export const CDK8S_ADDRESS_LABEL = 'cdk8s.io~1metadata.addr';
export const SIGNING_KEYS_DIR = '/var/run/secrets/walk-service';
export const SIGNING_KEYS_FILE_NAME = 'session-signing-keys.json';
export const SIGNING_KEYS_FILE = `${SIGNING_KEYS_DIR}/${SIGNING_KEYS_FILE_NAME}`;

/** Full image reference by digest. */
export function imageReference(p: Pick<WalkServiceProps, 'imageRepository' | 'imageDigest'>): string {
  return `${p.imageRepository}@${p.imageDigest}`;
}

/** DATABASE_URL through the Cloud SQL Auth Proxy sidecar, which encrypts the connection. */
export function databaseUrl(p: Pick<WalkServiceProps, 'identity' | 'projectId'>): string {
  const user = encodeURIComponent(iamDatabaseUser(p.identity.googleServiceAccountId, p.projectId));
  return `postgres://${user}@127.0.0.1:${CLOUD_SQL_PROXY_LISTEN_PORT}/${p.identity.databaseName}?sslmode=disable`;
}

/** Security context of every container the charts run: restricted Pod Security Standard. */
export function restrictedSecurityContext(uid: number): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: uid,
    group: uid,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}

/** Kubernetes service account bound to the Google service account via Workload Identity. */
export function workloadServiceAccount(scope: Construct, p: WalkServiceProps): kplus.ServiceAccount {
  return new kplus.ServiceAccount(scope, 'service-account', {
    metadata: {
      name: p.identity.kubernetesServiceAccount,
      annotations: {
        'iam.gke.io/gcp-service-account': googleServiceAccountEmail(
          p.identity.googleServiceAccountId,
          p.projectId,
        ),
      },
    },
    automountToken: false,
  });
}

/** Signing-key ring from Secret Manager as a file (GKE Secret Manager add-on). */
export function signingKeysVolume(scope: Construct, p: WalkServiceProps): kplus.Volume {
  const spc = new GkeSecretProviderClass(scope, 'signing-keys', {
    metadata: { name: `${SERVICE_NAME}-signing-keys` },
    files: [
      {
        resourceName: `projects/${p.projectId}/secrets/${p.identity.signingKeysSecretId}/versions/${p.signingKeysVersion ?? 'latest'}`,
        path: SIGNING_KEYS_FILE_NAME,
      },
    ],
  });
  return kplus.Volume.fromCsi(scope, 'signing-keys-volume', GKE_SECRET_MANAGER_CSI_DRIVER, {
    name: 'signing-keys',
    readOnly: true,
    attributes: { secretProviderClass: spc.name },
  });
}

/** Environment of the service container (the runtime contract of app/src/config). */
export function serviceEnvironment(
  p: WalkServiceProps,
  shutdown: ShutdownTiming,
): Record<string, kplus.EnvValue> {
  const v = (x: string | number) => kplus.EnvValue.fromValue(String(x));
  return {
    APP_ENV: v(p.appEnv),
    PORT: v(SERVICE_PORTS.http),
    METRICS_PORT: v(SERVICE_PORTS.metrics),
    DATABASE_URL: v(databaseUrl(p)),
    DB_POOL_MAX: v(p.dbPoolMax ?? 10),
    WALK_IMAGES_BUCKET: v(p.walkImagesBucket),
    FIREBASE_PROJECT_ID: v(p.firebaseProjectId),
    SESSION_SIGNING_KEYS_FILE: v(SIGNING_KEYS_FILE),
    SESSION_ISSUER: v(`https://${p.hostname}`),
    // The iOS app is the audience of the session tokens (app/src/config default).
    SESSION_AUDIENCE: v('tekutoko-app'),
    TRUST_PROXY: v(p.trustProxyHops ?? 2),
    ROLLOUT_PERCENT: v(p.rolloutPercent),
    SHUTDOWN_TIMEOUT_MS: v(shutdown.shutdownTimeoutMs),
    LOG_LEVEL: v(p.logLevel ?? 'info'),
    // Project of the trace ids in logs, so Cloud Logging links them to Cloud Trace.
    GOOGLE_CLOUD_PROJECT: v(p.projectId),
    ...tracingEnvironment(p),
  };
}

/** Tracing (app/src/observability/tracing.ts): straight to the Telemetry API as the pod's identity. */
export function tracingEnvironment(p: WalkServiceProps): Record<string, kplus.EnvValue> {
  const ratio = p.traceSampleRatio ?? 0;
  if (ratio === 0) return {};
  const v = (x: string) => kplus.EnvValue.fromValue(x);
  return {
    OTEL_TRACES_EXPORTER: v('otlp'),
    OTEL_EXPORTER_OTLP_ENDPOINT: v(TELEMETRY_OTLP_ENDPOINT.value),
    OTEL_EXPORTER_OTLP_AUTH: v('google'),
    OTEL_EXPORTER_OTLP_PROTOCOL: v('http/protobuf'),
    OTEL_TRACES_SAMPLER_ARG: v(String(ratio)),
    SERVICE_VERSION: v(p.imageDigest),
    POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
    POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
  };
}

/** Requests as sized; memory limit = request (what Autopilot sets anyway). */
export function containerResources(r: ResourceSizing): kplus.ContainerResources {
  return {
    cpu: { request: kplus.Cpu.millis(r.cpuMillis) },
    memory: { request: Size.mebibytes(r.memoryMiB), limit: Size.mebibytes(r.memoryMiB) },
  };
}

export interface ServerDeploymentProps {
  readonly props: WalkServiceProps;
  readonly shutdown: ShutdownTiming;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly signingKeys: kplus.Volume;
}

/**
 * The server Deployment. Selects pods by `app` only, the label Flagger
 * rewrites for its primary copy; replicas are left to the HPA when there is one.
 */
export function serverDeployment(scope: Construct, d: ServerDeploymentProps): kplus.Deployment {
  const p = d.props;
  const fixedReplicas = p.minReplicas === p.maxReplicas;
  const deployment = new kplus.Deployment(scope, 'deployment', {
    metadata: { name: SERVICE_NAME },
    select: false,
    spread: false,
    replicas: fixedReplicas ? p.minReplicas : undefined,
    minReady: Duration.seconds(5),
    progressDeadline: Duration.minutes(10),
    revisionHistoryLimit: 5,
    strategy: kplus.DeploymentStrategy.rollingUpdate({
      maxSurge: kplus.PercentOrAbsolute.percent(ROLLING_MAX_SURGE_PERCENT),
      maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
    }),
    serviceAccount: d.serviceAccount,
    automountServiceAccountToken: false,
    terminationGracePeriod: Duration.seconds(d.shutdown.terminationGracePeriodSeconds),
    securityContext: { ensureNonRoot: true, user: SERVICE_UID, group: SERVICE_UID, fsGroup: SERVICE_UID },
    podMetadata: {
      labels: {
        [LABEL.flaggerSelector]: SERVICE_NAME,
        [LABEL.name]: SERVICE_NAME,
        [LABEL.component]: COMPONENT.server,
        [LABEL.partOf]: PART_OF,
      },
    },
    initContainers: [cloudSqlProxySidecar(p.cloudSqlInstanceConnectionName)],
  });
  deployment.select(kplus.LabelSelector.of({ labels: { [LABEL.flaggerSelector]: SERVICE_NAME } }));

  const tmp = kplus.Volume.fromEmptyDir(scope, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(64) });
  deployment.addContainer({
    name: SERVICE_NAME,
    image: imageReference(p),
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    args: ['dist/app/server.js'],
    ports: [
      { name: 'http', number: SERVICE_PORTS.http },
      { name: 'metrics', number: SERVICE_PORTS.metrics },
    ],
    envVariables: serviceEnvironment(p, d.shutdown),
    volumeMounts: [
      { path: '/tmp', volume: tmp },
      { path: SIGNING_KEYS_DIR, volume: d.signingKeys, readOnly: true },
    ],
    // /healthz answers without the database; /readyz also checks the DB and migrations.
    startup: kplus.Probe.fromHttpGet('/healthz', {
      port: SERVICE_PORTS.http,
      periodSeconds: Duration.seconds(2),
      failureThreshold: 30,
      timeoutSeconds: Duration.seconds(2),
    }),
    liveness: kplus.Probe.fromHttpGet('/healthz', {
      port: SERVICE_PORTS.http,
      periodSeconds: Duration.seconds(10),
      failureThreshold: 3,
      timeoutSeconds: Duration.seconds(2),
    }),
    readiness: kplus.Probe.fromHttpGet('/readyz', {
      port: SERVICE_PORTS.http,
      periodSeconds: Duration.seconds(5),
      failureThreshold: 2,
      timeoutSeconds: Duration.seconds(3),
    }),
    resources: containerResources(p.resources),
    securityContext: restrictedSecurityContext(SERVICE_UID),
  });

  // Fields cdk8s-plus does not model: the preStop sleep action (no shell in the
  // distroless image) and zone spread per ReplicaSet (primary and canary apart);
  // and no construct-path label, which would change pods when a construct moves.
  const obj = ApiObject.of(deployment);
  if (p.spotPods)
    obj.addJsonPatch(JsonPatch.add('/spec/template/spec/nodeSelector', AUTOPILOT_SPOT_NODE_SELECTOR.value));
  obj.addJsonPatch(
    JsonPatch.remove(`/spec/template/metadata/labels/${CDK8S_ADDRESS_LABEL}`),
    JsonPatch.add('/spec/template/spec/containers/0/lifecycle', {
      preStop: { sleep: { seconds: d.shutdown.preStopSleepSeconds } },
    }),
    JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        // Not `app` or `app.kubernetes.io/name`: Flagger rewrites those (value walk-service) to
        // walk-service-primary in the primary's constraint but not on its pods, which then match nothing.
        labelSelector: { matchLabels: { [LABEL.component]: COMPONENT.server, [LABEL.partOf]: PART_OF } },
        matchLabelKeys: ['pod-template-hash'],
      },
    ]),
  );
  return deployment;
}
