/**
 * The ONE place where dev, staging and prod differ. Every stack, chart and
 * monitoring artefact reads its environment from here; nothing else branches
 * on an environment name.
 *
 * Values that identify real accounts (project ids, domains, billing account,
 * GitHub repository) are never in code: they come from cdktf context
 * (`cdktf.json` "context", or `-c key=value` on `node --import tsx infra/main.ts`) or
 * from environment variables, and default to `*-example` placeholders so a
 * clean clone synthesizes. See docs/deploy.md for the keys.
 */
import { z } from 'zod';
import { canaryPlanProblems, SCRAPE_INTERVAL_SECONDS } from './canary-analysis';
import { FIREBASE_DEFAULT_BUCKET_SUFFIX, SOFT_DELETE_RETENTION_DAYS } from './platform-facts';
import {
  ARTIFACT_REPOSITORY_ID,
  PREVIEW_ARTIFACT_REPOSITORY_ID,
  serviceImage,
  sqlInstanceName,
  stateBucketName,
} from './names';
import {
  cloudSqlBackupWindows,
  cloudSqlMaintenanceWindow,
  contains,
  gkeMaintenanceWindows,
  overlaps,
  runningWindows,
} from './weekly-windows';

export const ENVIRONMENT_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

export const DEFAULT_REGION = 'asia-northeast1';

// ---------------------------------------------------------------------------
// Schema
// ---------------------------------------------------------------------------

const projectId = z
  .string()
  .regex(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/, 'must be a Google Cloud project id (6-30 chars: a-z, 0-9, -)');
const dnsName = z
  .string()
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a DNS name like dev.tekutoko.example');
const cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'must be an IPv4 CIDR like 10.10.0.0/20');
const hourUtc = z.number().int().min(0).max(23);
const percent = z.number().int().min(0).max(100);

const networkSchema = z.object({
  /** Primary range of the subnet (nodes, internal load balancers). */
  subnetCidr: cidr,
  /** Secondary range for Pod IPs (Autopilot needs at least a /21 for a small cluster). */
  podsCidr: cidr,
  /** Secondary range for Service ClusterIPs. */
  servicesCidr: cidr,
  /** Range reserved for Private Service Access (Cloud SQL private IP lives here). */
  privateServiceAccessCidr: cidr,
  /** Range of the GKE control plane's private endpoint. */
  controlPlaneCidr: cidr,
  /** NAT: minimum ports per VM (more ports = fewer exhaustion errors, fewer VMs per IP). */
  natMinPortsPerVm: z.number().int().min(32).max(65536),
});

const maintenanceExclusionSchema = z.object({
  name: z.string().regex(/^[a-z][-a-z0-9]{0,62}$/, 'must be a lowercase id'),
  /** RFC 3339 start, e.g. 2026-12-24T00:00:00Z. */
  startTime: z.iso.datetime(),
  endTime: z.iso.datetime(),
  scope: z.enum(['NO_UPGRADES', 'NO_MINOR_UPGRADES', 'NO_MINOR_OR_NODE_UPGRADES']),
});

const gkeSchema = z.object({
  releaseChannel: z.enum(['RAPID', 'REGULAR', 'STABLE']),
  /** Terraform refuses to destroy the cluster while true. */
  deletionProtection: z.boolean(),
  /** Enforce the project's Binary Authorization policy on every pod. */
  binaryAuthorization: z.boolean(),
  /** Daily maintenance window start hour (UTC) and length. */
  maintenanceStartHourUtc: hourUtc,
  maintenanceDurationHours: z.number().int().min(4).max(24),
  /** RRULE days of the recurring window, e.g. SA,SU. */
  maintenanceDays: z.array(z.enum(['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'])).min(1),
  maintenanceExclusions: z.array(maintenanceExclusionSchema),
  /**
   * This cluster takes the billing account's GKE free-tier credit (one
   * Autopilot or zonal cluster's management fee a month). At most one
   * environment may claim it; `npm run cost` applies it there.
   */
  freeTierCredit: z.boolean(),
  /**
   * Run walk-service and the add-ons as Autopilot Spot Pods (cheaper,
   * preemptible with 25 s notice): for environments where an interruption
   * costs nothing but a retry.
   */
  spotPods: z.boolean(),
});

const isoDate = z.iso.date();

/**
 * Cloud SQL deny-maintenance period: no maintenance from `startDate` to
 * `endDate` at `time` UTC (one per instance;
 * https://cloud.google.com/sql/docs/postgres/set-maintenance-window).
 */
const denyMaintenanceSchema = z.object({
  startDate: isoDate,
  endDate: isoDate,
  time: z.string().regex(/^\d{2}:\d{2}:\d{2}$/, 'must be HH:MM:SS'),
});

const databaseSchema = z.object({
  /**
   * Instance name: stable, never suffixed (a deleted name is blocked for a
   * week). Changing it is a restore step (runbooks/database.md): the
   * platform stack then manages the named instance and every IAM condition
   * follows it. Context `<env>.sqlInstanceName` overrides it.
   */
  instanceName: z.string().regex(/^[a-z][-a-z0-9]{0,78}[a-z0-9]$/, 'must be a lowercase instance name'),
  /** ENTERPRISE; PostgreSQL 16+ would otherwise default to ENTERPRISE_PLUS. */
  edition: z.enum(['ENTERPRISE', 'ENTERPRISE_PLUS']),
  tier: z
    .string()
    .regex(/^db-(f1-micro|g1-small|custom-\d+-\d+|perf-optimized-N-\d+)$/, 'must be a Cloud SQL tier'),
  availabilityType: z.enum(['ZONAL', 'REGIONAL']),
  diskSizeGb: z.number().int().min(10).max(65536),
  /** Upper bound for storage auto-increase. */
  diskAutoresizeLimitGb: z.number().int().min(10).max(65536),
  backupStartHourUtc: hourUtc,
  /** Automated backups kept. */
  backupRetentionCount: z.number().int().min(1).max(365),
  pointInTimeRecovery: z.boolean(),
  /** Days of write-ahead log kept for point-in-time recovery. */
  transactionLogRetentionDays: z.number().int().min(1).max(7),
  /** Terraform-side guard (`deletion_protection`). */
  terraformDeletionProtection: z.boolean(),
  /** API-side guard (`settings.deletion_protection_enabled`): no one can delete the instance. */
  instanceDeletionProtection: z.boolean(),
  /** Weekly maintenance: day 1 = Monday … 7 = Sunday; never inside GKE's window. */
  maintenanceDay: z.number().int().min(1).max(7),
  maintenanceHourUtc: hourUtc,
  /** null: none. Must cover every GKE maintenance exclusion (one freeze for both). */
  denyMaintenancePeriod: denyMaintenanceSchema.nullable(),
  /** max_connections flag; sizes the app's pool budget. */
  maxConnections: z.number().int().min(25).max(262143),
});

