import { MIN_CHECK_WINDOW_SECONDS } from '../../config/canary-analysis';
import { ServiceIdentity } from '../../config/names';
import { ShutdownTiming } from '../lib/shutdown';

export type DeployedAppEnv = 'dev' | 'staging' | 'prod' | 'preview';

/**
 * Progressive delivery with Flagger; absent means a plain rolling update.
 * The verdict's thresholds are not props: they are the SLIs' (config/sli.ts).
 */
export interface CanaryAnalysisProps {
  /** Canary traffic weights in percent before promotion to 100 %, e.g. [10, 50]. */
  readonly stepWeights: readonly number[];
  /** Seconds between analysis steps. */
  readonly intervalSeconds: number;
  /** Seconds the load balancer may take to apply a weight; the check window starts after it. */
  readonly routeUpdateWaitSeconds: number;
  /** Failed metric checks after which Flagger rolls back. */
  readonly failedChecksBeforeRollback: number;
  /** Load tester requests per second to the canary Service while the analysis runs; 0 for none. */
  readonly loadTestRequestsPerSecond: number;
}

function sizingProblems(field: string, r: ResourceSizing): string[] {
  return r.cpuMillis < 50 || r.memoryMiB < 64
    ? [`${field} must request at least 50m CPU and 64 MiB, got ${r.cpuMillis}m/${r.memoryMiB}Mi`]
    : [];
}

export interface ResourceSizing {
  /** CPU request in millicores (Autopilot bills requests). */
  readonly cpuMillis: number;
  /** Memory request in MiB; also the limit (Autopilot sets limit = request). */
  readonly memoryMiB: number;
}

/** The share-image worker (charts/walk-service/share-image-worker.ts, ADR 0262). */
export interface ShareImageWorkerProps {
  /** Replicas with no job waiting (0: KEDA scales the Deployment to zero). */
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Waiting jobs per replica KEDA aims at. */
  readonly jobsPerReplica: number;
  /** Seconds without waiting jobs before KEDA scales down to minReplicas. */
  readonly cooldownSeconds: number;
  /** SHARE_IMAGE_WORKER_CONCURRENCY. */
  readonly concurrency: number;
  readonly resources: ResourceSizing;
  /** SHUTDOWN_TIMEOUT_MS: finish or release the job in hand; the grace period adds 10 s. */
  readonly shutdownTimeoutMs: number;
  /** @default the service's — Kubernetes service account of the worker (previews share the service's). */
  readonly kubernetesServiceAccount?: string;
  /** @default the service's — Google service account id (its own IAM database user follows). */
  readonly googleServiceAccountId?: string;
}

