/* eslint-disable @typescript-eslint/no-explicit-any -- Terraform JSON and manifests are untyped data */
/**
 * Cross-layer checks: what the Kubernetes side (cluster, app, preview stacks)
 * refers to is exactly what the platform and bootstrap stacks create, read
 * from the same synthesized Terraform JSON `cdktf deploy` would apply.
 */
import { GATEWAY_EDGE, MONITORING } from '../../charts/lib/cluster-addons';
import {
  ARTIFACT_REPOSITORY_ID,
  PREVIEW_ARTIFACT_REPOSITORY_ID,
  SERVICE_NAME,
  SHARE_IMAGE_WORKER_IDENTITY,
  stackName,
} from '../../config/names';
import {
  MIGRATIONS_CONNECTIONS,
  RESERVED_CONNECTIONS,
  maxConcurrentPreviews,
  previewConnections,
  serviceConnections,
} from '../../config/connection-budget';
import { loadEnvironments } from '../../config/environments';
import { Block, StackJson, only, resources, synthesizeAll } from './synthesized';

const s = synthesizeAll();
const ENVS = ['dev', 'staging', 'prod'] as const;

function manifests(stack: StackJson): any[] {
  return resources(stack, 'kubernetes_manifest').map((m) => m.manifest);
}
function manifest(stack: StackJson, kind: string, name?: string): any {
  const found = manifests(stack).filter(
    (m) => m.kind === kind && (name === undefined || m.metadata.name === name),
  );
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, found ${found.length}`);
  return found[0];
}
/** The resource a `${type.id.attr}` reference points at. */
function referenced(stack: StackJson, ref: string): Block {
  const m = /^\$\{([a-z0-9_]+)\.([^.}]+)\.[a-z_]+\}$/.exec(ref);
  if (!m) throw new Error(`not a single reference: ${ref}`);
  const block = stack.resource?.[m[1]!]?.[m[2]!];
  if (!block) throw new Error(`${ref} points at nothing`);
  return block;
}
function ipv4(a: string): number {
  return a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}
function cidrContains(cidr: string, address: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return ipv4(address) >= ipv4(base!) && ipv4(address) < ipv4(base!) + size;
}
function container(deployment: any, name: string): any {
  return [
    ...(deployment.spec.template.spec.initContainers ?? []),
    ...deployment.spec.template.spec.containers,
  ].find((c: any) => c.name === name);
}
const env = (c: any, name: string) => c.env.find((e: any) => e.name === name)?.value as string;

/** Each walk-service deployment with the stack that creates its Google side. */
const targets = [
  ...ENVS.map((e) => ({
    label: e,
    app: stackName.app(e),
    gcp: stackName.platform(e),
    platform: stackName.platform(e),
  })),
  {
    label: 'preview-pr-42',
    app: stackName.preview(42),
    gcp: stackName.preview(42),
    platform: stackName.platform('dev'),
  },
];

describe.each(targets)('$label: walk-service ↔ platform', ({ app, gcp, platform }) => {
  const appStack = s.stacks[app]!;
  const gcpStack = s.stacks[gcp]!;
  const platformStack = s.stacks[platform]!;
  const deployment = manifest(appStack, 'Deployment', SERVICE_NAME);
  const pod = deployment.spec.template.spec;

  it('runs as the KSA that the Google service account is bound to for Workload Identity', () => {
    const ksa = manifest(appStack, 'ServiceAccount', pod.serviceAccountName);
    const email: string = ksa.metadata.annotations['iam.gke.io/gcp-service-account'];
    const [accountId, domain] = email.split('@');
    const project = domain!.replace('.iam.gserviceaccount.com', '');
    const bindings = resources(gcpStack, 'google_service_account_iam_member').filter(
      (b) =>
        b.role === 'roles/iam.workloadIdentityUser' &&
        referenced(gcpStack, b.service_account_id).account_id === accountId,
    );
    expect(bindings.map((b) => b.member)).toEqual([
      `serviceAccount:${project}.svc.id.goog[${ksa.metadata.namespace}/${ksa.metadata.name}]`,
    ]);
  });

  it('logs in to the database as the IAM user and database the platform creates, on its instance', () => {
    const url = new URL(env(container(deployment, SERVICE_NAME), 'DATABASE_URL'));
    const user = decodeURIComponent(url.username);
    const sqlUser = resources(gcpStack, 'google_sql_user').find((u) => u.name === user);
    expect(sqlUser).toMatchObject({ type: 'CLOUD_IAM_SERVICE_ACCOUNT' });
    const database = resources(gcpStack, 'google_sql_database').find((d) => d.name === url.pathname.slice(1));
    expect(database).toBeDefined();
    const ksaEmail = manifest(appStack, 'ServiceAccount', pod.serviceAccountName).metadata.annotations[
      'iam.gke.io/gcp-service-account'
    ];
    expect(`${user}.gserviceaccount.com`).toBe(ksaEmail);
    const instance = resources(platformStack, 'google_sql_database_instance')[0]!;
    const proxyArgs: string[] = container(deployment, 'cloud-sql-proxy').args;
    expect(proxyArgs).toContain(`${instance.project}:${instance.region}:${instance.name}`);
    expect(proxyArgs).toEqual(expect.arrayContaining(['--auto-iam-authn', '--private-ip']));
  });

  it('mounts the signing-key secret its Google service account may read', () => {
    const spc = manifest(appStack, 'SecretProviderClass');
    const secretId = /\/secrets\/([^/]+)\/versions\//.exec(spc.spec.parameters.secrets)![1];
    const secret = resources(platformStack, 'google_secret_manager_secret').find(
      (x) => x.secret_id === secretId,
    );
    expect(secret).toBeDefined();
    const email = manifest(appStack, 'ServiceAccount', pod.serviceAccountName).metadata.annotations[
      'iam.gke.io/gcp-service-account'
    ];
    const grants = resources(gcpStack, 'google_secret_manager_secret_iam_member').filter(
      (g) => g.role === 'roles/secretmanager.secretAccessor' && g.member === `serviceAccount:${email}`,
    );
    expect(grants).toHaveLength(1);
    const volume = pod.volumes.find((v: any) => v.csi);
    expect(volume.csi.volumeAttributes.secretProviderClass).toBe(spc.metadata.name);
    const appContainer = container(deployment, SERVICE_NAME);
    const mount = appContainer.volumeMounts.find((m: any) => m.name === volume.name);
    expect(env(appContainer, 'SESSION_SIGNING_KEYS_FILE').startsWith(`${mount.mountPath}/`)).toBe(true);
  });

  it('attaches the Cloud Armor policy the platform creates', () => {
    const policy = resources(platformStack, 'google_compute_security_policy')[0]!;
    const backendPolicies = manifests(appStack).filter((m) => m.kind === 'GCPBackendPolicy');
    expect(backendPolicies.length).toBeGreaterThan(0);
    for (const b of backendPolicies) expect(b.spec.default.securityPolicy).toBe(policy.name);
  });

  it('allows egress to the Cloud SQL private range and the private Google APIs addresses', () => {
    const policy = manifest(appStack, 'NetworkPolicy', SERVICE_NAME).spec;
    const cidrs = policy.egress.flatMap((r: any) => r.to.flatMap((t: any) => (t.ipBlock ? [t.ipBlock] : [])));
    const psa = resources(platformStack, 'google_compute_global_address').find(
      (a) => a.purpose === 'VPC_PEERING',
    )!;
    expect(cidrs.map((c: any) => c.cidr)).toContain(`${psa.address}/${psa.prefix_length}`);
    const googleApis = resources(platformStack, 'google_dns_record_set').find(
      (r) => r.name === 'private.googleapis.com.',
    )!;
    for (const address of googleApis.rrdatas) {
      expect(cidrs.some((c: any) => cidrContains(c.cidr, address))).toBe(true);
    }
  });
});

describe.each(targets)('$label: share-image worker ↔ platform', ({ app, gcp }) => {
  const appStack = s.stacks[app]!;
  const gcpStack = s.stacks[gcp]!;
  const worker = manifest(appStack, 'Deployment', SHARE_IMAGE_WORKER_IDENTITY.name);
  const pod = worker.spec.template.spec;
  const ksa = manifest(appStack, 'ServiceAccount', pod.serviceAccountName);
  const email: string = ksa.metadata.annotations['iam.gke.io/gcp-service-account'];

  it("runs as a KSA bound to its Google service account, and logs in as that account's IAM user", () => {
    const bindings = resources(gcpStack, 'google_service_account_iam_member').filter(
      (b) =>
        b.role === 'roles/iam.workloadIdentityUser' &&
        referenced(gcpStack, b.service_account_id).account_id === email.split('@')[0],
    );
    expect(bindings.map((b) => b.member)).toEqual([
      expect.stringMatching(new RegExp(`\\[${ksa.metadata.namespace}/${ksa.metadata.name}\\]$`)),
    ]);
    const user = decodeURIComponent(
      new URL(env(container(worker, SHARE_IMAGE_WORKER_IDENTITY.name), 'DATABASE_URL')).username,
    );
    expect(`${user}.gserviceaccount.com`).toBe(email);
    expect(resources(gcpStack, 'google_sql_user').map((u) => u.name)).toContain(user);
  });

  it('writes a bucket the stack creates, where its account holds an object grant', () => {
    const bucket = env(container(worker, SHARE_IMAGE_WORKER_IDENTITY.name), 'WALK_IMAGES_BUCKET');
    const [key] = Object.entries(gcpStack.resource!.google_storage_bucket!).find(
      ([, b]) => b.name === bucket,
    )!;
    const grants = resources(gcpStack, 'google_storage_bucket_iam_member').filter(
      (g) => g.bucket === `\${google_storage_bucket.${key}.name}` && g.member === `serviceAccount:${email}`,
    );
    expect(grants.map((g) => g.role)).toEqual(['roles/storage.objectUser']);
    const service = manifest(appStack, 'Deployment', SERVICE_NAME);
    expect(env(container(service, SERVICE_NAME), 'WALK_IMAGES_BUCKET')).toBe(bucket);
  });
});

describe.each(ENVS)('%s: image ↔ Artifact Registry', (e) => {
  it('pulls walk-service by digest from the registry the bootstrap stack creates', () => {
    const image: string = container(
      manifest(s.stacks[stackName.app(e)]!, 'Deployment', SERVICE_NAME),
      SERVICE_NAME,
    ).image;
    const repo = resources(s.stacks[stackName.bootstrap]!, 'google_artifact_registry_repository').find(
      (r) => r.repository_id === ARTIFACT_REPOSITORY_ID,
    )!;
    expect(repo.format).toBe('DOCKER');
    expect(image).toMatch(
      new RegExp(
        `^${repo.location}-docker\\.pkg\\.dev/${repo.project}/${repo.repository_id}/${SERVICE_NAME}@sha256:[0-9a-f]{64}$`,
      ),
    );
  });
});

describe('preview image ↔ Artifact Registry', () => {
  it('pulls a preview from the previews repository, never the release one', () => {
    const stack = s.stacks[stackName.preview(42)]!;
    const image: string = container(manifest(stack, 'Deployment', SERVICE_NAME), SERVICE_NAME).image;
    const repo = resources(s.stacks[stackName.bootstrap]!, 'google_artifact_registry_repository').find(
      (r) => r.repository_id === PREVIEW_ARTIFACT_REPOSITORY_ID,
    )!;
    expect(image).toMatch(
      new RegExp(
        `^${repo.location}-docker\\.pkg\\.dev/${repo.project}/${PREVIEW_ARTIFACT_REPOSITORY_ID}/${SERVICE_NAME}@`,
      ),
    );
  });
});

describe.each(ENVS)('%s: cluster add-ons ↔ platform', (e) => {
  const cluster = s.stacks[stackName.cluster(e)]!;
  const platform = s.stacks[stackName.platform(e)]!;
  const gke = resources(platform, 'google_container_cluster')[0]!;

  it('needs only features the platform cluster enables (Gateway API, Secret Manager CSI, Managed Prometheus)', () => {
    expect(gke.gateway_api_config.channel).toBe('CHANNEL_STANDARD');
    expect(gke.secret_manager_config.enabled).toBe(true);
    expect(gke.monitoring_config.managed_prometheus.enabled).toBe(true);
    expect(manifest(cluster, 'Gateway').metadata.annotations['networking.gke.io/certmap']).toBeDefined();
  });

  it('serves the walk-service hostname with the Gateway certificate', () => {
    const edge = s.stacks[stackName.platform(e)]!;
    const cert = only(edge, 'google_certificate_manager_certificate');
    expect(cert.managed.domains).toEqual([
      s.config.environments[e].domain,
      `*.${s.config.environments[e].domain}`,
    ]);
    const app = s.stacks[stackName.app(e)]!;
    const canary = manifests(app).find((m) => m.kind === 'Canary');
    const hosts: string[] = canary ? canary.spec.service.hosts : manifest(app, 'HTTPRoute').spec.hostnames;
    for (const host of hosts) {
      const covered = cert.managed.domains.some((d: string) =>
        d.startsWith('*.')
          ? host.endsWith(d.slice(1)) && !host.slice(0, -d.length + 1).includes('.')
          : host === d,
      );
      expect({ host, covered }).toEqual({ host, covered: true });
    }
    expect(
      resources(edge, 'google_compute_global_address').filter((a) => a.name === GATEWAY_EDGE.addressName),
    ).toHaveLength(1);
    expect(only(edge, 'google_certificate_manager_certificate_map').name).toBe(
      GATEWAY_EDGE.certificateMapName,
    );
  });

  it('runs Loki as the identity and on the bucket the platform creates for it', () => {
    const loki = resources(cluster, 'helm_release').find((r) => r.name === 'loki')!;
    const values = JSON.parse(loki.values[0]);
    const email: string = values.serviceAccount.annotations['iam.gke.io/gcp-service-account'];
    const gsa = resources(platform, 'google_service_account').find(
      (a) => `${a.account_id}@${a.project}.iam.gserviceaccount.com` === email,
    );
    expect(gsa).toBeDefined();
    const binding = resources(platform, 'google_service_account_iam_member').find(
      (b) =>
        b.role === 'roles/iam.workloadIdentityUser' && referenced(platform, b.service_account_id) === gsa,
    );
    expect(binding!.member).toBe(
      `serviceAccount:${gsa!.project}.svc.id.goog[${loki.namespace}/${values.serviceAccount.name}]`,
    );
    const bucket = resources(platform, 'google_storage_bucket').find(
      (b) => b.name === values.loki.storage.bucketNames.chunks,
    );
    expect(bucket).toBeDefined();
    expect(loki.namespace).toBe(MONITORING.namespace);
  });
});

describe.each(['staging', 'prod'] as const)('%s: images ↔ Binary Authorization allowlist', (e) => {
  const platform = s.stacks[stackName.platform(e)]!;
  const policy = resources(platform, 'google_binary_authorization_policy')[0]!;
  const patterns: string[] = policy.admission_whitelist_patterns.map((p: any) => p.name_pattern);
  /** Binary Authorization globs: `*` within one path segment, `**` across segments. */
  const matches = (pattern: string, image: string) =>
    new RegExp(
      `^${pattern
        .split('**')
        .map((part) =>
          part
            .split('*')
            .map((x) => x.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
            .join('[^/]*'),
        )
        .join('.*')}$`,
    ).test(image);

  it('admits every image its app and cluster stacks run', () => {
    const images = [stackName.app(e), stackName.cluster(e)].flatMap((name) =>
      manifests(s.stacks[name]!)
        .filter((m) => m.spec?.template?.spec)
        .flatMap((m) => [...(m.spec.template.spec.initContainers ?? []), ...m.spec.template.spec.containers])
        .map((c: any) => c.image as string),
    );
    expect(images.length).toBeGreaterThanOrEqual(4);
    for (const image of images)
      expect({ image, admitted: patterns.some((p) => matches(p, image)) }).toEqual({ image, admitted: true });
  });

  it('refuses a preview image (pull-request code) and one pushed elsewhere in the bootstrap registry', () => {
    const release = manifest(s.stacks[stackName.app(e)]!, 'Deployment', SERVICE_NAME).spec.template.spec
      .containers[0].image as string;
    const preview = release.replace(`/${ARTIFACT_REPOSITORY_ID}/`, `/${PREVIEW_ARTIFACT_REPOSITORY_ID}/`);
    expect(preview).not.toBe(release);
    expect(patterns.some((p) => matches(p, preview))).toBe(false);
    expect(patterns.some((p) => matches(p, release.replace(/\/walk-service@/, '/other@')))).toBe(false);
  });
});

describe.each(ENVS)('%s: connection budget ↔ Cloud SQL max_connections', (e) => {
  const config = loadEnvironments().environments[e];
  const maxConnections = (stack: string) => {
    const instance = resources(s.stacks[stack]!, 'google_sql_database_instance')[0]!;
    return Number(instance.settings.database_flags.find((f: any) => f.name === 'max_connections').value);
  };
  /** What one synthesized app's pods and migrations Job hold at most: every copy at its maximum, plus a rollout's surge. */
  const used = (stack: string) => {
    const app = s.stacks[stack]!;
    const deployment = manifest(app, 'Deployment', SERVICE_NAME);
    const pool = Number(env(container(deployment, SERVICE_NAME), 'DB_POOL_MAX'));
    const hpa = manifests(app).find((m) => m.kind === 'HorizontalPodAutoscaler');
    const maxReplicas: number = hpa ? hpa.spec.maxReplicas : deployment.spec.replicas;
    const copies = manifests(app).some((m) => m.kind === 'Canary') ? 2 : 1;
    const surgePercent = Number(/^(\d+)%$/.exec(deployment.spec.strategy.rollingUpdate.maxSurge)![1]);
    const surge = Math.ceil((maxReplicas * surgePercent) / 100);
    // The grant Job, then the migrations Job (it waits for the grant's Complete): one at a time.
    const jobs = manifests(app)
      .filter((m) => m.kind === 'Job')
      .map((m) => m.metadata.name as string)
      .sort();
    expect(jobs.map((n) => /^(grant|walk-service-migrate)-/.exec(n)?.[1])).toEqual([
      'grant',
      'walk-service-migrate',
    ]);
    // The share-image worker at KEDA's maximum, plus its surge.
    const worker = manifest(app, 'Deployment', SHARE_IMAGE_WORKER_IDENTITY.name);
    const workerPool = Number(env(container(worker, SHARE_IMAGE_WORKER_IDENTITY.name), 'DB_POOL_MAX'));
    const workerMax: number = manifest(app, 'ScaledObject', SHARE_IMAGE_WORKER_IDENTITY.name).spec
      .maxReplicaCount;
    const workerSurge = Number(worker.spec.strategy.rollingUpdate.maxSurge);
    return (
      (copies * maxReplicas + surge) * pool + MIGRATIONS_CONNECTIONS + (workerMax + workerSurge) * workerPool
    );
  };

  it('fits every pool at full scale — primary and canary both at maxReplicas during an analysis, a rollout surge — plus the migrations Job', () => {
    expect(used(stackName.app(e))).toBe(serviceConnections(config));
    expect(used(stackName.app(e))).toBeLessThanOrEqual(
      maxConnections(stackName.platform(e)) - RESERVED_CONNECTIONS,
    );
  });

  if (config.hostsPreviews) {
    it('fits the previews up to their cap beside it, and one more would not fit', () => {
      const cap = maxConcurrentPreviews(config);
      const preview = used(stackName.preview(42));
      expect(preview).toBe(previewConnections(config));
      const budget = maxConnections(stackName.platform(e)) - RESERVED_CONNECTIONS;
      expect(cap).toBeGreaterThanOrEqual(1);
      expect(used(stackName.app(e)) + cap * preview).toBeLessThanOrEqual(budget);
      expect(used(stackName.app(e)) + (cap + 1) * preview).toBeGreaterThan(budget);
    });
  }
});

describe('routes ↔ the shared Gateway', () => {
  const gateway = manifest(s.stacks[stackName.cluster('dev')]!, 'Gateway');
  const https = gateway.spec.listeners.find((l: any) => l.protocol === 'HTTPS');
  const selector: Record<string, string> = https.allowedRoutes.namespaces.selector.matchLabels;
  const admitted = (labels: Record<string, string>) =>
    Object.entries(selector).every(([k, v]) => labels[k] === v);

  it.each([
    ['dev', stackName.cluster('dev'), stackName.app('dev')],
    ['preview', stackName.preview(42), stackName.preview(42)],
  ])('%s: the route attaches to the Gateway from a namespace it admits', (_, nsStack, appStack) => {
    const route = manifest(s.stacks[appStack]!, 'HTTPRoute', SERVICE_NAME);
    expect(route.spec.parentRefs[0]).toMatchObject({
      name: gateway.metadata.name,
      namespace: gateway.metadata.namespace,
    });
    const ns = manifest(s.stacks[nsStack]!, 'Namespace', route.metadata.namespace);
    expect(admitted(ns.metadata.labels)).toBe(true);
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });
});