const canarySchema = z.object({
  /** Traffic weights before promotion to 100 %, e.g. [10, 50] means 10 → 50 → 100. One check per weight. */
  stepWeights: z.array(z.number().int().min(1).max(99)).min(1),
  /** Seconds between Flagger's ticks: each step lasts one interval and ends with its check. */
  intervalSeconds: z.number().int().min(60).max(3600),
  /**
   * Seconds the global load balancer may take to apply a new weight; the check window starts
   * after it (platform-facts.ts GATEWAY_ROUTE_UPDATE_WAIT_DEFAULT_SECONDS).
   */
  routeUpdateWaitSeconds: z.number().int().min(0).max(600),
  failedChecksBeforeRollback: z.number().int().min(1).max(10),
  /** Load tester requests per second to the canary Service during the analysis; 0 for none. */
  loadTestRequestsPerSecond: z.number().min(0).max(50),
  /**
   * Planning figure: user requests per second reaching the service (after the rollout cohort) at
   * the quietest hour a release may run. Replace it with the measured
   * `sum(rate(http_requests_total{route!~"/healthz|/readyz"}[1h]))` once the environment serves users.
   */
  plannedUserRequestsPerSecond: z.number().min(0),
});

const serviceSchema = z.object({
  minReplicas: z.number().int().min(1),
  maxReplicas: z.number().int().min(1),
  /** CPU request in millicores (Autopilot bills requests). */
  cpuMillis: z.number().int().min(50),
  /** Memory request and limit in MiB. */
  memoryMiB: z.number().int().min(64),
  /** DB_POOL_MAX per pod. */
  dbPoolMax: z.number().int().min(1).max(100),
  /** ROLLOUT_PERCENT: share of iOS users sent to this backend. */
  rolloutPercent: percent,
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']),
  /**
   * OTEL_TRACES_SAMPLER_ARG: share of requests traced, decided on the trace id
   * (ADR 0242); 0 turns tracing off. Cloud Trace bills per span ingested.
   */
  traceSampleRatio: z.number().min(0).max(1),
  /** null: Kubernetes rolling update; otherwise a Flagger canary gated by SLO metrics. */
  canary: canarySchema.nullable(),
});

const edgeSchema = z.object({
  /**
   * OWASP preconfigured rules: `preview` logs only, `enforce` denies with 403,
   * `off` leaves them out (each rule is billed monthly; staging and prod enforce).
   */
  owaspRulesMode: z.enum(['off', 'preview', 'enforce']),
  /**
   * Answer plain HTTP on port 80 with a redirect to HTTPS. The listener is a
   * second forwarding rule, billed by the hour; the app only speaks HTTPS.
   */
  httpRedirectListener: z.boolean(),
  /** ModSecurity CRS sensitivity level 1 (fewest false positives) … 4. */
  owaspSensitivity: z.number().int().min(1).max(4),
  /** Rate-based ban per client IP: more than `rateLimitRequests` in `rateLimitIntervalSeconds`. */
  rateLimitRequests: z.number().int().min(1),
  rateLimitIntervalSeconds: z.union([
    z.literal(10),
    z.literal(30),
    z.literal(60),
    z.literal(120),
    z.literal(180),
    z.literal(240),
    z.literal(300),
    z.literal(600),
    z.literal(900),
    z.literal(1200),
    z.literal(1800),
    z.literal(2700),
    z.literal(3600),
  ]),
  banDurationSeconds: z.number().int().min(60).max(86400),
  /** Cloud Armor Adaptive Protection (ML-based L7 DDoS detection). */
  adaptiveProtection: z.boolean(),
});

const observabilitySchema = z.object({
  /** Loki: days logs are kept (bucket lifecycle deletes older chunks too). */
  lokiRetentionDays: z.number().int().min(1).max(400),
  /** Alert routing hint for Alertmanager: page a human, or open a ticket. */
  alertRouting: z.enum(['page', 'ticket']),
  /**
   * Managed Prometheus scrape interval of walk-service, seconds: samples are
   * billed per sample, so a quieter environment scrapes less often. Rate
   * windows of the rules and canary checks span at least four intervals.
   */
  scrapeIntervalSeconds: z.union([z.literal(15), z.literal(30)]),
  /** Uptime check period in seconds. */
  uptimeCheckPeriodSeconds: z.union([z.literal(60), z.literal(300), z.literal(600), z.literal(900)]),
  /** Cloud SQL alert thresholds. */
  sqlCpuUtilizationThreshold: z.number().gt(0).lt(1),
  sqlDiskUtilizationThreshold: z.number().gt(0).lt(1),
  /** Alert when connections exceed this share of max_connections. */
  sqlConnectionsThreshold: z.number().gt(0).lt(1),
  /** E-mail of the notification channel for the Cloud Monitoring alerts; empty for none. */
  notificationEmail: z.union([z.email(), z.literal('')]),
});

/** The walk-images bucket (ADR 0260): what deletes what, and for how long a deletion can be undone. */
const walkImagesSchema = z.object({
  /**
   * Days a share image is kept (a lifecycle rule on `share-images/`): the app
   * shows it right after the job and requests a new job for an older walk.
   */
  shareImageRetentionDays: z.number().int().min(1).max(365),
  /**
   * Soft delete: days a deleted or replaced object stays restorable (billed as
   * stored meanwhile); 0 turns it off (SOFT_DELETE_RETENTION_DAYS).
   */
  softDeleteRetentionDays: z.union([
    z.literal(SOFT_DELETE_RETENTION_DAYS.value.off),
    z.number().int().min(SOFT_DELETE_RETENTION_DAYS.value.min).max(SOFT_DELETE_RETENTION_DAYS.value.max),
  ]),
});

