/**
 * From config/environments.ts to the walk-service chart's props: the
 * charts read every environment difference from there and nothing else.
 */
import {
  BootstrapConfig,
  ConfigInput,
  EnvironmentConfig,
  cloudSqlConnectionName,
  envVarForKey,
  previewHostname,
  serviceImageRepository,
  previewImageRepository,
} from '../config/environments';
import { PREVIEW_WORKER, previewDbPoolMax } from '../config/connection-budget';
import {
  previewWalkImagesBucketName,
  serviceIdentity,
  SHARE_IMAGE_WORKER_IDENTITY,
  walkImagesBucketName,
} from '../config/names';
import { LABEL } from './lib/labels';
import { ShareImageWorkerProps, WalkServiceProps } from './walk-service/props';

/**
 * Digest used when none is given: synth for review works before the first
 * release, and the app stack refuses to plan with it.
 */
export const UNRELEASED_IMAGE_DIGEST = `sha256:${'0'.repeat(64)}`;

/** Context key of the image digest to deploy (env var TEKUTOKO_IMAGE_DIGEST). */
export const IMAGE_DIGEST_KEY = 'imageDigest';

/** The digest from cdktf context or TEKUTOKO_IMAGE_DIGEST, else the unreleased placeholder. */
export function imageDigestFrom(context: ConfigInput = {}, env: ConfigInput = {}): string {
  const raw = context[IMAGE_DIGEST_KEY] ?? env[envVarForKey(IMAGE_DIGEST_KEY)];
  if (raw === undefined || raw === '') return UNRELEASED_IMAGE_DIGEST;
  const digest = String(raw).trim();
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new Error(
      `${IMAGE_DIGEST_KEY}: got ${JSON.stringify(raw)}; give the image digest as sha256:<64 hex> ` +
        `(-c ${IMAGE_DIGEST_KEY}=sha256:… or ${envVarForKey(IMAGE_DIGEST_KEY)}=sha256:…)`,
    );
  }
  return digest;
}

/** walk-service in a long-lived environment. */
export function walkServiceProps(
  env: EnvironmentConfig,
  bootstrap: BootstrapConfig,
  imageDigest: string,
): WalkServiceProps {
  const s = env.service;
  return {
    appEnv: env.name,
    projectId: env.projectId,
    region: env.region,
    identity: serviceIdentity(),
    imageRepository: serviceImageRepository(bootstrap),
    imageDigest,
    cloudSqlInstanceConnectionName: cloudSqlConnectionName(env),
    hostname: env.hostname,
    // Paused: workloads at zero is the env script's job; the chart keeps the configured shape.
    minReplicas: s.minReplicas,
    maxReplicas: s.maxReplicas,
    resources: { cpuMillis: s.cpuMillis, memoryMiB: s.memoryMiB },
    spotPods: env.gke.spotPods,
    scrapeIntervalSeconds: env.observability.scrapeIntervalSeconds,
    canary: s.canary ?? undefined,
    firebaseProjectId: env.firebaseProjectId,
    rolloutPercent: s.rolloutPercent,
    dbPoolMax: s.dbPoolMax,
    logLevel: s.logLevel,
    traceSampleRatio: s.traceSampleRatio,
    databaseCidrs: [env.network.privateServiceAccessCidr],
    walkImagesBucket: walkImagesBucketName(env.projectId),
    shareImageWorker: {
      ...shareImageWorkerSizing(env),
      kubernetesServiceAccount: SHARE_IMAGE_WORKER_IDENTITY.kubernetesServiceAccount,
      googleServiceAccountId: SHARE_IMAGE_WORKER_IDENTITY.googleServiceAccountId,
    },
  };
}

/** SHUTDOWN_TIMEOUT_MS of the worker: a render takes seconds; past this the job is released. */
export const WORKER_SHUTDOWN_TIMEOUT_MS = 20_000;

/** The worker's replicas, scaling and pods from the environment (its identity is the caller's). */
function shareImageWorkerSizing(env: EnvironmentConfig): ShareImageWorkerProps {
  const w = env.shareImageWorker;
  return {
    minReplicas: w.minReplicas,
    maxReplicas: w.maxReplicas,
    jobsPerReplica: w.jobsPerReplica,
    cooldownSeconds: w.cooldownSeconds,
    concurrency: w.concurrency,
    resources: { cpuMillis: w.cpuMillis, memoryMiB: w.memoryMiB },
    shutdownTimeoutMs: WORKER_SHUTDOWN_TIMEOUT_MS,
  };
}

/** A preview not redeployed for this long may be swept (its expiry label moves on every deploy). */
export const PREVIEW_TTL_DAYS = 7;

/** Expiry of a preview deployed at `now`. */
export function previewExpiry(now: Date): Date {
  return new Date(now.getTime() + PREVIEW_TTL_DAYS * 86_400_000);
}

export interface PreviewOptions {
  readonly pr: number;
  readonly imageDigest: string;
  /** When the preview may be swept. */
  readonly expiresAt: Date;
}

/**
 * The preview of pull request `pr` on the preview-hosting environment: its
 * own namespace, identity and database, one replica, no HPA or canary, at
 * `pr-<n>.<domain>`, labelled with the PR and its expiry.
 */
export function previewWalkServiceProps(
  host: EnvironmentConfig,
  bootstrap: BootstrapConfig,
  o: PreviewOptions,
): WalkServiceProps {
  return {
    ...walkServiceProps(host, bootstrap, o.imageDigest),
    // Pull-request images live in their own repository (ADR 0111).
    imageRepository: previewImageRepository(bootstrap),
    // The preview's own identity, database and host; one replica, rolling update.
    appEnv: 'preview',
    identity: serviceIdentity(o.pr),
    hostname: previewHostname(host, o.pr),
    minReplicas: 1,
    maxReplicas: 1,
    canary: undefined,
    dbPoolMax: previewDbPoolMax(host),
    // Its own bucket; the worker runs as the preview's identity, at most one pod (ADR 0261).
    walkImagesBucket: previewWalkImagesBucketName(host.projectId, o.pr),
    shareImageWorker: { ...shareImageWorkerSizing(host), minReplicas: 0, ...PREVIEW_WORKER },
    extraLabels: previewLabels(o.pr, o.expiresAt),
  };
}

/** Labels of every object of a preview (the sweeper selects on them). */
export function previewLabels(pr: number, expiresAt: Date): Record<string, string> {
  return {
    [LABEL.previewPr]: String(pr),
    [LABEL.previewExpiresAt]: String(Math.floor(expiresAt.getTime() / 1000)),
  };
}
