import { ApiObject, JsonPatch, Testing } from 'cdk8s';
import {
  CLOUD_ARMOR_POLICY_NAME,
  GATEWAY,
  SERVICE_NAME,
  SERVICE_PORTS,
  serviceIdentity,
} from '../../config/names';
import { loadTracingConfig } from '../../app/src/config';
import { loadEnvironments } from '../../config/environments';
import { TELEMETRY_OTLP_ENDPOINT } from '../../config/platform-facts';
import { LABEL } from '../lib/labels';
import { WalkServiceChart } from '../walk-service/chart';
import { MigrationsChart, migrationsJobName } from '../walk-service/migrations-chart';
import { WalkServiceProps } from '../walk-service/props';
import { flaggerGeneratedObjects, selects } from './flagger-generated';
import { canaryProps, rollingProps } from './fixtures';
import { K8sObject, validateObjects } from './schema-validation';
import { containersOf, podSpecOf, workloadProblems } from './workload-rules';

type Obj = K8sObject & { spec: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

function synth(props: WalkServiceProps): { chart: WalkServiceChart; objects: Obj[] } {
  const chart = new WalkServiceChart(Testing.app(), 'walk-service', props);
  return { chart, objects: chart.toJson() as Obj[] };
}
const find = (objects: Obj[], kind: string, name?: string) =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
const one = (objects: Obj[], kind: string, name?: string): Obj => {
  const found = find(objects, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0]!;
};

const variants: [string, WalkServiceProps][] = [
  ['canary (prod-like)', canaryProps()],
  ['rolling (dev-like)', rollingProps()],
  [
    'preview',
    rollingProps({ appEnv: 'preview', identity: serviceIdentity(42), minReplicas: 1, maxReplicas: 1 }),
  ],
];

describe('schema validation (unknown fields rejected)', () => {
  it.each(variants)('every object of the %s chart is valid', (_, props) => {
    const { objects } = synth(props);
    const migrations = Testing.synth(new MigrationsChart(Testing.app(), 'm', props)) as K8sObject[];
    expect(validateObjects([...objects, ...migrations])).toEqual([]);
  });

  it('catches an unknown field, in a core kind and in a CRD', () => {
    const { objects } = synth(canaryProps());
    const deployment = structuredClone(one(objects, 'Deployment'));
    deployment.spec.template.spec.containers[0].livenessProbee = {};
    const canary = structuredClone(one(objects, 'Canary'));
    canary.spec.analysis.stepWeightz = [10];
    const errors = validateObjects([deployment, canary]).join('\n');
    expect(errors).toMatch(/Deployment\/walk-service: .*livenessProbee/);
    expect(errors).toMatch(/Canary\/walk-service: .*additional properties.*stepWeightz/);
  });
});

describe('pod security and probes', () => {
  it.each(variants)('every workload of the %s chart is restricted and probed', (_, props) => {
    const { objects } = synth(props);
    const migrations = Testing.synth(new MigrationsChart(Testing.app(), 'm', props)) as Obj[];
    const workloads = [...objects, ...migrations].filter((o) => ['Deployment', 'Job'].includes(o.kind));
    expect(workloads.map((w) => w.kind).sort()).toEqual(['Deployment', 'Job']);
    for (const w of workloads) expect(workloadProblems(w)).toEqual([]);
  });

  it('runs the Cloud SQL Auth Proxy without a readiness probe, exiting 0 on SIGTERM', () => {
    const { objects } = synth(canaryProps());
    const migrations = Testing.synth(new MigrationsChart(Testing.app(), 'm', canaryProps())) as Obj[];
    for (const w of [one(objects, 'Deployment'), migrations[0]!]) {
      const proxy = podSpecOf(w).initContainers.find((c: { name: string }) => c.name === 'cloud-sql-proxy');
      expect([w.kind, proxy.restartPolicy, proxy.readinessProbe, proxy.startupProbe?.httpGet.path]).toEqual([
        w.kind,
        'Always',
        undefined,
        '/startup',
      ]);
      expect(proxy.args).toContain('--exit-zero-on-sigterm');
      // The rule the workload checks apply: a sidecar with a readiness probe is rejected.
      const withReadiness = structuredClone(w);
      podSpecOf(withReadiness).initContainers[0].readinessProbe = proxy.startupProbe;
      expect(workloadProblems(withReadiness)).toEqual([
        `${w.kind}/${w.metadata!.name}: container cloud-sql-proxy: a sidecar must not have a readinessProbe`,
      ]);
    }
  });

  it('grace period covers the preStop sleep and the SHUTDOWN_TIMEOUT_MS the container gets', () => {
    const { objects } = synth(canaryProps());
    const pod = podSpecOf(one(objects, 'Deployment'));
    const app = pod.containers.find((c: { name: string }) => c.name === SERVICE_NAME);
    const shutdownMs = Number(app.env.find((e: { name: string }) => e.name === 'SHUTDOWN_TIMEOUT_MS').value);
    const preStop = app.lifecycle.preStop.sleep.seconds;
    expect(shutdownMs).toBe(25_000);
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStop + shutdownMs / 1000);
  });

  it('the load balancer gives up on a request before the service stops waiting for it', () => {
    const { objects } = synth(rollingProps());
    const policy = one(objects, 'GCPBackendPolicy');
    const pod = podSpecOf(one(objects, 'Deployment'));
    const preStop = pod.containers[0].lifecycle.preStop.sleep.seconds;
    expect(policy.spec.default.timeoutSec).toBeLessThan(25);
    expect(policy.spec.default.connectionDraining.drainingTimeoutSec).toBeLessThanOrEqual(
      pod.terminationGracePeriodSeconds - preStop,
    );
  });
});