/** The share-image worker (ADR 0261, 0262): its pods and how KEDA scales them on the queue. */
const shareImageWorkerSchema = z.object({
  /** Replicas while no job waits: 0 lets KEDA scale the Deployment to zero. */
  minReplicas: z.number().int().min(0),
  maxReplicas: z.number().int().min(1),
  /** Waiting jobs per replica KEDA aims at (its prometheus trigger's threshold). */
  jobsPerReplica: z.number().int().min(1),
  /** Seconds without waiting jobs before KEDA scales to minReplicas. */
  cooldownSeconds: z.number().int().min(30).max(3600),
  /** SHARE_IMAGE_WORKER_CONCURRENCY: jobs one pod renders at once (the pool holds one more). */
  concurrency: z.number().int().min(1).max(8),
  /** CPU request in millicores (rendering is CPU-bound). */
  cpuMillis: z.number().int().min(50),
  /** Memory request and limit in MiB. */
  memoryMiB: z.number().int().min(64),
});

const budgetSchema = z.object({
  /** Monthly budget in the billing account's currency. */
  monthlyAmount: z.number().int().min(1),
  /** ISO currency of the billing account (must match it). */
  currencyCode: z.string().regex(/^[A-Z]{3}$/),
  /** Fractions of the budget that trigger an e-mail, e.g. [0.5, 0.9, 1]. */
  alertThresholds: z.array(z.number().gt(0).max(2)).min(1),
});

