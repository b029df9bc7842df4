/**
 * Monthly list-price estimate of one environment, priced from the inventory
 * of its synthesized stacks (infra/cost/inventory.ts) with the dated price
 * table; only usage (traffic, log volume, series per target) is assumed.
 */
import { ContainerRequests, Workload } from './helm-workloads';
import { Inventory } from './inventory';
import { PRICE_TABLE as P, USAGE_ASSUMPTIONS as U } from './prices-asia-northeast1';
import { SHARE_IMAGE_WORKER_IDENTITY, WALK_IMAGE_PREFIXES } from '../../config/names';

/** Environment states with a different bill. */
export type CostState = 'running' | 'paused' | 'hibernated';

export interface CostLine {
  readonly item: string;
  /** USD per month. */
  readonly monthly: number;
}

export interface CostEstimate {
  readonly environment: string;
  readonly state: CostState;
  readonly lines: readonly CostLine[];
  readonly total: number;
}

export interface PricingContext {
  readonly environment: string;
  readonly region: string;
  readonly state: CostState;
  /** This environment's cluster takes the billing account's GKE free-tier credit. */
  readonly freeTierCredit: boolean;
  /** Price workloads at their minimum (default) or maximum replicas. */
  readonly replicas?: 'min' | 'max';
  /** Namespaces whose workloads the state scales to zero (a pause). */
  readonly scaledToZero?: readonly string[];
  /**
   * Share of requests traced (`service.traceSampleRatio` in config/environments.ts).
   * @default 0 (no Cloud Trace line)
   */
  readonly traceSampleRatio?: number;
}

/** vCPU and memory (GiB) of a Cloud SQL tier; shared-core tiers have none. */
export function sqlTierShape(tier: string): { vcpu: number; memoryGib: number } | undefined {
  const m = /^db-custom-(\d+)-(\d+)$/.exec(tier);
  return m ? { vcpu: Number(m[1]), memoryGib: Number(m[2]) / 1024 } : undefined;
}

const H = P.hoursPerMonth;

function sqlLines(inv: Inventory): CostLine[] {
  return inv.sqlInstances.flatMap((db) => {
    const ha = db.regional ? P.cloudSql.haMultiplier : 1;
    const lines: CostLine[] = [];
    if (db.running) {
      const shape = sqlTierShape(db.tier);
      const shared = P.cloudSql.sharedCoreHour[db.tier];
      if (!shape && shared === undefined)
        throw new Error(`no price for Cloud SQL tier ${db.tier}; add it to the price table`);
      const hourly = shape
        ? (shape.vcpu * P.cloudSql.vcpuHour + shape.memoryGib * P.cloudSql.memoryGibHour) * ha
        : shared!;
      lines.push({
        item: `Cloud SQL ${db.name} ${db.tier}${db.regional ? ' REGIONAL' : ''}`,
        monthly: hourly * H,
      });
    }
    lines.push({
      item: `Cloud SQL SSD ${db.diskGb} GiB${ha > 1 ? ' (HA)' : ''}`,
      monthly: db.diskGb * P.cloudSql.ssdGibMonth * ha,
    });
    // Incremental backups hold about the used data once; PITR adds the retained write-ahead logs.
    const backupGib =
      db.retainedBackups > 0 ? db.diskGb * U.usedDiskShare * (1 + (db.pitr ? U.pitrLogShare : 0)) : 0;
    lines.push({
      item: `Cloud SQL backups (${db.retainedBackups} kept${db.pitr ? ', PITR logs' : ''})`,
      monthly: backupGib * P.cloudSql.backupGibMonth,
    });
    return lines;
  });
}

interface PodTotals {
  vcpu: number;
  memoryGib: number;
  spotVcpu: number;
  spotMemoryGib: number;
  defaulted: string[];
  pods: number;
}