describe('rolling-update environment', () => {
  const { objects } = synth(rollingProps());
  const deployment = one(objects, 'Deployment');
  const podLabels = deployment.spec.template.metadata.labels;

  it('routes the shared Gateway to the Service, which selects the pods on a container port', () => {
    const route = one(objects, 'HTTPRoute');
    expect(route.spec.parentRefs).toEqual([
      expect.objectContaining({ name: GATEWAY.name, namespace: GATEWAY.namespace }),
    ]);
    expect(route.spec.hostnames).toEqual(['api.dev.tekutoko.example']);
    const [backend] = route.spec.rules[0].backendRefs;
    const service = one(objects, 'Service', backend.name);
    const servicePort = service.spec.ports.find((p: { port: number }) => p.port === backend.port);
    expect(servicePort).toBeDefined();
    expect(selects(service.spec.selector, podLabels)).toBe(true);
    const containerPorts = podSpecOf(deployment).containers[0].ports.map(
      (p: { containerPort: number }) => p.containerPort,
    );
    expect(containerPorts).toContain(servicePort.targetPort);
  });

  it('attaches the health check and Cloud Armor policies to that Service', () => {
    const service = one(objects, 'Service');
    expect(one(objects, 'HealthCheckPolicy').spec.targetRef).toEqual({
      group: '',
      kind: 'Service',
      name: service.metadata!.name,
    });
    expect(one(objects, 'HealthCheckPolicy').spec.default.config.httpHealthCheck.requestPath).toBe('/readyz');
    const backend = one(objects, 'GCPBackendPolicy');
    expect(backend.spec.targetRef.name).toBe(service.metadata!.name);
    expect(backend.spec.default.securityPolicy).toBe(CLOUD_ARMOR_POLICY_NAME);
  });

  it('has no Canary and selects its own pods everywhere', () => {
    expect(find(objects, 'Canary')).toHaveLength(0);
    expect(selects(one(objects, 'PodDisruptionBudget').spec.selector.matchLabels, podLabels)).toBe(true);
    expect(selects(one(objects, 'PodMonitoring').spec.selector.matchLabels, podLabels)).toBe(true);
  });

  it('leaves replicas to the HPA', () => {
    expect(deployment.spec.replicas).toBeUndefined();
    expect(one(objects, 'HorizontalPodAutoscaler').spec).toMatchObject({ minReplicas: 1, maxReplicas: 2 });
  });
});