export const environmentSchema = z
  .object({
    name: z.enum(ENVIRONMENT_NAMES),
    projectId,
    region: z.string().regex(/^[a-z]+-[a-z]+\d$/, 'must be a region like asia-northeast1'),
    /** DNS zone of the environment; the Gateway serves it and `*.<domain>`. */
    domain: dnsName,
    /** Public hostname of walk-service. */
    hostname: dnsName,
    /** Firebase project whose ID tokens the service accepts. */
    firebaseProjectId: projectId,
    /**
     * The Firebase project's Cloud Storage bucket, where the app kept walk
     * thumbnails (the Firestore migration reads them). Defaults to the name of
     * a default bucket provisioned since October 2024; an older project's is
     * `<id>.appspot.com`: set `<env>.firebaseStorageBucket`.
     */
    firebaseStorageBucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/, 'must be a Cloud Storage bucket name'),
    /**
     * Paused: Cloud SQL activation policy NEVER and workloads at zero
     * (`npm run env -- pause <env>`). Data, backups and state stay.
     */
    paused: z.boolean(),
    /**
     * Hibernated: the GKE cluster is removed too (its cluster and app stacks
     * destroyed first) and Cloud SQL is stopped; database, backups, buckets
     * and state stay (`npm run env -- hibernate <env>`).
     */
    hibernated: z.boolean(),
    /**
     * `npm run env` (and CI's scheduled pause/resume) applies without a
     * reviewed plan. Only for an environment whose every change may happen
     * unattended; elsewhere Terraform shows the plan and waits for "yes".
     */
    unattendedApply: z.boolean(),
    /**
     * Scheduled pause and resume as the UTC crons of
     * .github/workflows/env-schedule.yml (a test holds them equal); null:
     * always running. Backups must fall inside the running hours.
     */
    runSchedule: z.object({ pauseCronUtc: z.string(), resumeCronUtc: z.string() }).nullable(),
    /** Per-PR preview environments live on this environment's cluster and instance. */
    hostsPreviews: z.boolean(),
    network: networkSchema,
    gke: gkeSchema,
    database: databaseSchema,
    service: serviceSchema,
    walkImages: walkImagesSchema,
    shareImageWorker: shareImageWorkerSchema,
    edge: edgeSchema,
    observability: observabilitySchema,
    budget: budgetSchema,
  })
  .superRefine((env, ctx) => {
    const issue = (path: (string | number)[], value: unknown, fix: string) =>
      ctx.addIssue({ code: 'custom', path, message: `got ${JSON.stringify(value)}; ${fix}` });

    if (env.shareImageWorker.maxReplicas < env.shareImageWorker.minReplicas) {
      issue(
        ['shareImageWorker', 'maxReplicas'],
        env.shareImageWorker.maxReplicas,
        `set it >= shareImageWorker.minReplicas (${env.shareImageWorker.minReplicas})`,
      );
    }
    if (env.service.maxReplicas < env.service.minReplicas) {
      issue(
        ['service', 'maxReplicas'],
        env.service.maxReplicas,
        `set it >= service.minReplicas (${env.service.minReplicas})`,
      );
    }
    const canary = env.service.canary;
    if (canary) {
      if (canary.stepWeights.some((w, i) => i > 0 && w <= canary.stepWeights[i - 1]!)) {
        issue(
          ['service', 'canary', 'stepWeights'],
          canary.stepWeights,
          'weights must increase, e.g. [10, 50]',
        );
      }
      for (const problem of canaryPlanProblems(canary)) {
        ctx.addIssue({ code: 'custom', path: ['service', 'canary'], message: problem });
      }
      if (env.service.minReplicas === env.service.maxReplicas) {
        issue(
          ['service', 'maxReplicas'],
          env.service.maxReplicas,
          'a canary needs minReplicas < maxReplicas (Flagger scales the primary by HPA)',
        );
      }
    }
    if (env.hibernated && env.gke.deletionProtection) {
      issue(
        ['hibernated'],
        true,
        'a deletion-protected cluster cannot be removed; hibernate needs gke.deletionProtection: false',
      );
    }
    if (env.database.diskAutoresizeLimitGb < env.database.diskSizeGb) {
      issue(
        ['database', 'diskAutoresizeLimitGb'],
        env.database.diskAutoresizeLimitGb,
        `set it >= database.diskSizeGb (${env.database.diskSizeGb})`,
      );
    }
    if (env.database.edition === 'ENTERPRISE' && env.database.tier.startsWith('db-perf-optimized')) {
      issue(
        ['database', 'tier'],
        env.database.tier,
        'perf-optimized tiers need edition ENTERPRISE_PLUS; use db-custom-<vCPU>-<MiB>',
      );
    }
    const sharedCore = /^db-(f1-micro|g1-small)$/.test(env.database.tier);
    if (sharedCore && env.database.availabilityType === 'REGIONAL') {
      issue(
        ['database', 'availabilityType'],
        'REGIONAL',
        'shared-core tiers carry no SLA; use a db-custom tier for REGIONAL',
      );
    }
    const deny = env.database.denyMaintenancePeriod;
    const denyFrom = deny && Date.parse(`${deny.startDate}T${deny.time}Z`);
    const denyTo = deny && Date.parse(`${deny.endDate}T${deny.time}Z`);
    if (deny && denyTo! <= denyFrom!) {
      issue(
        ['database', 'denyMaintenancePeriod', 'endDate'],
        deny.endDate,
        `must be after ${deny.startDate}`,
      );
    }
    for (const [i, ex] of env.gke.maintenanceExclusions.entries()) {
      if (Date.parse(ex.endTime) <= Date.parse(ex.startTime)) {
        issue(
          ['gke', 'maintenanceExclusions', i, 'endTime'],
          ex.endTime,
          `must be after startTime ${ex.startTime}`,
        );
      }
      // A freeze of the cluster is a freeze of its database too.
      if (!deny || denyFrom! > Date.parse(ex.startTime) || denyTo! < Date.parse(ex.endTime)) {
        issue(
          ['database', 'denyMaintenancePeriod'],
          deny,
          `must cover gke.maintenanceExclusions "${ex.name}" (${ex.startTime} – ${ex.endTime})`,
        );
      }
    }
    // Both maintenances in one hour would restart the database while nodes drain.
    const sqlMaintenance = cloudSqlMaintenanceWindow(
      env.database.maintenanceDay,
      env.database.maintenanceHourUtc,
    );
    const clash = gkeMaintenanceWindows(
      env.gke.maintenanceDays,
      env.gke.maintenanceStartHourUtc,
      env.gke.maintenanceDurationHours,
    ).find((w) => overlaps(w, sqlMaintenance));
    if (clash) {
      issue(
        ['database', 'maintenanceDay'],
        env.database.maintenanceDay,
        `Cloud SQL maintenance (${sqlMaintenance.label}) overlaps GKE's window (${clash.label}); move one`,
      );
    }
    if (env.runSchedule) {
      // Cloud SQL takes no automated backup of a stopped instance: every running period needs a whole window.
      let running: ReturnType<typeof runningWindows> = [];
      try {
        running = runningWindows(env.runSchedule.pauseCronUtc, env.runSchedule.resumeCronUtc);
      } catch (e) {
        issue(['runSchedule'], env.runSchedule, (e as Error).message);
      }
      const backups = cloudSqlBackupWindows(env.database.backupStartHourUtc);
      for (const period of running) {
        if (!backups.some((b) => contains(period, b))) {
          issue(
            ['database', 'backupStartHourUtc'],
            env.database.backupStartHourUtc,
            `the backup window (${backups[0]!.minutes / 60} h) must lie inside the running period ${period.label} of runSchedule`,
          );
        }
      }
    }

    // Canary windows are sized in scrapes of SCRAPE_INTERVAL_SECONDS (canary-analysis.ts).
    if (canary && env.observability.scrapeIntervalSeconds !== SCRAPE_INTERVAL_SECONDS) {
      issue(
        ['observability', 'scrapeIntervalSeconds'],
        env.observability.scrapeIntervalSeconds,
        `a canary's check windows assume a ${SCRAPE_INTERVAL_SECONDS} s scrape; set observability.scrapeIntervalSeconds: ${SCRAPE_INTERVAL_SECONDS}`,
      );
    }

    // Environment-class rules: staging and prod carry real traffic or rehearse it.
    if (env.name === 'staging' || env.name === 'prod') {
      // Only the release repository (the main-branch build's) is admitted: no preview or hand-pushed image.
      if (!env.gke.binaryAuthorization) {
        issue(
          ['gke', 'binaryAuthorization'],
          false,
          `${env.name} admits only release images; set gke.binaryAuthorization: true`,
        );
      }
      if (!env.database.pointInTimeRecovery) {
        issue(
          ['database', 'pointInTimeRecovery'],
          false,
          `${env.name} must keep point-in-time recovery; set database.pointInTimeRecovery: true`,
        );
      }
      if (sharedCore) {
        issue(
          ['database', 'tier'],
          env.database.tier,
          `${env.name} needs a dedicated-core tier (db-custom-<vCPU>-<MiB>)`,
        );
      }
      if (!canary) {
        issue(
          ['service', 'canary'],
          null,
          `${env.name} deploys by canary; set service.canary with stepWeights [10, 50]`,
        );
      }
      if (env.walkImages.softDeleteRetentionDays === 0) {
        issue(
          ['walkImages', 'softDeleteRetentionDays'],
          0,
          `${env.name} keeps users' images restorable; set walkImages.softDeleteRetentionDays >= ${SOFT_DELETE_RETENTION_DAYS.value.min}`,
        );
      }
      if (env.gke.spotPods) {
        issue(
          ['gke', 'spotPods'],
          true,
          `${env.name} serves users: Spot Pods can all be reclaimed at once; set gke.spotPods: false`,
        );
      }
      if (env.edge.owaspRulesMode !== 'enforce') {
        issue(
          ['edge', 'owaspRulesMode'],
          env.edge.owaspRulesMode,
          `${env.name} must enforce the OWASP rules; set edge.owaspRulesMode: 'enforce'`,
        );
      }
    }
    if (env.name === 'prod') {
      if (env.database.availabilityType !== 'REGIONAL') {
        issue(
          ['database', 'availabilityType'],
          env.database.availabilityType,
          "prod must be highly available; set database.availabilityType: 'REGIONAL'",
        );
      }
      if (!env.database.terraformDeletionProtection) {
        issue(
          ['database', 'terraformDeletionProtection'],
          false,
          'prod keeps both deletion protections; set database.terraformDeletionProtection: true',
        );
      }
      if (!env.database.instanceDeletionProtection) {
        issue(
          ['database', 'instanceDeletionProtection'],
          false,
          'prod keeps both deletion protections; set database.instanceDeletionProtection: true',
        );
      }
      if (env.database.backupRetentionCount < 30) {
        issue(
          ['database', 'backupRetentionCount'],
          env.database.backupRetentionCount,
          'prod keeps at least 30 backups',
        );
      }
      if (!env.gke.deletionProtection) {
        issue(
          ['gke', 'deletionProtection'],
          false,
          'prod clusters are deletion-protected; set gke.deletionProtection: true',
        );
      }
      if (!env.edge.adaptiveProtection) {
        issue(
          ['edge', 'adaptiveProtection'],
          false,
          'prod enables Cloud Armor Adaptive Protection; set edge.adaptiveProtection: true',
        );
      }
      if (env.service.minReplicas < 3) {
        issue(
          ['service', 'minReplicas'],
          env.service.minReplicas,
          'prod runs at least 3 replicas (one per zone)',
        );
      }
      if (env.hostsPreviews) {
        issue(['hostsPreviews'], true, 'previews run on dev only; set hostsPreviews: false');
      }
    }
  });

