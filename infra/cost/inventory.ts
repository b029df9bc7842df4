/**
 * What one environment bills for, read from its synthesized Terraform JSON
 * (`<env>-platform`, `<env>-cluster`, `<env>-app`): the estimate prices what
 * is deployed, not a parallel table of assumptions.
 */
import { ContainerRequests, helmWorkloads, Workload } from './helm-workloads';
import { cpuMillis, memoryMiB } from './quantities';

/* eslint-disable @typescript-eslint/no-explicit-any -- Terraform JSON and manifests are untyped data */
type Block = Record<string, any>;
export interface StackJson {
  readonly resource?: Record<string, Record<string, Block>>;
}

export interface SqlInstance {
  readonly name: string;
  readonly tier: string;
  readonly regional: boolean;
  readonly diskGb: number;
  readonly running: boolean;
  readonly retainedBackups: number;
  readonly pitr: boolean;
  readonly logRetentionDays: number;
}

export interface ScrapeTarget {
  readonly name: string;
  readonly intervalSeconds: number;
  /** Pods the target selects, at the workload's minimum. */
  readonly podsMin: number;
  /** Pods the target selects at the workload's maximum (a worker scaled to zero has podsMin 0). */
  readonly podsMax: number;
  /** Metric names a `keep` metricRelabeling lets through (plus the synthetic `up`); undefined: all. */
  readonly keptMetrics?: number;
}

/** Names a `keep` rule on `__name__` lets through, when its regex is a plain alternation of names. */
function keptMetrics(endpoint: Block | undefined): number | undefined {
  const rule = ((endpoint?.metricRelabeling ?? []) as Block[]).find(
    (r) => r.action === 'keep' && JSON.stringify(r.sourceLabels) === '["__name__"]',
  );
  const regex = rule?.regex as string | undefined;
  return regex && /^[\w:|]+$/.test(regex) ? regex.split('|').length + 1 : undefined;
}

export interface Inventory {
  readonly autopilotClusters: number;
  readonly sqlInstances: readonly SqlInstance[];
  readonly natGateways: number;
  /** Reserved global/regional external addresses; `inUse` when a Gateway names it. */
  readonly addresses: readonly { name: string; inUse: boolean }[];
  /** One forwarding rule per protocol a global external Gateway listens on. */
  readonly forwardingRules: number;
  readonly securityPolicies: readonly { name: string; rules: number }[];
  readonly buckets: readonly {
    name: string;
    deleteAfterDays?: number;
    /** Lifecycle deletes under these prefixes after the days. */
    deleteUnderPrefixAfterDays?: Readonly<Record<string, number>>;
    /** Days deleted objects stay (and are billed); Google's default 7 when the stack sets none. */
    softDeleteDays: number;
  }[];
  readonly dnsZones: number;
  readonly secrets: number;
  readonly workloads: readonly Workload[];
  readonly scrapeTargets: readonly ScrapeTarget[];
}

const blocks = (stack: StackJson | undefined, type: string): Block[] =>
  Object.values(stack?.resource?.[type] ?? {});

const addressRef = /^\$\{google_compute_(?:global_)?address\.([\w-]+)\.(?:name|address)\}$/;

function containerRequests(c: Block): ContainerRequests {
  const r = (c.resources?.requests ?? {}) as { cpu?: string; memory?: string };
  return {
    name: String(c.name),
    ...(r.cpu !== undefined ? { cpuMillis: cpuMillis(r.cpu) } : {}),
    ...(r.memory !== undefined ? { memoryMiB: memoryMiB(r.memory) } : {}),
  };
}

