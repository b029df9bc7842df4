/* eslint-disable @typescript-eslint/no-explicit-any -- Kubernetes JSON */
/**
 * The share-image worker in every environment's walk-service chart and in a
 * preview (ADR 0261, 0262): its objects pass the real schemas (the KEDA
 * ScaledObject against its vendored CRD) and the workload rules, it runs the
 * worker command with the contract's environment as its own identity, only
 * the managed collectors may reach it, and KEDA scales it on the queue depth.
 */
import { Testing } from 'cdk8s';
import { loadConfig, loadWorkerConfig, loadWorkerGrantConfig } from '../../app/src/config';
import { ENVIRONMENT_NAMES, loadEnvironments } from '../../config/environments';
import {
  iamDatabaseUser,
  previewWalkImagesBucketName,
  SERVICE_PORTS,
  serviceIdentity,
  SHARE_IMAGE_WORKER_IDENTITY,
  walkImagesBucketName,
} from '../../config/names';
import { GKE_MANAGED_PROMETHEUS_NAMESPACE } from '../../config/platform-facts';
import { previewWalkServiceProps, walkServiceProps } from '../environments';
import { prometheusQueryUrl } from '../lib/cluster-addons';
import { WalkServiceChart } from '../walk-service/chart';
import { MigrationsChart } from '../walk-service/migrations-chart';
import { WalkServiceProps } from '../walk-service/props';
import { JOBS_WAITING_METRIC, WORKER_COMMAND, workerPodLabels } from '../walk-service/share-image-worker';
import { K8sObject, validateObjects } from './schema-validation';
import { containersOf, workloadProblems } from './workload-rules';

const config = loadEnvironments();
const DIGEST = `sha256:${'cd'.repeat(32)}`;
const NAME = SHARE_IMAGE_WORKER_IDENTITY.name;

function objectsOf(props: WalkServiceProps): any[] {
  return new WalkServiceChart(Testing.app(), 'walk-service', props).toJson();
}
const one = (objects: any[], kind: string, name: string = NAME) => {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
  return found[0];
};
const envOf = (c: any): Record<string, string> =>
  Object.fromEntries((c.env ?? []).filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));