export type EnvironmentConfig = z.infer<typeof environmentSchema>;
export type CanaryConfig = z.infer<typeof canarySchema>;

const bootstrapSchema = z.object({
  /** Project that holds the state bucket, the Artifact Registry and the CI identities. */
  projectId,
  region: z.string().regex(/^[a-z]+-[a-z]+\d$/, 'must be a region like asia-northeast1'),
  /** Versioned GCS bucket with every stack's state (one prefix per stack). */
  stateBucket: z.string().regex(/^[a-z0-9][-_.a-z0-9]{1,61}[a-z0-9]$/, 'must be a GCS bucket name'),
  /** `owner/name` of the GitHub repository (descriptions only: names can be re-registered). */
  githubRepository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/name'),
  /**
   * The trust anchor of the identity federation: GitHub's immutable numeric
   * ids of the repository and its owner (`repository_id`,
   * `repository_owner_id` OIDC claims; `gh api repos/<owner>/<name> --jq
   * '.id, .owner.id'`). Without context they are '0', which no token carries:
   * an example synth trusts no repository.
   */
  githubRepositoryId: z.string().regex(/^\d{1,20}$/, 'must be the numeric GitHub repository id'),
  githubRepositoryOwnerId: z.string().regex(/^\d{1,20}$/, 'must be the numeric GitHub owner id'),
  /** Git ref whose workflows may apply (the plan identity accepts any ref of the repository). */
  githubDeployRef: z.string().regex(/^refs\/(heads|tags)\/.+$/, 'must be a full ref like refs/heads/main'),
  /** Billing account for the budgets, `XXXXXX-XXXXXX-XXXXXX`. */
  billingAccount: z
    .string()
    .regex(/^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$/, 'must look like 012345-6789AB-CDEF01'),
  /**
   * false (first run): the bootstrap stack keeps its state in a local file,
   * since the bucket does not exist yet; true once it was migrated into the
   * bucket (docs/deploy.md).
   */
  stateInBucket: z.boolean(),
  /** Artifact Registry: tagged versions kept per image beyond the newest. */
  keepRecentImageVersions: z.number().int().min(1).max(1000),
  /** Artifact Registry: untagged images deleted after this many days. */
  deleteUntaggedImagesAfterDays: z.number().int().min(1).max(365),
});

export type BootstrapConfig = z.infer<typeof bootstrapSchema>;

// ---------------------------------------------------------------------------
// Defaults (the DESIGN.md table)
// ---------------------------------------------------------------------------

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

/**
 * Staging has no users to judge: the load tester sends 2 requests/s to the canary Service for 270 s
 * from each tick, 420 of them in each 4-minute check window. Timelines per environment: docs/adr/0120.
 */
const CANARY_STAGING: CanaryConfig = {
  stepWeights: [10, 50],
  intervalSeconds: 300,
  routeUpdateWaitSeconds: 60,
  failedChecksBeforeRollback: 2,
  loadTestRequestsPerSecond: 2,
  plannedUserRequestsPerSecond: 0,
};

/**
 * Prod is judged on users only (synthetic successes would dilute their error ratio): three
 * 10-minute steps so the 10 % step still sees 108 user requests at the planned 2 requests/s.
 */
const CANARY_PROD: CanaryConfig = {
  stepWeights: [10, 25, 50],
  intervalSeconds: 600,
  routeUpdateWaitSeconds: 60,
  failedChecksBeforeRollback: 2,
  loadTestRequestsPerSecond: 0,
  plannedUserRequestsPerSecond: 2,
};

function baseline(
  name: EnvironmentName,
): Omit<
  EnvironmentConfig,
  'name' | 'projectId' | 'domain' | 'hostname' | 'firebaseProjectId' | 'firebaseStorageBucket'
> {
  return {
    region: DEFAULT_REGION,
    paused: false,
    hibernated: false,
    unattendedApply: false,
    runSchedule: null,
    hostsPreviews: false,
    network: {
      subnetCidr: '10.0.0.0/20',
      podsCidr: '10.4.0.0/14',
      servicesCidr: '10.8.0.0/20',
      privateServiceAccessCidr: '10.9.0.0/20',
      controlPlaneCidr: '172.16.0.0/28',
      natMinPortsPerVm: 64,
    },
    gke: {
      releaseChannel: 'REGULAR',
      deletionProtection: false,
      binaryAuthorization: false,
      maintenanceStartHourUtc: 17, // 02:00 JST
      maintenanceDurationHours: 4,
      maintenanceDays: ['TU', 'WE', 'TH'],
      maintenanceExclusions: [],
      freeTierCredit: false,
      spotPods: false,
    },
    database: {
      instanceName: sqlInstanceName(name),
      edition: 'ENTERPRISE',
      tier: 'db-g1-small',
      availabilityType: 'ZONAL',
      diskSizeGb: 10,
      diskAutoresizeLimitGb: 50,
      backupStartHourUtc: 16, // 01:00 JST
      backupRetentionCount: 7,
      pointInTimeRecovery: false,
      transactionLogRetentionDays: 7,
      // Every environment's database outlives pause, hibernate and a mistaken destroy (ADR 0201).
      terraformDeletionProtection: true,
      instanceDeletionProtection: true,
      maintenanceDay: 7, // Sunday 18:00 UTC (Monday 03:00 JST), outside GKE's Tue–Thu window
      maintenanceHourUtc: 18,
      denyMaintenancePeriod: null,
      maxConnections: 50,
    },
    service: {
      minReplicas: 1,
      maxReplicas: 2,
      cpuMillis: 250,
      memoryMiB: 512,
      dbPoolMax: 5,
      rolloutPercent: 100,
      logLevel: 'debug',
      traceSampleRatio: 1,
      canary: null,
    },
    walkImages: { shareImageRetentionDays: 30, softDeleteRetentionDays: 7 },
    shareImageWorker: {
      minReplicas: 0,
      maxReplicas: 1,
      jobsPerReplica: 5,
      cooldownSeconds: 300,
      concurrency: 1,
      cpuMillis: 500,
      memoryMiB: 512,
    },
    edge: {
      owaspRulesMode: 'preview',
      httpRedirectListener: true,
      owaspSensitivity: 1,
      rateLimitRequests: 600,
      rateLimitIntervalSeconds: 60,
      banDurationSeconds: 600,
      adaptiveProtection: false,
    },
    observability: {
      lokiRetentionDays: 7,
      alertRouting: 'ticket',
      scrapeIntervalSeconds: 15,
      uptimeCheckPeriodSeconds: 300,
      sqlCpuUtilizationThreshold: 0.9,
      sqlDiskUtilizationThreshold: 0.85,
      sqlConnectionsThreshold: 0.9,
      notificationEmail: '',
    },
    budget: { monthlyAmount: 250, currencyCode: 'USD', alertThresholds: [0.5, 0.9, 1] },
  };
}

