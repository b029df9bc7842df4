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
    /** Cluster management fee per cluster-hour. */
    clusterHour: 0.1,
    /**
     * GKE free tier: $74.40 of cluster-management-fee credit per billing account
     * per month, which covers one Autopilot or zonal cluster
     * (https://cloud.google.com/kubernetes-engine/pricing#cluster_management_fee_and_free_tier).
     * Which environment takes it is `gke.freeTierCredit` in config/environments.ts.
     */
    freeTierCreditMonth: 74.4,
    /** Autopilot general-purpose pods, per requested vCPU-hour / GiB-hour. */
    autopilotVcpuHour: 0.0573,
    autopilotMemoryGibHour: 0.0063,
    /** Autopilot Spot Pods (general-purpose), per requested vCPU-hour / GiB-hour. */
    autopilotSpotVcpuHour: 0.0172,
    autopilotSpotMemoryGibHour: 0.0019,
    /**
     * What Autopilot requests for a container that sets none (general-purpose
     * class: 0.5 vCPU, 2 GiB), and its per-pod minimum (50m, 52 MiB):
     * https://cloud.google.com/kubernetes-engine/docs/concepts/autopilot-resource-requests
     */
    autopilotDefaultRequest: { cpuMillis: 500, memoryMiB: 2048 },
    autopilotPodMinimum: { cpuMillis: 50, memoryMiB: 52 },
    /** Balanced persistent disk (the `standard-rwo` class Autopilot volumes use), per GiB-month. */
    balancedPdGibMonth: 0.135,
  },
  nat: {
    /** Per VM using the gateway, per hour (up to 32 VMs). */
    vmHour: 0.0014,
    dataGib: 0.045,
  },
  ip: {
    /** A reserved external IP address no forwarding rule uses, per hour (one in use by a forwarding rule costs nothing extra). */
    unusedStaticHour: 0.01,
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
    /** Class A (object writes, lists) and Class B (reads, metadata) operations, Standard class, per 1,000. */
    classAPer1000: 0.005,
    classBPer1000: 0.0004,
    /** Data transfer from a bucket to the internet (Asia), per GiB: signed GET URLs the app downloads. */
    internetEgressGib: 0.12,
  },
  managedPrometheus: {
    perMillionSamples: 0.06,
  },
  /**
   * Cloud Logging storage: a one-time charge per GiB streamed into log buckets,
   * 30 days of retention included, the first 50 GiB per project and month free
   * (https://cloud.google.com/stackdriver/pricing#logs-pricing-summary). GKE's
   * WORKLOADS logging streams every container's stdout there.
   */
  cloudLogging: {
    ingestedGib: 0.5,
    freeGibPerProjectMonth: 50,
  },
  /**
   * Spans ingested by Cloud Trace (through the Telemetry API or a collector alike):
   * per million spans, the first 2.5 million per billing account and month free
   * (https://cloud.google.com/stackdriver/pricing#trace-costs; the stored copy read
   * on RECORDED_ON cut off before the Trace table: figures as in docs/adr/0242, re-check).
   * The allotment is the billing account's, shared by every environment, so a line
   * per environment does not subtract it.
   */
  cloudTrace: {
    perMillionSpans: 0.2,
    freeMillionSpansPerBillingAccount: 2.5,
  },
  dns: { privateZoneMonth: 0.2 },
  secretManager: { activeVersionMonth: 0.06 },
} as const;

/**
 * Usage assumptions (not prices): what a running environment does in a
 * month. Change them here, not in the estimate.
 */
export const USAGE_ASSUMPTIONS = {
  /** Autopilot nodes that use Cloud NAT: about one per 2 vCPU requested, at least one. */
  vcpuPerNatVm: 2,
  /** Monthly traffic through the load balancer and NAT, and requests, per environment. */
  traffic: {
    dev: { lbGib: 5, natGib: 5, millionRequests: 1 },
    staging: { lbGib: 10, natGib: 10, millionRequests: 3 },
    prod: { lbGib: 100, natGib: 30, millionRequests: 50 },
  } as Record<string, { lbGib: number; natGib: number; millionRequests: number }>,
  /**
   * Container logs per day (every pod's stdout, walk-service's request logs most of it): Cloud Logging
   * ingests them through GKE's WORKLOADS logging and Loki stores them again (docs/adr/0210).
   */
  lokiGibPerDay: { dev: 0.2, staging: 0.5, prod: 2 } as Record<string, number>,
  /** Active series one scrape of a walk-service pod returns (measured: `curl -s 127.0.0.1:9464/metrics | grep -vc '^#'` after a test run). */
  seriesPerTarget: 300,
  /** Spans one traced request makes: server, pool checkout, query, the token-revocation call (docs/adr/0242). */
  spansPerTracedRequest: 4,
  /** Used database size as a share of the provisioned disk; backups hold about that much (more with PITR logs). */
  usedDiskShare: 0.5,
  pitrLogShare: 0.5,
  /** Data in a bucket other than Loki's (state, uploads before their own estimate). */
  otherBucketGib: 1,
  /**
   * Walk images (issue 19, ADR 0260): thumbnails kept (one per walk, replaced rarely), uploads and
   * share images per month, downloads (signed GETs) per month, and their sizes (the app compresses
   * thumbnails; the worker's JPEG size target). Replaced or deleted thumbnails per month are soft-deleted.
   */
  walkImages: {
    dev: { thumbnailsKept: 2_000, uploads: 500, shareImages: 200, downloads: 5_000, deleted: 100 },
    staging: { thumbnailsKept: 5_000, uploads: 1_000, shareImages: 500, downloads: 10_000, deleted: 200 },
    prod: {
      thumbnailsKept: 300_000,
      uploads: 30_000,
      shareImages: 20_000,
      downloads: 600_000,
      deleted: 3_000,
    },
  } as Record<
    string,
    { thumbnailsKept: number; uploads: number; shareImages: number; downloads: number; deleted: number }
  >,
  walkImageSizes: { thumbnailKib: 150, shareImageKib: 400 },
  /** Versions kept per secret (current + previous key ring). */
  versionsPerSecret: 2,
} as const;