describe('canary environment, checked against the objects Flagger generates', () => {
  const { objects } = synth(canaryProps());
  const deployment = one(objects, 'Deployment');
  const canary = one(objects, 'Canary');
  const generated = flaggerGeneratedObjects(canary as never, deployment as never);

  it('defines neither the HTTPRoute nor the Services Flagger owns', () => {
    expect(find(objects, 'HTTPRoute')).toHaveLength(0);
    expect(find(objects, 'Service')).toHaveLength(0);
  });

  it('targets its Deployment and HPA, and attaches to the shared Gateway', () => {
    expect(canary.spec.targetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata!.name,
    });
    const hpa = one(objects, 'HorizontalPodAutoscaler');
    expect(canary.spec.autoscalerRef.name).toBe(hpa.metadata!.name);
    expect(hpa.spec.scaleTargetRef.name).toBe(deployment.metadata!.name);
    expect(canary.spec.service.gatewayRefs).toEqual([{ name: GATEWAY.name, namespace: GATEWAY.namespace }]);
    expect(canary.spec.service.targetPort).toBe(SERVICE_PORTS.http);
  });

  it('steps 10 → 50 → 100 % with a pre-rollout smoke test against the canary Service', () => {
    expect(canary.spec.analysis.stepWeights).toEqual([10, 50]);
    const smoke = canary.spec.analysis.webhooks.find((w: { type: string }) => w.type === 'pre-rollout');
    const canaryService = generated.services.find((s) => s.name.endsWith('-canary'))!;
    expect(smoke.metadata.cmd).toContain(
      `http://${canaryService.name}.walk-service:${canaryService.port}/readyz`,
    );
    expect(canary.spec.analysis.threshold).toBeGreaterThanOrEqual(1);
  });

  it('points the health check and backend policies at the HTTPRoute backends Flagger generates', () => {
    const backends = generated.httpRoute.spec.rules[0]!.backendRefs.map((b) => b.name).sort();
    const targets = (kind: string) =>
      find(objects, kind)
        .map((p) => p.spec.targetRef.name)
        .sort();
    expect(targets('HealthCheckPolicy')).toEqual(backends);
    expect(targets('GCPBackendPolicy')).toEqual(backends);
    for (const s of generated.services) {
      const labels = s.name.endsWith('-canary') ? generated.canaryPodLabels : generated.primaryPodLabels;
      expect(selects(s.selector, labels)).toBe(true);
    }
  });

  it('keeps the PDB on the primary pods and scrapes, spreads and polices primary and canary pods', () => {
    const pdb = one(objects, 'PodDisruptionBudget').spec.selector.matchLabels;
    expect(selects(pdb, generated.primaryPodLabels)).toBe(true);
    expect(selects(pdb, generated.canaryPodLabels)).toBe(false);
    const both = [generated.primaryPodLabels, generated.canaryPodLabels];
    const monitoring = one(objects, 'PodMonitoring').spec;
    const policy = one(objects, 'NetworkPolicy', SERVICE_NAME).spec;
    for (const labels of both) {
      expect(selects(monitoring.selector.matchLabels, labels)).toBe(true);
      expect(selects(policy.podSelector.matchLabels, labels)).toBe(true);
    }
    // Each Deployment's zone spread, after Flagger's rewrite of the primary, selects its own pods.
    const spread = (spec: unknown) =>
      (spec as { topologySpreadConstraints: any[] }).topologySpreadConstraints[0]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const canarySpread = spread(podSpecOf(deployment));
    const primarySpread = spread(generated.primaryDeployment.spec.template.spec);
    expect(selects(canarySpread.labelSelector.matchLabels, generated.canaryPodLabels)).toBe(true);
    expect(selects(primarySpread.labelSelector.matchLabels, generated.primaryPodLabels)).toBe(true);
    expect([canarySpread.matchLabelKeys, primarySpread.matchLabelKeys]).toEqual([
      ['pod-template-hash'],
      ['pod-template-hash'],
    ]);
  });

  it("models Flagger's rewrite of spread selectors: the old selector matched no primary pod", () => {
    const old = structuredClone(deployment);
    podSpecOf(old).topologySpreadConstraints[0].labelSelector.matchLabels = {
      [LABEL.name]: SERVICE_NAME,
      [LABEL.component]: 'server',
    };
    const rewritten = flaggerGeneratedObjects(canary as never, old as never).primaryDeployment.spec.template
      .spec as {
      topologySpreadConstraints: { labelSelector: { matchLabels: Record<string, string> } }[];
    };
    const selector = rewritten.topologySpreadConstraints[0]!.labelSelector.matchLabels;
    expect(selector[LABEL.name]).toBe(`${SERVICE_NAME}-primary`);
    expect(selects(selector, generated.primaryPodLabels)).toBe(false);
  });

  it('labels canary series so the MetricTemplates can select {{ target }}', () => {
    const monitoring = one(objects, 'PodMonitoring').spec;
    expect(monitoring.targetLabels.fromPod).toEqual([{ from: LABEL.flaggerSelector, to: 'app' }]);
    expect(generated.canaryPodLabels[LABEL.flaggerSelector]).toBe(canary.spec.targetRef.name);
    for (const t of find(objects, 'MetricTemplate')) expect(t.spec.query).toContain('app="{{ target }}"');
  });
});