/** What each environment changes from the baseline. Read this to see how they differ. */
const DIFFERENCES: Record<EnvironmentName, DeepPartial<EnvironmentConfig>> = {
  dev: {
    hostsPreviews: true,
    unattendedApply: true,
    // Weekdays 08:00–20:00 JST; stopped nights and weekends (env-schedule.yml).
    runSchedule: { pauseCronUtc: '0 11 * * 1-5', resumeCronUtc: '0 23 * * 0-4' },
    // 10:00–14:00 JST: inside the running hours, so each weekday gets its backup.
    // Shared-core tier: dev's load is a handful of developers (ADR 0170).
    database: { backupStartHourUtc: 1, tier: 'db-f1-micro' },
    // The billing account's free-tier credit pays dev's cluster fee; Spot Pods (ADR 0170).
    gke: { freeTierCredit: true, spotPods: true },
    observability: { scrapeIntervalSeconds: 30 },
    // Test images only: a deletion is final, and share images go after a week (ADR 0260).
    walkImages: { shareImageRetentionDays: 7, softDeleteRetentionDays: 0 },
    // The same policy attachment with only the rate ban and default rule; HTTPS only (ADR 0170).
    edge: { owaspRulesMode: 'off', httpRedirectListener: false },
  },
  staging: {
    network: {
      subnetCidr: '10.16.0.0/20',
      podsCidr: '10.20.0.0/14',
      servicesCidr: '10.24.0.0/20',
      privateServiceAccessCidr: '10.25.0.0/20',
      controlPlaneCidr: '172.16.0.16/28',
    },
    database: {
      tier: 'db-custom-1-3840',
      pointInTimeRecovery: true,
      backupRetentionCount: 14,
      instanceDeletionProtection: true,
      maxConnections: 100,
    },
    gke: { binaryAuthorization: true },
    service: {
      minReplicas: 2,
      maxReplicas: 4,
      logLevel: 'info',
      traceSampleRatio: 0.5,
      canary: CANARY_STAGING,
    },
    edge: { owaspRulesMode: 'enforce' },
    // Rehearses prod's scaling from zero; at most two pods (ADR 0262).
    shareImageWorker: { maxReplicas: 2 },
    observability: { lokiRetentionDays: 14, uptimeCheckPeriodSeconds: 60 },
    budget: { monthlyAmount: 350 },
  },
  prod: {
    network: {
      subnetCidr: '10.32.0.0/20',
      podsCidr: '10.36.0.0/14',
      servicesCidr: '10.40.0.0/20',
      privateServiceAccessCidr: '10.41.0.0/20',
      controlPlaneCidr: '172.16.0.32/28',
      natMinPortsPerVm: 256,
    },
    gke: {
      releaseChannel: 'REGULAR',
      deletionProtection: true,
      binaryAuthorization: true,
      maintenanceDays: ['TU', 'WE'],
      maintenanceDurationHours: 6,
      maintenanceExclusions: [
        {
          name: 'year-end-freeze',
          startTime: '2026-12-25T00:00:00Z',
          endTime: '2027-01-05T00:00:00Z',
          scope: 'NO_MINOR_UPGRADES',
        },
      ],
    },
    database: {
      tier: 'db-custom-2-7680',
      availabilityType: 'REGIONAL',
      diskSizeGb: 20,
      diskAutoresizeLimitGb: 200,
      pointInTimeRecovery: true,
      backupRetentionCount: 30,
      terraformDeletionProtection: true,
      instanceDeletionProtection: true,
      // The year-end freeze of gke.maintenanceExclusions, for the database too.
      denyMaintenancePeriod: { startDate: '2026-12-25', endDate: '2027-01-05', time: '00:00:00' },
      maxConnections: 200,
    },
    service: {
      minReplicas: 3,
      maxReplicas: 10,
      cpuMillis: 500,
      memoryMiB: 1024,
      // 2 (primary + canary during an analysis) × 10 replicas × 8 + the migrations Job fits
      // max_connections 200 minus reserved (infra/test/app-crosslayer.test.ts).
      dbPoolMax: 8,
      rolloutPercent: 10,
      logLevel: 'info',
      traceSampleRatio: 0.05,
      canary: CANARY_PROD,
    },
    edge: { owaspRulesMode: 'enforce', adaptiveProtection: true },
    // Users' thumbnails stay restorable for a month; one warm worker answers without a cold start, and
    // two at most fit max_connections beside the service at full scale (ADR 0262).
    walkImages: { softDeleteRetentionDays: 30 },
    shareImageWorker: { minReplicas: 1, maxReplicas: 2 },
    observability: {
      lokiRetentionDays: 30,
      alertRouting: 'page',
      uptimeCheckPeriodSeconds: 60,
      sqlCpuUtilizationThreshold: 0.8,
      sqlDiskUtilizationThreshold: 0.8,
      sqlConnectionsThreshold: 0.8,
    },
    budget: { monthlyAmount: 900 },
  },
};

// ---------------------------------------------------------------------------
// Loading: defaults + context/env overrides, validated once
// ---------------------------------------------------------------------------