/** Requests Autopilot bills for one pod: defaults for containers without requests, then the pod minimum. */
export function podRequests(w: Workload): { cpuMillis: number; memoryMiB: number; defaulted: string[] } {
  const d = P.gke.autopilotDefaultRequest;
  const inits = w.initContainers ?? [];
  const defaulted = [...inits, ...w.containers]
    .filter((c) => c.cpuMillis === undefined || c.memoryMiB === undefined)
    .map((c) => c.name);
  // Kubernetes sizes a pod for the larger of its containers' sum and its largest init container.
  const largestInit = (pick: (c: ContainerRequests) => number) => Math.max(0, ...inits.map(pick));
  const cpuOf = (c: ContainerRequests) => c.cpuMillis ?? d.cpuMillis;
  const memOf = (c: ContainerRequests) => c.memoryMiB ?? d.memoryMiB;
  const cpu = Math.max(
    w.containers.reduce((n, c) => n + cpuOf(c), 0),
    largestInit(cpuOf),
  );
  const mem = Math.max(
    w.containers.reduce((n, c) => n + memOf(c), 0),
    largestInit(memOf),
  );
  return {
    cpuMillis: Math.max(cpu, P.gke.autopilotPodMinimum.cpuMillis),
    memoryMiB: Math.max(mem, P.gke.autopilotPodMinimum.memoryMiB),
    defaulted,
  };
}

function replicasOf(w: Workload, ctx: PricingContext): number {
  if (ctx.scaledToZero?.includes(w.namespace)) return 0;
  return ctx.replicas === 'max' ? w.replicasMax : w.replicasMin;
}

/** Workloads with a line of their own (ADR 0262): the rest share "Autopilot pods". */
const OWN_LINES: readonly { label: string; is: (w: Workload) => boolean }[] = [
  { label: 'Share-image worker', is: (w) => w.name === SHARE_IMAGE_WORKER_IDENTITY.name },
  { label: 'KEDA', is: (w) => w.source === 'helm:keda' },
];

function podTotals(
  inv: Inventory,
  ctx: PricingContext,
  only: (w: Workload) => boolean = () => true,
): PodTotals {
  const t: PodTotals = { vcpu: 0, memoryGib: 0, spotVcpu: 0, spotMemoryGib: 0, defaulted: [], pods: 0 };
  for (const w of inv.workloads.filter(only)) {
    const n = replicasOf(w, ctx);
    if (n === 0) continue;
    const r = podRequests(w);
    t.pods += n;
    if (w.spot) {
      t.spotVcpu += (n * r.cpuMillis) / 1000;
      t.spotMemoryGib += (n * r.memoryMiB) / 1024;
    } else {
      t.vcpu += (n * r.cpuMillis) / 1000;
      t.memoryGib += (n * r.memoryMiB) / 1024;
    }
    t.defaulted.push(...r.defaulted.map((c) => `${w.namespace}/${w.name}/${c}`));
  }
  return t;
}

/**
 * The walk-images bucket from USAGE_ASSUMPTIONS.walkImages: stored thumbnails, share images kept
 * for the lifecycle's days, soft-deleted thumbnails for the soft-delete days; writes (uploads,
 * share images), reads (downloads) and their egress.
 */
function walkImageLines(
  name: string,
  shareImageDays: number,
  softDeleteDays: number,
  env: string,
  serving: boolean,
): CostLine[] {
  const u = U.walkImages[env];
  if (!u) return [];
  const { thumbnailKib, shareImageKib } = U.walkImageSizes;
  const gib = (n: number, kib: number) => (n * kib) / 1024 / 1024;
  const stored =
    gib(u.thumbnailsKept, thumbnailKib) +
    gib(u.shareImages * (Math.min(shareImageDays, 30) / 30), shareImageKib) +
    gib(u.deleted * (Math.min(softDeleteDays, 30) / 30), thumbnailKib);
  const storage = {
    item: `Bucket ${name} (${stored.toFixed(1)} GiB)`,
    monthly: stored * P.storage.standardGibMonth,
  };
  // Paused or hibernated, nobody uploads or downloads: only the bytes are billed.
  if (!serving) return [storage];
  const writes = u.uploads + u.shareImages;
  const egress = gib(u.downloads, thumbnailKib);
  return [
    storage,
    {
      item: `Bucket ${name} operations (${writes} writes, ${u.downloads} reads)`,
      monthly: (writes / 1000) * P.storage.classAPer1000 + (u.downloads / 1000) * P.storage.classBPer1000,
    },
    {
      item: `Bucket ${name} downloads (${egress.toFixed(1)} GiB)`,
      monthly: egress * P.storage.internetEgressGib,
    },
  ];
}