describe('network policies', () => {
  const { objects } = synth(canaryProps());
  it('deny by default and allow only the listed paths', () => {
    const deny = one(objects, 'NetworkPolicy', 'default-deny').spec;
    expect(deny).toEqual({ podSelector: {}, policyTypes: ['Egress', 'Ingress'] });
    const policy = one(objects, 'NetworkPolicy', SERVICE_NAME).spec;
    const egressPorts = policy.egress.flatMap((r: { ports: { port: number }[] }) =>
      r.ports.map((p) => p.port),
    );
    expect([...new Set(egressPorts)].sort()).toEqual([3307, 443, 53, 80, 988].sort());
    const cidrs = policy.ingress.flatMap((r: { from: { ipBlock?: { cidr: string } }[] }) =>
      r.from.flatMap((f) => (f.ipBlock ? [f.ipBlock.cidr] : [])),
    );
    expect(cidrs).toEqual(['35.191.0.0/16', '130.211.0.0/22']);
  });
});

describe('checks', () => {
  it('rejects a tag instead of a digest, naming the prop', () => {
    expect(() => synth(canaryProps({ imageDigest: 'latest' }))).toThrow(
      /imageDigest must be sha256:<64 hex>, got "latest"/,
    );
  });

  it('rejects a canary without an HPA', () => {
    expect(() => synth(canaryProps({ minReplicas: 2, maxReplicas: 2 }))).toThrow(/canary needs an HPA/);
  });

  it('rejects a grace period shorter than preStop + shutdown', () => {
    expect(() =>
      synth(
        canaryProps({
          shutdown: {
            preStopSleepSeconds: 10,
            shutdownTimeoutMs: 25_000,
            terminationGracePeriodSeconds: 30,
            backendTimeoutSeconds: 20,
            drainingTimeoutSeconds: 20,
          },
        }),
      ),
    ).toThrow(
      /terminationGracePeriodSeconds \(30\) must be >= preStopSleepSeconds \(10\) \+ shutdownTimeoutMs\/1000 \(25\)/,
    );
  });

  it('fails synth when something later sets replicas on an autoscaled Deployment', () => {
    const { chart } = synth(canaryProps());
    ApiObject.of(chart.deployment).addJsonPatch(JsonPatch.add('/spec/replicas', 3));
    expect(chart.node.validate()).toEqual([expect.stringMatching(/replicas although an HPA/)]);
  });
});