/**
 * Context keys (cdktf context, or the env var in brackets):
 * - `region` [TEKUTOKO_REGION], `bootstrap.projectId` [TEKUTOKO_BOOTSTRAP_PROJECT_ID],
 *   `stateBucket` [TEKUTOKO_STATE_BUCKET], `githubRepository` [TEKUTOKO_GITHUB_REPOSITORY],
 *   `billingAccount` [TEKUTOKO_BILLING_ACCOUNT], `githubDeployRef`,
 *   `bootstrap.stateInBucket` (true once bootstrap state moved into the bucket)
 * - per environment `<env>.projectId`, `<env>.domain`, `<env>.firebaseProjectId`,
 *   `<env>.firebaseStorageBucket`,
 *   `<env>.paused`, `<env>.hibernated`, `<env>.notificationEmail` [TEKUTOKO_<ENV>_PROJECT_ID, …],
 *   `<env>.sqlInstanceName` (the instance the environment uses after a restore to a new
 *   instance, runbooks/database.md) [TEKUTOKO_<ENV>_SQL_INSTANCE_NAME]
 * - `pr` [PREVIEW_PR]: the pull request whose preview stack to synthesize.
 * - `githubRepositoryId`, `githubRepositoryOwnerId` [TEKUTOKO_GITHUB_REPOSITORY_ID, …]: the
 *   federation's trust anchor; `requireContext` [TEKUTOKO_REQUIRE_CONTEXT]: fail on any
 *   missing DEPLOY_REQUIRED_KEYS instead of using a placeholder.
 */
export type ConfigInput = Readonly<Record<string, unknown>>;

/** The env var that can carry a context key: `dev.projectId` → `TEKUTOKO_DEV_PROJECT_ID`. */
export function envVarForKey(key: string): string {
  if (key === 'pr') return 'PREVIEW_PR';
  return `TEKUTOKO_${key
    .replace(/\./g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()}`;
}

/** Context wins over env vars; both are optional. */
function lookup(context: ConfigInput, env: ConfigInput, key: string): unknown {
  const fromContext = context[key];
  if (fromContext !== undefined && fromContext !== '') return fromContext;
  const fromEnv = env[envVarForKey(key)];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

function asBoolean(value: unknown): unknown {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return value;
}

function deepMerge<T>(base: T, patch: DeepPartial<T> | undefined): T {
  if (!patch) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    const b = out[k];
    const isObj = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
    out[k] = isObj(b) && isObj(v) ? deepMerge(b, v as DeepPartial<typeof b>) : v;
  }
  return out as T;
}

export class EnvironmentConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid environment configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EnvironmentConfigError';
  }
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, prefix: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new EnvironmentConfigError(
    result.error.issues.map((i) => {
      const path = [prefix, ...i.path.map(String)].join('.');
      const actual = i.path.reduce<unknown>(
        (v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey],
        value,
      );
      const got = i.code === 'custom' ? '' : ` (got ${JSON.stringify(actual)})`;
      return `${path}: ${i.message}${got}`;
    }),
  );
}

/** Validates one environment; throws EnvironmentConfigError naming field, value and fix. */
export function validateEnvironment(raw: unknown): EnvironmentConfig {
  const name = (raw as { name?: unknown } | undefined)?.name;
  return parseOrThrow(environmentSchema, raw, `environments.${typeof name === 'string' ? name : '?'}`);
}

/** The unvalidated defaults of one environment with placeholders; for tests that mutate a field. */
export function defaultEnvironment(name: EnvironmentName): EnvironmentConfig {
  const domain = `${name}.tekutoko.example`;
  return deepMerge(
    {
      name,
      projectId: `tekutoko-${name}-example`,
      domain,
      hostname: `api.${domain}`,
      firebaseProjectId: `tekutoko-${name}-example`,
      firebaseStorageBucket: `tekutoko-${name}-example${FIREBASE_DEFAULT_BUCKET_SUFFIX.value}`,
      ...baseline(name),
    },
    DIFFERENCES[name],
  );
}

export interface Environments {
  readonly bootstrap: BootstrapConfig;
  readonly environments: Readonly<Record<EnvironmentName, EnvironmentConfig>>;
  /** Pull request whose preview stack is requested (`pr` context or PREVIEW_PR), if any. */
  readonly previewPr?: number;
}

function loadBootstrap(context: ConfigInput, env: ConfigInput): BootstrapConfig {
  const projectId = lookup(context, env, 'bootstrap.projectId') ?? 'tekutoko-ops-example';
  return parseOrThrow(
    bootstrapSchema,
    {
      projectId,
      region: lookup(context, env, 'region') ?? DEFAULT_REGION,
      stateBucket: lookup(context, env, 'stateBucket') ?? stateBucketName(String(projectId)),
      githubRepository: lookup(context, env, 'githubRepository') ?? 'tekutoko/tekutoko-platform',
      githubRepositoryId: String(lookup(context, env, 'githubRepositoryId') ?? '0'),
      githubRepositoryOwnerId: String(lookup(context, env, 'githubRepositoryOwnerId') ?? '0'),
      githubDeployRef: lookup(context, env, 'githubDeployRef') ?? 'refs/heads/main',
      billingAccount: lookup(context, env, 'billingAccount') ?? '000000-000000-000000',
      stateInBucket: asBoolean(lookup(context, env, 'bootstrap.stateInBucket') ?? false),
      keepRecentImageVersions: 30,
      deleteUntaggedImagesAfterDays: 14,
    },
    'bootstrap',
  );
}

function loadOne(name: EnvironmentName, context: ConfigInput, env: ConfigInput): EnvironmentConfig {
  const defaults = defaultEnvironment(name);
  const get = (field: string) => lookup(context, env, `${name}.${field}`);
  const domain = (get('domain') as string | undefined) ?? defaults.domain;
  const projectId = (get('projectId') as string | undefined) ?? defaults.projectId;
  const region = (lookup(context, env, 'region') as string | undefined) ?? defaults.region;
  const email = get('notificationEmail');
  const firebaseProjectId = get('firebaseProjectId') ?? projectId;
  return validateEnvironment({
    ...defaults,
    projectId,
    region,
    domain,
    hostname: (get('hostname') as string | undefined) ?? `api.${domain}`,
    firebaseProjectId: firebaseProjectId,
    firebaseStorageBucket:
      get('firebaseStorageBucket') ?? `${firebaseProjectId}${FIREBASE_DEFAULT_BUCKET_SUFFIX.value}`,
    paused: asBoolean(get('paused') ?? defaults.paused),
    hibernated: asBoolean(get('hibernated') ?? defaults.hibernated),
    database: {
      ...defaults.database,
      instanceName: get('sqlInstanceName') ?? defaults.database.instanceName,
    },
    observability: {
      ...defaults.observability,
      notificationEmail: email ?? defaults.observability.notificationEmail,
    },
  });
}