/** Monthly estimate of one environment in one state from its inventory. */
export function estimateInventory(inv: Inventory, ctx: PricingContext): CostEstimate {
  if (ctx.region !== P.region) {
    throw new Error(
      `no price table for ${ctx.region}: infra/cost holds ${P.region} list prices only; add one for the region`,
    );
  }
  const traffic = U.traffic[ctx.environment] ?? { lbGib: 0, natGib: 0, millionRequests: 0 };
  const lines: CostLine[] = [...sqlLines(inv)];
  const add = (item: string, monthly: number) => lines.push({ item, monthly });

  if (inv.autopilotClusters > 0) {
    add(
      `GKE cluster management fee (${inv.autopilotClusters})`,
      inv.autopilotClusters * P.gke.clusterHour * H,
    );
    if (ctx.freeTierCredit)
      add('GKE free-tier credit', -Math.min(P.gke.freeTierCreditMonth, P.gke.clusterHour * H));
  }
  const pods = podTotals(inv, ctx);
  const monthlyOf = (t: PodTotals) => ({
    gp: (t.vcpu * P.gke.autopilotVcpuHour + t.memoryGib * P.gke.autopilotMemoryGibHour) * H,
    spot: (t.spotVcpu * P.gke.autopilotSpotVcpuHour + t.spotMemoryGib * P.gke.autopilotSpotMemoryGibHour) * H,
  });
  const shared = podTotals(inv, ctx, (w) => !OWN_LINES.some((o) => o.is(w)));
  if (shared.pods > 0) {
    const { gp, spot } = monthlyOf(shared);
    if (gp > 0)
      add(`Autopilot pods (${shared.vcpu.toFixed(2)} vCPU, ${shared.memoryGib.toFixed(2)} GiB)`, gp);
    if (spot > 0)
      add(
        `Autopilot Spot Pods (${shared.spotVcpu.toFixed(2)} vCPU, ${shared.spotMemoryGib.toFixed(2)} GiB)`,
        spot,
      );
  }
  for (const own of OWN_LINES) {
    const ws = inv.workloads.filter(own.is);
    if (ws.length === 0) continue;
    const at = podTotals(inv, ctx, own.is);
    const atMax = podTotals(inv, { ...ctx, replicas: 'max' }, own.is);
    if (atMax.pods === 0) continue;
    const cost = (t: PodTotals) => monthlyOf(t).gp + monthlyOf(t).spot;
    const range = `${ws.reduce((n, w) => n + w.replicasMin, 0)}–${ws.reduce((n, w) => n + w.replicasMax, 0)}`;
    add(
      `${own.label} pods (${at.pods} of ${range}${ws.some((w) => w.spot) ? ' Spot' : ''}; at max $${cost(atMax).toFixed(2)})`,
      cost(at),
    );
  }
  const volumes = inv.workloads.reduce((g, w) => g + w.volumeGib * w.replicasMin, 0);
  if (volumes > 0) add(`Persistent disks (${volumes} GiB balanced)`, volumes * P.gke.balancedPdGibMonth);

  if (inv.natGateways > 0 && pods.pods > 0) {
    const vms = Math.max(1, Math.ceil((pods.vcpu + pods.spotVcpu) / 2));
    add(
      `Cloud NAT (${vms} node, ${traffic.natGib} GiB)`,
      vms * P.nat.vmHour * H + traffic.natGib * P.nat.dataGib,
    );
  }
  if (inv.forwardingRules > 0) {
    add(
      `Load balancer forwarding rules (${inv.forwardingRules})`,
      inv.forwardingRules * P.loadBalancer.forwardingRuleHour * H,
    );
    if (pods.pods > 0)
      add(`Load balancer data (${traffic.lbGib} GiB)`, traffic.lbGib * P.loadBalancer.dataProcessedGib);
  }
  const unused = inv.addresses.filter((a) => !a.inUse || inv.forwardingRules === 0);
  if (unused.length > 0)
    add(
      `Reserved IP addresses not in use (${unused.map((a) => a.name).join(', ')})`,
      unused.length * P.ip.unusedStaticHour * H,
    );

  for (const policy of inv.securityPolicies) {
    const requests = pods.pods > 0 ? traffic.millionRequests : 0;
    add(
      `Cloud Armor ${policy.name} (${policy.rules} rules${requests ? `, ${requests} M requests` : ''})`,
      P.cloudArmor.policyMonth +
        policy.rules * P.cloudArmor.ruleMonth +
        requests * P.cloudArmor.perMillionRequests,
    );
  }
  if (pods.pods > 0) {
    const byPods = new Map(inv.scrapeTargets.map((t) => [t.name, t]));
    const samples =
      [...byPods.values()].reduce((n, t) => {
        const targetPods = ctx.scaledToZero?.includes(t.name.split('/')[0]!) ? 0 : t.podsMin;
        // A kept metric is about one series per pod (these counters carry few label values).
        const series = t.keptMetrics ?? U.seriesPerTarget;
        return n + (targetPods * series * 60 * H * 60) / t.intervalSeconds;
      }, 0) / 1e6;
    const intervals = [...new Set(inv.scrapeTargets.map((t) => `${t.intervalSeconds}s`))].join('/');
    add(
      `Managed Prometheus (${Math.round(samples)} M samples, ${intervals || 'no'} scrape)`,
      samples * P.managedPrometheus.perMillionSamples,
    );
  }
  const traceRatio = ctx.traceSampleRatio ?? 0;
  if (pods.pods > 0 && traceRatio > 0) {
    const spans = traffic.millionRequests * traceRatio * U.spansPerTracedRequest;
    add(
      `Cloud Trace (${spans.toFixed(1)} M spans: ${traffic.millionRequests} M requests × ${traceRatio} sampled × ${U.spansPerTracedRequest}; ${P.cloudTrace.freeMillionSpansPerBillingAccount} M free per billing account not applied)`,
      spans * P.cloudTrace.perMillionSpans,
    );
  }
  if (pods.pods > 0 && inv.autopilotClusters > 0) {
    // One project per environment, so each gets the free allotment.
    const gib = (U.lokiGibPerDay[ctx.environment] ?? 0) * (H / 24);
    add(
      `Cloud Logging (${gib.toFixed(0)} GiB container logs, ${P.cloudLogging.freeGibPerProjectMonth} GiB free)`,
      Math.max(0, gib - P.cloudLogging.freeGibPerProjectMonth) * P.cloudLogging.ingestedGib,
    );
  }
  for (const bucket of inv.buckets) {
    const images = bucket.deleteUnderPrefixAfterDays?.[WALK_IMAGE_PREFIXES.shareImages];
    if (images !== undefined) {
      lines.push(
        ...walkImageLines(bucket.name, images, bucket.softDeleteDays, ctx.environment, pods.pods > 0),
      );
      continue;
    }
    const gib = /loki/.test(bucket.name)
      ? (U.lokiGibPerDay[ctx.environment] ?? 0) * (bucket.deleteAfterDays ?? 30)
      : U.otherBucketGib;
    add(`Bucket ${bucket.name} (${gib.toFixed(1)} GiB)`, gib * P.storage.standardGibMonth);
  }
  if (inv.dnsZones > 0) add(`Cloud DNS zones (${inv.dnsZones})`, inv.dnsZones * P.dns.privateZoneMonth);
  if (inv.secrets > 0)
    add(
      `Secret Manager (${inv.secrets} secrets)`,
      inv.secrets * U.versionsPerSecret * P.secretManager.activeVersionMonth,
    );

  const rounded = lines.map((l) => ({ item: l.item, monthly: Math.round(l.monthly * 100) / 100 }));
  const total = Math.round(rounded.reduce((sum, l) => sum + l.monthly, 0) * 100) / 100;
  return { environment: ctx.environment, state: ctx.state, lines: rounded, total };
}

/** Names of containers priced at Autopilot's default because they set no requests. */
export function containersWithoutRequests(inv: Inventory): string[] {
  return inv.workloads.flatMap((w) =>
    podRequests(w).defaulted.map((c) => `${w.source} ${w.namespace}/${w.name}/${c}`),
  );
}
