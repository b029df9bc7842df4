import { EnvironmentConfig } from '../config/environments';
import { OWASP_RULE_SETS } from '../constructs/cloud-armor-policy';
import { PRICE_TABLE as P, USAGE_ASSUMPTIONS as U } from './prices-asia-northeast1';

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

/** vCPU and memory (GiB) of a Cloud SQL tier; shared-core tiers have none. */
export function sqlTierShape(tier: string): { vcpu: number; memoryGib: number } | undefined {
  const m = /^db-custom-(\d+)-(\d+)$/.exec(tier);
  return m ? { vcpu: Number(m[1]), memoryGib: Number(m[2]) / 1024 } : undefined;
}

function cloudSqlLines(env: EnvironmentConfig, running: boolean): CostLine[] {
  const db = env.database;
  const ha = db.availabilityType === 'REGIONAL' ? P.cloudSql.haMultiplier : 1;
  const lines: CostLine[] = [];
  if (running) {
    const shape = sqlTierShape(db.tier);
    let hourly: number;
    if (shape) hourly = (shape.vcpu * P.cloudSql.vcpuHour + shape.memoryGib * P.cloudSql.memoryGibHour) * ha;
    else {
      const shared = P.cloudSql.sharedCoreHour[db.tier];
      if (shared === undefined)
        throw new Error(`no price for Cloud SQL tier ${db.tier}; add it to the price table`);
      hourly = shared;
    }
    lines.push({ item: `Cloud SQL ${db.tier} ${db.availabilityType}`, monthly: hourly * P.hoursPerMonth });
  }
  lines.push({
    item: `Cloud SQL SSD ${db.diskSizeGb} GiB${ha > 1 ? ' (HA)' : ''}`,
    monthly: db.diskSizeGb * P.cloudSql.ssdGibMonth * ha,
  });
  const backupGib = db.diskSizeGb * U.usedDiskShare * (1 + (db.pointInTimeRecovery ? U.pitrLogShare : 0));
  lines.push({
    item: `Cloud SQL backups${db.pointInTimeRecovery ? ' + PITR logs' : ''}`,
    monthly: backupGib * P.cloudSql.backupGibMonth,
  });
  return lines;
}

function podRequests(
  env: EnvironmentConfig,
  replicas: number,
): { vcpu: number; memoryGib: number; pods: number } {
  const s = env.service;
  const cpuMillis = replicas * (s.cpuMillis + U.sidecar.cpuMillis) + U.addons.cpuMillis;
  const memoryMiB = replicas * (s.memoryMiB + U.sidecar.memoryMiB) + U.addons.memoryMiB;
  return { vcpu: cpuMillis / 1000, memoryGib: memoryMiB / 1024, pods: replicas + 6 };
}

/**
 * Monthly list-price estimate of one environment in one state. Running uses
 * `replicas` walk-service pods (default: the configured minimum).
 */
export function estimateEnvironment(
  env: EnvironmentConfig,
  state: CostState,
  replicas = env.service.minReplicas,
): CostEstimate {
  if (env.region !== P.region) {
    throw new Error(
      `no price table for ${env.region}: infra/cost holds ${P.region} list prices only; add one for the region`,
    );
  }
  const traffic = U.traffic[env.name] ?? { lbGib: 0, natGib: 0, millionRequests: 0 };
  const lines: CostLine[] = [];
  const running = state === 'running';
  const clusterExists = state !== 'hibernated';

  lines.push(...cloudSqlLines(env, running));
  if (clusterExists) {
    lines.push({ item: 'GKE cluster management fee', monthly: P.gke.clusterHour * P.hoursPerMonth });
    lines.push({
      item: 'Load balancer forwarding rule',
      monthly: P.loadBalancer.forwardingRuleHour * P.hoursPerMonth,
    });
  }
  if (running) {
    const r = podRequests(env, replicas);
    lines.push({
      item: `Autopilot pods (${replicas} walk-service + add-ons: ${r.vcpu.toFixed(2)} vCPU, ${r.memoryGib.toFixed(1)} GiB)`,
      monthly:
        (r.vcpu * P.gke.autopilotVcpuHour + r.memoryGib * P.gke.autopilotMemoryGibHour) * P.hoursPerMonth,
    });
    const vms = Math.max(1, Math.ceil(r.vcpu / U.vcpuPerNatVm));
    lines.push({
      item: `Cloud NAT (${vms} VM, ${traffic.natGib} GiB)`,
      monthly: vms * P.nat.vmHour * P.hoursPerMonth + traffic.natGib * P.nat.dataGib,
    });
    lines.push({
      item: `Load balancer data (${traffic.lbGib} GiB)`,
      monthly: traffic.lbGib * P.loadBalancer.dataProcessedGib,
    });
    const samplesMillions = (r.pods * U.seriesPerPod * U.scrapesPerMinute * 60 * P.hoursPerMonth) / 1e6;
    lines.push({
      item: `Managed Prometheus (${Math.round(samplesMillions)} M samples)`,
      monthly: samplesMillions * P.managedPrometheus.perMillionSamples,
    });
  }
  const rules = OWASP_RULE_SETS.length + 2; // + rate ban + default rule
  lines.push({
    item: `Cloud Armor policy, ${rules} rules${running ? `, ${traffic.millionRequests} M requests` : ''}`,
    monthly:
      P.cloudArmor.policyMonth +
      rules * P.cloudArmor.ruleMonth +
      (running ? traffic.millionRequests * P.cloudArmor.perMillionRequests : 0),
  });
  const lokiGib = (U.lokiGibPerDay[env.name] ?? 0) * env.observability.lokiRetentionDays;
  lines.push({
    item: `Loki bucket (${lokiGib.toFixed(1)} GiB)`,
    monthly: lokiGib * P.storage.standardGibMonth,
  });
  lines.push({ item: 'Cloud DNS private zone', monthly: P.dns.privateZoneMonth });
  lines.push({
    item: 'Secret Manager versions',
    monthly: U.secretVersions * P.secretManager.activeVersionMonth,
  });

  const total = lines.reduce((sum, l) => sum + l.monthly, 0);
  return { environment: env.name, state, lines, total };
}