/** Parses `pr` / PREVIEW_PR; throws naming the value when it is not a PR number. */
export function previewPullRequest(context: ConfigInput, env: ConfigInput = {}): number | undefined {
  const raw = lookup(context, env, 'pr');
  if (raw === undefined) return undefined;
  const pr = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(pr) || pr < 1 || pr > 999999) {
    throw new EnvironmentConfigError([
      `pr: got ${JSON.stringify(raw)}; give a pull request number in 1..999999 (-c pr=123 or PREVIEW_PR=123)`,
    ]);
  }
  return pr;
}

/**
 * Keys a deploy cannot do without: with `requireContext` each must be set
 * (context or its env var), never a placeholder. The repository ids are the
 * federation's trust anchor; the others name real projects and money.
 */
export const DEPLOY_REQUIRED_KEYS: readonly string[] = [
  'bootstrap.projectId',
  'billingAccount',
  'githubRepository',
  'githubRepositoryId',
  'githubRepositoryOwnerId',
  ...ENVIRONMENT_NAMES.flatMap((n) => [`${n}.projectId`, `${n}.domain`]),
];

/** `requireContext` [TEKUTOKO_REQUIRE_CONTEXT]: true for every synth a deploy or plan uses. */
export function contextRequired(context: ConfigInput, env: ConfigInput, fallback = false): boolean {
  const raw = asBoolean(lookup(context, env, 'requireContext'));
  if (raw === undefined) return fallback;
  if (typeof raw !== 'boolean')
    throw new EnvironmentConfigError([`requireContext: must be true or false (got ${JSON.stringify(raw)})`]);
  return raw;
}

/** The DEPLOY_REQUIRED_KEYS neither context nor env sets, as "key [ENV_VAR]". */
export function missingDeployKeys(context: ConfigInput, env: ConfigInput): string[] {
  return DEPLOY_REQUIRED_KEYS.filter((k) => lookup(context, env, k) === undefined).map(
    (k) => `${k} [${envVarForKey(k)}]`,
  );
}

/**
 * Every environment, validated once. `context` is cdktf context (or any
 * key/value map); `env` is usually `process.env` (read by the caller).
 * With `requireContext` (context, TEKUTOKO_REQUIRE_CONTEXT, or
 * `options.requireContext`), a missing deploy key fails naming it.
 */
export function loadEnvironments(
  context: ConfigInput = {},
  env: ConfigInput = {},
  options: { readonly requireContext?: boolean } = {},
): Environments {
  const problems: string[] = [];
  if (contextRequired(context, env, options.requireContext ?? false)) {
    problems.push(
      ...missingDeployKeys(context, env).map(
        (k) => `${k}: required for a deploy or plan; set it in cdktf.json "context" or the environment`,
      ),
    );
  }
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof EnvironmentConfigError) problems.push(...e.problems);
      else throw e;
      return undefined;
    }
  };
  const bootstrap = attempt(() => loadBootstrap(context, env));
  const environments = Object.fromEntries(
    ENVIRONMENT_NAMES.map((n) => [n, attempt(() => loadOne(n, context, env))]),
  );
  const previewPr = attempt(() => previewPullRequest(context, env));
  if (problems.length > 0) throw new EnvironmentConfigError(problems);
  const hosts = ENVIRONMENT_NAMES.filter((n) => environments[n]!.hostsPreviews);
  const credited = ENVIRONMENT_NAMES.filter((n) => environments[n]!.gke.freeTierCredit);
  if (credited.length > 1) {
    throw new EnvironmentConfigError([
      `gke.freeTierCredit: the billing account's GKE free tier covers one cluster, claimed by [${credited.join(', ')}]`,
    ]);
  }
  if (hosts.length !== 1) {
    throw new EnvironmentConfigError([
      `hostsPreviews: exactly one environment hosts previews, got [${hosts.join(', ')}]`,
    ]);
  }
  return {
    bootstrap: bootstrap!,
    environments: environments as Record<EnvironmentName, EnvironmentConfig>,
    ...(previewPr === undefined ? {} : { previewPr }),
  };
}

/** One environment's validated config. */
export function environmentConfig(
  name: EnvironmentName,
  context: ConfigInput = {},
  env: ConfigInput = {},
): EnvironmentConfig {
  if (!ENVIRONMENT_NAMES.includes(name)) {
    throw new EnvironmentConfigError([
      `environment: got ${JSON.stringify(name)}; use one of ${ENVIRONMENT_NAMES.join(', ')}`,
    ]);
  }
  return loadEnvironments(context, env).environments[name];
}

// ---------------------------------------------------------------------------
// Derived values other layers need (computed, never retyped)
// ---------------------------------------------------------------------------

/** Cloud SQL connection name `project:region:instance` the Auth Proxy dials. */
export function cloudSqlConnectionName(env: EnvironmentConfig): string {
  return `${env.projectId}:${env.region}:${env.database.instanceName}`;
}

/** Image repository of walk-service (in the bootstrap project's Artifact Registry). */
export function serviceImageRepository(bootstrap: BootstrapConfig): string {
  return serviceImage(bootstrap.region, bootstrap.projectId);
}

/** Image repository of pull-request builds: readable by the preview host's nodes only. */
export function previewImageRepository(bootstrap: BootstrapConfig): string {
  return serviceImage(bootstrap.region, bootstrap.projectId, PREVIEW_ARTIFACT_REPOSITORY_ID);
}

/** Artifact Registry repository resource path, `projects/<p>/locations/<r>/repositories/<id>`. */
export function artifactRepositoryPath(bootstrap: BootstrapConfig): string {
  return `projects/${bootstrap.projectId}/locations/${bootstrap.region}/repositories/${ARTIFACT_REPOSITORY_ID}`;
}

/** Hostname of the preview of pull request `pr` on the preview-hosting environment. */
export function previewHostname(host: EnvironmentConfig, pr: number): string {
  return `pr-${pr}.${host.domain}`;
}

/** The environment that hosts previews (dev by default). */
export function previewHost(all: Environments): EnvironmentConfig {
  return ENVIRONMENT_NAMES.map((n) => all.environments[n]).find((e) => e.hostsPreviews)!;
}