describe.each(ENVIRONMENT_NAMES)('%s: the share-image worker', (envName) => {
  const env = config.environments[envName];
  const props = walkServiceProps(env, config.bootstrap, DIGEST);
  const objects = objectsOf(props);
  const worker = one(objects, 'Deployment');
  const container = worker.spec.template.spec.containers[0];

  it('passes the Kubernetes and CRD schemas and the workload rules', () => {
    const mine = objects.filter(
      (o) =>
        o.metadata.name === NAME || o.metadata.name === SHARE_IMAGE_WORKER_IDENTITY.kubernetesServiceAccount,
    );
    expect(mine.map((o) => o.kind).sort()).toEqual(
      [
        'Deployment',
        'NetworkPolicy',
        'PodDisruptionBudget',
        'PodMonitoring',
        'ScaledObject',
        'ServiceAccount',
      ].sort(),
    );
    expect(validateObjects(mine as K8sObject[])).toEqual([]);
    expect(workloadProblems(worker)).toEqual([]);
  });

  it('runs the worker command of the released image as its own Workload Identity, with the Auth Proxy', () => {
    expect(container.args).toEqual([WORKER_COMMAND]);
    expect(container.image).toBe(`${props.imageRepository}@${DIGEST}`);
    expect(worker.spec.template.spec.serviceAccountName).toBe(
      SHARE_IMAGE_WORKER_IDENTITY.kubernetesServiceAccount,
    );
    expect(
      one(objects, 'ServiceAccount', SHARE_IMAGE_WORKER_IDENTITY.kubernetesServiceAccount).metadata
        .annotations,
    ).toEqual({
      'iam.gke.io/gcp-service-account': `${SHARE_IMAGE_WORKER_IDENTITY.googleServiceAccountId}@${env.projectId}.iam.gserviceaccount.com`,
    });
    expect(containersOf(worker).map((c) => c.name)).toEqual(['cloud-sql-proxy', NAME]);
    expect(worker.spec.replicas).toBeUndefined();
  });

  it('gets the contract environment: its own database user, the bucket, concurrency, metrics port', () => {
    const e = envOf(container);
    expect(e).toMatchObject({
      APP_ENV: env.name,
      METRICS_PORT: String(SERVICE_PORTS.metrics),
      WALK_IMAGES_BUCKET: walkImagesBucketName(env.projectId),
      SHARE_IMAGE_WORKER_CONCURRENCY: String(env.shareImageWorker.concurrency),
      DB_POOL_MAX: String(env.shareImageWorker.concurrency + 1),
    });
    const user = encodeURIComponent(
      iamDatabaseUser(SHARE_IMAGE_WORKER_IDENTITY.googleServiceAccountId, env.projectId),
    );
    expect(e.DATABASE_URL).toBe(`postgres://${user}@127.0.0.1:5432/walks?sslmode=disable`);
    expect(Number(e.SHUTDOWN_TIMEOUT_MS) / 1000).toBeLessThan(
      worker.spec.template.spec.terminationGracePeriodSeconds,
    );
    expect('OTEL_EXPORTER_OTLP_ENDPOINT' in e).toBe(env.service.traceSampleRatio > 0);
    // The service gets the bucket too.
    expect(
      envOf(one(objects, 'Deployment', 'walk-service').spec.template.spec.containers[0]).WALK_IMAGES_BUCKET,
    ).toBe(walkImagesBucketName(env.projectId));
  });

  it("is an environment the worker's own config loader accepts, with the values it was given", () => {
    const env = Object.fromEntries(
      container.env.map((e: any) => [e.name, e.value ?? `from-${e.valueFrom ? 'field' : '?'}`]),
    );
    const config = loadWorkerConfig(env);
    expect(config).toMatchObject({
      appEnv: props.appEnv,
      deployed: true,
      metricsPort: SERVICE_PORTS.metrics,
    });
    expect(config.storage).toMatchObject({
      bucket: walkImagesBucketName(props.projectId),
      apiEndpoint: undefined,
    });
    expect(config.shareImages.workerConcurrency).toBe(props.shareImageWorker!.concurrency);
    expect(config.dbPoolMax).toBe(props.shareImageWorker!.concurrency + 1);
    // The metrics port is the one the probes and the PodMonitoring use.
    expect(worker.spec.template.spec.containers[0].ports).toEqual([
      { containerPort: SERVICE_PORTS.metrics, name: 'metrics' },
    ]);
  });

  it('gives walk-service an environment its config loader accepts deployed: the bucket it signs URLs for', () => {
    const service = one(objects, 'Deployment', 'walk-service').spec.template.spec.containers[0];
    const env = Object.fromEntries(service.env.map((e: any) => [e.name, e.value ?? 'from-field']));
    expect(loadConfig(env).storage?.bucket).toBe(walkImagesBucketName(props.projectId));
    const { WALK_IMAGES_BUCKET: _, ...without } = env;
    expect(() => loadConfig(without)).toThrow(/WALK_IMAGES_BUCKET/);
  });

  it('probes /healthz and /readyz on METRICS_PORT and sizes from config', () => {
    for (const [probe, path] of [
      ['startupProbe', '/healthz'],
      ['livenessProbe', '/healthz'],
      ['readinessProbe', '/readyz'],
    ])
      expect(container[probe!].httpGet).toEqual({ path, port: SERVICE_PORTS.metrics, scheme: 'HTTP' });
    expect(container.resources.requests).toEqual({
      cpu: `${env.shareImageWorker.cpuMillis}m`,
      memory: `${env.shareImageWorker.memoryMiB}Mi`,
    });
    expect(worker.spec.template.spec.nodeSelector !== undefined).toBe(env.gke.spotPods);
  });

  it('admits only the managed collectors, on the metrics port', () => {
    const policy = one(objects, 'NetworkPolicy');
    expect(policy.spec.podSelector.matchLabels).toEqual(workerPodLabels());
    expect(policy.spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': GKE_MANAGED_PROMETHEUS_NAMESPACE.value },
            },
            podSelector: {},
          },
        ],
        ports: [{ port: SERVICE_PORTS.metrics, protocol: 'TCP' }],
      },
    ]);
    const ports = policy.spec.egress.flatMap((r: any) => r.ports.map((p: any) => p.port)).sort();
    expect([...new Set(ports)]).toEqual([443, 53, 80, 988, 3307].sort());
  });

  it('lets KEDA scale it on the waiting jobs, through the in-cluster query frontend', () => {
    const so = one(objects, 'ScaledObject');
    expect(so.spec).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: NAME },
      minReplicaCount: env.shareImageWorker.minReplicas,
      maxReplicaCount: env.shareImageWorker.maxReplicas,
      cooldownPeriod: env.shareImageWorker.cooldownSeconds,
    });
    const [trigger] = so.spec.triggers;
    expect(trigger.type).toBe('prometheus');
    expect(trigger.metadata).toEqual({
      serverAddress: prometheusQueryUrl(),
      query: `max(${JOBS_WAITING_METRIC}{namespace="${props.identity.namespace}"}) or vector(0)`,
      threshold: String(env.shareImageWorker.jobsPerReplica),
      activationThreshold: '0',
    });
    // The PodMonitoring scrapes the worker's own metrics.
    expect(one(objects, 'PodMonitoring').spec.selector.matchLabels).toEqual(workerPodLabels());
  });

  it("hands the migrations Job the worker's database user to grant, as the grant step reads it", () => {
    const job = new MigrationsChart(Testing.app(), 'm', props).toJson().find((o: any) => o.kind === 'Job');
    const jobEnv = envOf(job.spec.template.spec.containers.at(-1));
    expect(jobEnv.WORKER_DATABASE_USER).toBe(
      iamDatabaseUser(SHARE_IMAGE_WORKER_IDENTITY.googleServiceAccountId, env.projectId),
    );
    expect(loadWorkerGrantConfig(jobEnv).workerDatabaseUser).toBe(jobEnv.WORKER_DATABASE_USER);
  });
});