export interface WalkServiceProps {
  /** APP_ENV of the service. */
  readonly appEnv: DeployedAppEnv;
  readonly projectId: string;
  readonly region: string;
  /** Namespace, KSA, GSA id and database of this deployment (config/names.ts). */
  readonly identity: ServiceIdentity;
  /** Image repository without tag or digest: `names.serviceImage()` of the Artifact Registry project. */
  readonly imageRepository: string;
  /** Image digest `sha256:<64 hex>`. */
  readonly imageDigest: string;
  /** Cloud SQL instance connection name `project:region:instance`. */
  readonly cloudSqlInstanceConnectionName: string;
  /** Public hostname of the service on the shared Gateway. */
  readonly hostname: string;
  /**
   * Replica range. Equal min and max means a fixed replica count and no HPA.
   */
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** @default 70 — HPA target for average CPU utilisation of requests, in percent. */
  readonly targetCpuUtilizationPercent?: number;
  readonly resources: ResourceSizing;
  /** @default false — run on Autopilot Spot Pods (reclaimable capacity at a lower price). */
  readonly spotPods?: boolean;
  /** @default 15 — Managed Prometheus scrape interval of the pods, in seconds. */
  readonly scrapeIntervalSeconds?: number;
  /** @default no canary: Kubernetes rolling update. */
  readonly canary?: CanaryAnalysisProps;
  /** FIREBASE_PROJECT_ID for ID token verification. */
  readonly firebaseProjectId: string;
  /** ROLLOUT_PERCENT of the iOS cohort that uses this backend. */
  readonly rolloutPercent: number;
  /** @default 10 — DB_POOL_MAX per pod. */
  readonly dbPoolMax?: number;
  /** @default 'info' */
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /**
   * @default 0 — tracing off. Share of requests traced (OTEL_TRACES_SAMPLER_ARG);
   * above 0 the spans go to the Telemetry API as the pod's identity (ADR 0242).
   */
  readonly traceSampleRatio?: number;
  /**
   * @default 2 — TRUST_PROXY hops: the Google load balancer appends the client
   * and its own address to X-Forwarded-For.
   */
  readonly trustProxyHops?: number;
  /** CIDRs of the Cloud SQL private IP range (the database path). */
  readonly databaseCidrs: string[];
  /** @default [PRIVATE_GOOGLE_APIS_CIDR] — Google APIs reached on 443 (Cloud SQL Admin, Firebase keys). */
  readonly googleApisCidrs?: string[];
  /** @default DEFAULT_SHUTDOWN_TIMING */
  readonly shutdown?: ShutdownTiming;
  /** @default {} — extra labels on every object (preview PR number, expiry). */
  readonly extraLabels?: Record<string, string>;
  /** WALK_IMAGES_BUCKET: the bucket of thumbnails and share images. */
  readonly walkImagesBucket: string;
  /** @default no worker — the share-image worker beside the service. */
  readonly shareImageWorker?: ShareImageWorkerProps;
  /** @default 'latest' — Secret Manager version of the signing key ring. */
  readonly signingKeysVersion?: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CONNECTION_NAME = /^[a-z][-a-z0-9]{4,28}[a-z0-9]:[a-z]+-[a-z]+[0-9]:[a-z][-a-z0-9]*$/;

/** Eager checks: each error names the prop, the value and what is allowed. */
export function validateWalkServiceProps(p: WalkServiceProps): void {
  const errors: string[] = [];
  if (!/^[a-z0-9-]+-docker\.pkg\.dev\/[a-z][-a-z0-9]+\/[a-z0-9-]+\/[a-z0-9-]+$/.test(p.imageRepository)) {
    errors.push(
      `imageRepository must be <region>-docker.pkg.dev/<project>/<repo>/<image>, got "${p.imageRepository}"`,
    );
  }
  if (!DIGEST.test(p.imageDigest)) errors.push(`imageDigest must be sha256:<64 hex>, got "${p.imageDigest}"`);
  if (!HOSTNAME.test(p.hostname)) errors.push(`hostname must be a DNS name, got "${p.hostname}"`);
  if (!CONNECTION_NAME.test(p.cloudSqlInstanceConnectionName)) {
    errors.push(
      `cloudSqlInstanceConnectionName must be project:region:instance, got "${p.cloudSqlInstanceConnectionName}"`,
    );
  }
  if (!Number.isInteger(p.minReplicas) || p.minReplicas < 1)
    errors.push(`minReplicas must be an integer >= 1, got ${p.minReplicas}`);
  if (!Number.isInteger(p.maxReplicas) || p.maxReplicas < p.minReplicas) {
    errors.push(`maxReplicas must be an integer >= minReplicas (${p.minReplicas}), got ${p.maxReplicas}`);
  }
  errors.push(...sizingProblems('resources', p.resources));
  if (p.traceSampleRatio !== undefined && !(p.traceSampleRatio >= 0 && p.traceSampleRatio <= 1))
    errors.push(`traceSampleRatio must be in 0..1, got ${p.traceSampleRatio}`);
  if (!(p.rolloutPercent >= 0 && p.rolloutPercent <= 100))
    errors.push(`rolloutPercent must be in 0..100, got ${p.rolloutPercent}`);
  if (p.databaseCidrs.length === 0) errors.push('databaseCidrs must name the Cloud SQL private range');
  if (p.canary) {
    const w = p.canary.stepWeights;
    if (
      w.length === 0 ||
      w.some((x, i) => !Number.isInteger(x) || x <= 0 || x >= 100 || (i > 0 && x <= w[i - 1]!))
    ) {
      errors.push(`canary.stepWeights must be increasing integers in 1..99, got [${w.join(', ')}]`);
    }
    const window = p.canary.intervalSeconds - p.canary.routeUpdateWaitSeconds;
    if (window < MIN_CHECK_WINDOW_SECONDS) {
      errors.push(
        `canary.intervalSeconds - canary.routeUpdateWaitSeconds must be >= ${MIN_CHECK_WINDOW_SECONDS} s, got ${window}`,
      );
    }
    if (p.canary.failedChecksBeforeRollback < 1) {
      errors.push(
        `canary.failedChecksBeforeRollback must be >= 1, got ${p.canary.failedChecksBeforeRollback}`,
      );
    }
    if (p.minReplicas === p.maxReplicas) {
      errors.push('canary needs an HPA (minReplicas < maxReplicas): Flagger scales the primary from it');
    }
  }
  const w = p.shareImageWorker;
  if (w) {
    if (!Number.isInteger(w.minReplicas) || w.minReplicas < 0)
      errors.push(`shareImageWorker.minReplicas must be an integer >= 0, got ${w.minReplicas}`);
    if (!Number.isInteger(w.maxReplicas) || w.maxReplicas < Math.max(1, w.minReplicas))
      errors.push(
        `shareImageWorker.maxReplicas must be an integer >= max(1, minReplicas), got ${w.maxReplicas}`,
      );
    errors.push(...sizingProblems('shareImageWorker.resources', w.resources));
  }
  if (!/^[a-z0-9][-_.a-z0-9]{1,61}[a-z0-9]$/.test(p.walkImagesBucket))
    errors.push(`walkImagesBucket must be a bucket name, got "${p.walkImagesBucket}"`);
  if (errors.length > 0) throw new Error(`invalid walk-service props: ${errors.join('; ')}`);
}