describe('migrations Job', () => {
  const props = canaryProps();
  const [job] = Testing.synth(new MigrationsChart(Testing.app(), 'm', props)) as Obj[];
  const { objects } = synth(props);
  const server = podSpecOf(one(objects, 'Deployment'));

  it('runs the same image as the service with the same identity and database', () => {
    const pod = podSpecOf(job!);
    const migrate = pod.containers[0];
    expect(job!.metadata!.name).toBe(migrationsJobName(props.imageDigest));
    expect(migrate.image).toBe(server.containers[0].image);
    expect(migrate.args).toEqual(['dist/app/db/migrate-cli.js']);
    expect(pod.serviceAccountName).toBe(server.serviceAccountName);
    const env = (c: { env: { name: string; value: string }[] }, n: string) =>
      c.env.find((e) => e.name === n)?.value;
    expect(env(migrate, 'DATABASE_URL')).toBe(env(server.containers[0], 'DATABASE_URL'));
    expect(pod.initContainers).toEqual(server.initContainers);
    expect(containersOf(job!).every((c) => c.image.length > 0)).toBe(true);
  });

  it('is renamed by a new image so each release migrates once', () => {
    expect(migrationsJobName(`sha256:${'1'.repeat(64)}`)).toBe('walk-service-migrate-111111111111');
  });
});

describe('tracing environment', () => {
  type Env = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } };
  const envOf = (props: WalkServiceProps): Env[] =>
    podSpecOf(one(synth(props).objects, 'Deployment')).containers.find(
      (c: { name: string }) => c.name === SERVICE_NAME,
    ).env;

  it('is off (no OTEL_ variables) unless a sample ratio is set', () => {
    expect(envOf(canaryProps()).filter((e) => e.name.startsWith('OTEL_'))).toEqual([]);
    expect(
      envOf({ ...canaryProps(), traceSampleRatio: 0 }).filter((e) => e.name.startsWith('OTEL_')),
    ).toEqual([]);
  });

  it('sends spans to the Telemetry API as the pod, with the ratio and resource attributes, in a form the service accepts', () => {
    const props = { ...canaryProps(), traceSampleRatio: 0.05 };
    const env = envOf(props);
    const values = Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
    expect(values).toMatchObject({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: TELEMETRY_OTLP_ENDPOINT.value,
      OTEL_EXPORTER_OTLP_AUTH: 'google',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_TRACES_SAMPLER_ARG: '0.05',
      SERVICE_VERSION: props.imageDigest,
    });
    expect(env.filter((e) => e.valueFrom).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath])).toEqual(
      expect.arrayContaining([
        ['POD_NAME', 'metadata.name'],
        ['POD_NAMESPACE', 'metadata.namespace'],
      ]),
    );
    // the service's own config parses what the chart sets
    expect(
      loadTracingConfig({ ...values, APP_ENV: props.appEnv, POD_NAME: 'p', POD_NAMESPACE: 'n' }),
    ).toMatchObject({
      exporter: 'otlp',
      otlpEndpoint: 'https://telemetry.googleapis.com',
      otlpAuth: 'google',
      otlpProtocol: 'http/protobuf',
      sampleRatio: 0.05,
    });
  });

  it('rejects a ratio outside 0..1', () => {
    expect(() => synth({ ...canaryProps(), traceSampleRatio: 1.5 })).toThrow(
      /traceSampleRatio must be in 0\.\.1, got 1\.5/,
    );
  });

  it('samples everything in dev, less in staging, least in prod (config/environments.ts)', () => {
    const { environments } = loadEnvironments();
    const ratio = (e: 'dev' | 'staging' | 'prod') => environments[e].service.traceSampleRatio;
    expect(ratio('dev')).toBe(1);
    expect(ratio('staging')).toBeLessThan(ratio('dev'));
    expect(ratio('prod')).toBeLessThan(ratio('staging'));
    expect(ratio('prod')).toBeGreaterThan(0);
  });
});