describe('a preview', () => {
  const host = config.environments.dev;
  const props = previewWalkServiceProps(host, config.bootstrap, {
    pr: 42,
    imageDigest: DIGEST,
    expiresAt: new Date('2030-01-01T00:00:00Z'),
  });
  const objects = objectsOf(props);

  it("runs the worker at zero until work waits, as the preview's identity, on its own bucket", () => {
    const worker = one(objects, 'Deployment');
    expect(worker.spec.template.spec.serviceAccountName).toBe(serviceIdentity(42).kubernetesServiceAccount);
    expect(objects.filter((o) => o.kind === 'ServiceAccount')).toHaveLength(1);
    expect(one(objects, 'ScaledObject').spec).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 1 });
    const e = envOf(worker.spec.template.spec.containers[0]);
    expect(e.WALK_IMAGES_BUCKET).toBe(previewWalkImagesBucketName(host.projectId, 42));
    expect(e.DATABASE_URL).toContain(
      encodeURIComponent(iamDatabaseUser(serviceIdentity(42).googleServiceAccountId, host.projectId)),
    );
    expect(validateObjects(objects)).toEqual([]);
  });

  it('passes no WORKER_DATABASE_USER: the worker is the service user there', () => {
    const job = new MigrationsChart(Testing.app(), 'm', props).toJson().find((o: any) => o.kind === 'Job');
    expect(envOf(job.spec.template.spec.containers.at(-1)).WORKER_DATABASE_USER).toBeUndefined();
  });
});
