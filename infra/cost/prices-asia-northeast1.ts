/**
 * List prices for asia-northeast1 (Tokyo), USD, used by `npm run cost`.
 *
 * Source: the public Google Cloud pricing pages — Cloud SQL for PostgreSQL
 * (Enterprise edition), GKE (Autopilot, cluster management fee), Cloud NAT,
 * Cloud Load Balancing, Cloud Armor (Standard), Cloud Storage, Google Cloud
 * Managed Service for Prometheus, Cloud DNS and Secret Manager — as recorded
 * by the author on RECORDED_ON without network access to re-read them.
 * These are LIST PRICES TO RE-CHECK (pricing calculator or the Cloud Billing
 * Catalog API) before any decision: no discounts, free tiers or committed-use
 * prices are applied, except where a line says so.
 */
export const PRICE_TABLE = {
  region: 'asia-northeast1',
  currency: 'USD',
  recordedOn: '2026-11-23',
  source:
    'cloud.google.com/{sql,kubernetes-engine,nat,load-balancing,armor,storage,stackdriver,dns,secret-manager}/pricing (list prices, recorded offline: re-check)',
  hoursPerMonth: 730,

  cloudSql: {
    /** Enterprise edition, dedicated core, per vCPU-hour / GiB-hour; HA (REGIONAL) is charged double. */
    vcpuHour: 0.0535,
    memoryGibHour: 0.0091,
    haMultiplier: 2,
    /** Shared-core tiers, per instance-hour (ZONAL only). */
    sharedCoreHour: { 'db-f1-micro': 0.0135, 'db-g1-small': 0.0455 } as Record<string, number>,
    /** SSD storage per GiB-month (HA: doubled); billed while stopped too. */
    ssdGibMonth: 0.221,
    /** Backup and PITR log storage per GiB-month. */
    backupGibMonth: 0.104,
  },
  gke: {
    /** Cluster management fee per cluster-hour (one zonal/Autopilot cluster per billing account gets a $74.40 monthly credit: not applied). */
    clusterHour: 0.1,
    /** Autopilot general-purpose pods, per requested vCPU-hour / GiB-hour. */
    autopilotVcpuHour: 0.0573,
    autopilotMemoryGibHour: 0.0063,
  },
  nat: {
    /** Per VM using the gateway, per hour (up to 32 VMs). */
    vmHour: 0.0014,
    dataGib: 0.045,
  },
  loadBalancer: {
    /** Global external Application Load Balancer: first five forwarding rules, per hour. */
    forwardingRuleHour: 0.025,
    dataProcessedGib: 0.01,
  },
  cloudArmor: {
    /** Standard tier. Adaptive Protection alerting is included; Enterprise (full signatures) is a separate subscription. */
    policyMonth: 5,
    ruleMonth: 1,
    perMillionRequests: 0.75,
  },
  storage: {
    /** Standard class, regional bucket. */
    standardGibMonth: 0.023,
  },
  managedPrometheus: {
    perMillionSamples: 0.06,
  },
  dns: { privateZoneMonth: 0.2 },
  secretManager: { activeVersionMonth: 0.06 },
} as const;

/**
 * Usage assumptions (not prices): what a running environment does in a
 * month. Change them here, not in the estimate.
 */
export const USAGE_ASSUMPTIONS = {
  /** Requests of the walk-service pod besides the app container (Cloud SQL Auth Proxy sidecar). */
  sidecar: { cpuMillis: 50, memoryMiB: 64 },
  /** Cluster add-ons (Flagger + load tester, Grafana, Loki, Alloy, query frontend) in total. */
  addons: { cpuMillis: 700, memoryMiB: 1792 },
  /** Autopilot nodes that use Cloud NAT: about one per 2 vCPU requested, at least one. */
  vcpuPerNatVm: 2,
  /** Monthly traffic through the load balancer and NAT, and requests, per environment. */
  traffic: {
    dev: { lbGib: 5, natGib: 5, millionRequests: 1 },
    staging: { lbGib: 10, natGib: 10, millionRequests: 3 },
    prod: { lbGib: 100, natGib: 30, millionRequests: 50 },
  } as Record<string, { lbGib: number; natGib: number; millionRequests: number }>,
  /** Logs ingested into Loki per day. */
  lokiGibPerDay: { dev: 0.2, staging: 0.5, prod: 2 } as Record<string, number>,
  /** Active series scraped per pod at one sample per 30 s. */
  seriesPerPod: 300,
  scrapesPerMinute: 2,
  /** Used database size as a share of the provisioned disk; backups hold about that much (more with PITR logs). */
  usedDiskShare: 0.5,
  pitrLogShare: 0.5,
  /** Secret versions kept per environment (current + previous key ring). */
  secretVersions: 2,
} as const;