/** Deployments and StatefulSets among the manifests, with replicas from an HPA that targets them. */
function manifestWorkloads(stackName: string, manifests: Block[]): Workload[] {
  // A KEDA ScaledObject creates the HPA itself: its replica range is the ScaledObject's.
  const hpas = [
    ...manifests.filter((m) => m.kind === 'HorizontalPodAutoscaler'),
    ...manifests
      .filter((m) => m.kind === 'ScaledObject')
      .map((m) => ({
        metadata: m.metadata,
        spec: {
          scaleTargetRef: {
            kind: m.spec.scaleTargetRef.kind ?? 'Deployment',
            name: m.spec.scaleTargetRef.name,
          },
          minReplicas: m.spec.minReplicaCount ?? 0,
          maxReplicas: m.spec.maxReplicaCount ?? 100,
        },
      })),
  ];
  return manifests
    .filter((m) => m.kind === 'Deployment' || m.kind === 'StatefulSet')
    .map((m) => {
      const hpa = hpas.find(
        (h) =>
          h.metadata?.namespace === m.metadata?.namespace &&
          h.spec?.scaleTargetRef?.kind === m.kind &&
          h.spec?.scaleTargetRef?.name === m.metadata?.name,
      );
      const fixed = Number(m.spec?.replicas ?? 1);
      const pod = m.spec?.template?.spec ?? {};
      // Native sidecars (init containers that keep running) are billed like containers.
      const sidecars = (pod.initContainers ?? []).filter((c: Block) => c.restartPolicy === 'Always');
      return {
        source: `manifest:${stackName}`,
        namespace: String(m.metadata?.namespace ?? 'default'),
        name: String(m.metadata?.name),
        replicasMin: hpa ? Number(hpa.spec.minReplicas ?? 1) : fixed,
        replicasMax: hpa ? Number(hpa.spec.maxReplicas) : fixed,
        containers: [...(pod.containers ?? []), ...sidecars].map(containerRequests),
        initContainers: (pod.initContainers ?? [])
          .filter((c: Block) => c.restartPolicy !== 'Always')
          .map(containerRequests),
        spot: pod.nodeSelector?.['cloud.google.com/gke-spot'] === 'true',
        volumeGib: 0,
        podLabels: (m.spec?.template?.metadata?.labels ?? {}) as Record<string, string>,
      };
    });
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) {
  return !!selector && Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function intervalSeconds(interval: string | undefined): number {
  const m = /^(\d+)(s|m)$/.exec(interval ?? '60s');
  if (!m) throw new Error(`unsupported scrape interval ${interval}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}

/** The billable inventory of one environment's stacks (absent stacks are simply not there). */
export function inventory(stacks: Readonly<Record<string, StackJson | undefined>>): Inventory {
  const all = Object.entries(stacks).filter((e): e is [string, StackJson] => e[1] !== undefined);
  const every = (type: string) => all.flatMap(([, s]) => blocks(s, type));
  const manifestsOf = (s: StackJson) => blocks(s, 'kubernetes_manifest').map((r) => r.manifest as Block);
  const manifests = all.flatMap(([, s]) => manifestsOf(s));

  const gateways = manifests.filter(
    (m) => m.kind === 'Gateway' && /global-external/.test(m.spec?.gatewayClassName),
  );
  const namedAddresses = new Set(
    gateways.flatMap((g) =>
      (g.spec.addresses ?? []).map((a: Block) => addressRef.exec(String(a.value))?.[1] ?? String(a.value)),
    ),
  );
  // A Gateway names its address by Terraform reference (same stack) or by name (another stack).
  const addresses = all.flatMap(([, s]) =>
    ['google_compute_global_address', 'google_compute_address'].flatMap((type) =>
      Object.entries(s.resource?.[type] ?? {})
        .filter(([, a]) => (a.address_type ?? 'EXTERNAL') === 'EXTERNAL')
        .map(([key, a]) => ({
          name: String(a.name),
          inUse: namedAddresses.has(key) || namedAddresses.has(String(a.name)),
        })),
    ),
  );

  const workloads = [
    ...all.flatMap(([name, s]) => manifestWorkloads(name, manifestsOf(s))),
    ...every('helm_release').flatMap((r) =>
      helmWorkloads({
        name: String(r.name),
        namespace: String(r.namespace ?? 'default'),
        chart: String(r.chart),
        version: String(r.version),
        values: Object.assign({}, ...((r.values ?? []) as string[]).map((v) => JSON.parse(v) as Block)),
      }),
    ),
  ];
  const scrapeTargets = manifests
    .filter((m) => m.kind === 'PodMonitoring')
    .map((pm) => ({
      name: `${pm.metadata?.namespace}/${pm.metadata?.name}`,
      intervalSeconds: intervalSeconds(pm.spec?.endpoints?.[0]?.interval),
      keptMetrics: keptMetrics(pm.spec?.endpoints?.[0]),
      ...(() => {
        const selected = workloads.filter(
          (w) =>
            w.namespace === pm.metadata?.namespace && matches(pm.spec?.selector?.matchLabels, w.podLabels),
        );
        return {
          podsMin: selected.reduce((n, w) => n + w.replicasMin, 0),
          podsMax: selected.reduce((n, w) => n + w.replicasMax, 0),
        };
      })(),
    }));

  return {
    autopilotClusters: every('google_container_cluster').filter((c) => c.enable_autopilot === true).length,
    sqlInstances: every('google_sql_database_instance').map((i) => {
      const s = i.settings ?? {};
      const backups = s.backup_configuration ?? {};
      return {
        name: String(i.name),
        tier: String(s.tier),
        regional: s.availability_type === 'REGIONAL',
        diskGb: Number(s.disk_size ?? 10),
        running: (s.activation_policy ?? 'ALWAYS') === 'ALWAYS',
        retainedBackups: backups.enabled
          ? Number(backups.backup_retention_settings?.retained_backups ?? 7)
          : 0,
        pitr: backups.point_in_time_recovery_enabled === true,
        logRetentionDays: Number(backups.transaction_log_retention_days ?? 7),
      };
    }),
    natGateways: every('google_compute_router_nat').length,
    addresses,
    forwardingRules: gateways.reduce(
      (n, g) =>
        n +
        new Set((g.spec.listeners ?? []).map((l: Block) => (l.protocol === 'HTTPS' ? 'HTTPS' : 'HTTP'))).size,
      0,
    ),
    securityPolicies: every('google_compute_security_policy').map((p) => ({
      name: String(p.name),
      rules: (p.rule ?? []).length,
    })),
    buckets: every('google_storage_bucket').map((b) => {
      const deletes = ((b.lifecycle_rule ?? []) as Block[]).filter((r) => r.action?.type === 'Delete');
      // A rule with matches_prefix deletes part of the bucket only (share images in walk-images).
      const age = deletes.find((r) => r.condition?.matches_prefix === undefined)?.condition?.age;
      const prefixes = Object.fromEntries(
        deletes
          .filter((r) => r.condition?.matches_prefix !== undefined && r.condition?.age !== undefined)
          .flatMap((r) => (r.condition.matches_prefix as string[]).map((p) => [p, Number(r.condition.age)])),
      );
      return {
        name: String(b.name),
        ...(age !== undefined ? { deleteAfterDays: Number(age) } : {}),
        ...(Object.keys(prefixes).length > 0 ? { deleteUnderPrefixAfterDays: prefixes } : {}),
        softDeleteDays: Number(b.soft_delete_policy?.retention_duration_seconds ?? 7 * 86_400) / 86_400,
      };
    }),
    dnsZones: every('google_dns_managed_zone').length,
    secrets: every('google_secret_manager_secret').length,
    workloads,
    scrapeTargets,
  };
}
