/**
 * The service's configuration: read from the environment once, validated with
 * zod, and handed to everything else as a typed object. Nothing outside this
 * folder reads process.env.
 */
import { z } from 'zod';

export const APP_ENVS = ['local', 'test', 'dev', 'staging', 'prod', 'preview'] as const;
export type AppEnv = (typeof APP_ENVS)[number];

/** Environments that run on real infrastructure and must verify real Firebase tokens. */
export const DEPLOYED_ENVS: readonly AppEnv[] = ['dev', 'staging', 'prod', 'preview'];

/** Where spans go: nowhere (default), stdout, or an OTLP/HTTP endpoint. */
export const TRACE_EXPORTERS = ['none', 'console', 'otlp'] as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const intInRange = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
    .default(fallback);

// 0 asks the OS for a free port (tests)
const port = (fallback: number) => intInRange(0, 65535, fallback);
const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const envSchema = z.object({
  APP_ENV: z.enum(APP_ENVS).default('local'),
  PORT: port(8080),
  METRICS_PORT: port(9464),
  DATABASE_URL: z
    .string({ error: 'is required (postgres://user@host:port/db)' })
    .trim()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL'),
  DB_POOL_MAX: intInRange(1, 200, 10),
  DB_STATEMENT_TIMEOUT_MS: intInRange(100, 600_000, 5000),
  DB_CONNECTION_TIMEOUT_MS: intInRange(100, 60_000, 3000),
  FIREBASE_PROJECT_ID: z
    .string({ error: 'is required (the Firebase project whose ID tokens are accepted)' })
    .trim()
    .regex(/^[a-z0-9-]{4,40}$/, 'must be a Firebase project id (lowercase letters, digits, hyphens)'),
  FIREBASE_AUTH_EMULATOR_HOST: optionalString.pipe(
    z
      .string()
      .regex(/^[\w.-]+:\d+$/, 'must be host:port')
      .optional(),
  ),
  FIRESTORE_EMULATOR_HOST: optionalString,
  SESSION_SIGNING_KEYS: optionalString,
  SESSION_SIGNING_KEYS_FILE: optionalString,
  SESSION_ISSUER: z.string().trim().min(1).default('https://walk-service.tekutoko.example'),
  SESSION_AUDIENCE: z.string().trim().min(1).default('tekutoko-app'),
  SESSION_LOGIN_RATE_LIMIT: intInRange(1, 100_000, 20),
  SESSION_REFRESH_RATE_LIMIT: intInRange(1, 100_000, 60),
  CLIENT_LOG_RATE_LIMIT: intInRange(1, 10_000, 30),
  CLIENT_LOG_COORDINATE_DECIMALS: intInRange(0, 6, 2),
  TRUST_PROXY: intInRange(0, 10, 0),
  ROLLOUT_PERCENT: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'must be a number between 0 and 100')
    .transform(Number)
    .pipe(z.number().min(0).max(100, 'must be at most 100'))
    .default(0),
  SHUTDOWN_TIMEOUT_MS: intInRange(0, 600_000, 25_000),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  GOOGLE_CLOUD_PROJECT: optionalString,
  // OpenTelemetry's own variable names (its SDK specification), read here like every other.
  OTEL_TRACES_EXPORTER: z.enum(TRACE_EXPORTERS).default('none'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .trim()
    .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL (e.g. http://collector:4318)')
    .transform((url) => url.replace(/\/+$/, ''))
    .default('http://localhost:4318'),
  OTEL_EXPORTER_OTLP_AUTH: z.enum(['none', 'google']).default('none'),
  // The specification's default; Google's Telemetry API examples send protobuf too.
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(['http/protobuf', 'http/json']).default('http/protobuf'),
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .trim()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, 'must be a ratio between 0 and 1')
    .transform(Number)
    .default(1),
  SERVICE_VERSION: z.string().trim().min(1).max(128).default('unknown'),
  POD_NAME: optionalString,
  POD_NAMESPACE: optionalString,
  // Walk images (app/src/storage): the private bucket; unset outside deployed envs = no storage.
  WALK_IMAGES_BUCKET: optionalString.pipe(
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, 'must be a Cloud Storage bucket name')
      .optional(),
  ),
  STORAGE_API_ENDPOINT: optionalString.pipe(
    z
      .string()
      .regex(/^https?:\/\/[^\s/]+\/?$/, 'must be a base URL such as http://127.0.0.1:9199')
      .optional(),
  ),
  STORAGE_SIGNING_CREDENTIALS_FILE: optionalString,
  THUMBNAIL_MAX_BYTES: intInRange(1024, 50 * 1024 * 1024, 5 * 1024 * 1024),
  THUMBNAIL_UPLOAD_URL_TTL_SECONDS: intInRange(60, 3600, 600),
  IMAGE_READ_URL_TTL_SECONDS: intInRange(60, 7 * 24 * 3600, 3600),
  // Share-image jobs (app/src/share-images, ADR 0255).
  SHARE_IMAGE_WORKER_CONCURRENCY: intInRange(1, 16, 1),
  SHARE_IMAGE_MAX_ATTEMPTS: intInRange(1, 20, 5),
  SHARE_IMAGE_LEASE_MS: intInRange(500, 3_600_000, 60_000),
  SHARE_IMAGE_RETRY_BASE_MS: intInRange(10, 3_600_000, 10_000),
  SHARE_IMAGE_POLL_INTERVAL_MS: intInRange(10, 60_000, 1000),
  SHARE_IMAGE_QUEUE_GAUGE_INTERVAL_MS: intInRange(100, 300_000, 15_000),
});

/** Rules across variables; checked on the raw values so they report even when other variables are bad. */
function crossVariableProblems(env: NodeJS.ProcessEnv): string[] {
  const appEnv = env.APP_ENV?.trim() as AppEnv | undefined;
  if (!appEnv || !DEPLOYED_ENVS.includes(appEnv)) return [];
  const problems: string[] = [];
  if (env.FIREBASE_AUTH_EMULATOR_HOST?.trim()) {
    problems.push(
      `FIREBASE_AUTH_EMULATOR_HOST: must not be set when APP_ENV=${appEnv}: a deployed service would accept forged emulator tokens`,
    );
  }
  if (!env.SESSION_SIGNING_KEYS?.trim() && !env.SESSION_SIGNING_KEYS_FILE?.trim()) {
    problems.push(
      `SESSION_SIGNING_KEYS_FILE: is required when APP_ENV=${appEnv} (path of the mounted signing key ring)`,
    );
  }
  if (!env.WALK_IMAGES_BUCKET?.trim()) {
    problems.push(`WALK_IMAGES_BUCKET: is required when APP_ENV=${appEnv} (the walk images bucket)`);
  }
  for (const name of ['STORAGE_API_ENDPOINT', 'STORAGE_SIGNING_CREDENTIALS_FILE'] as const) {
    if (env[name]?.trim()) {
      problems.push(
        `${name}: must not be set when APP_ENV=${appEnv}: deployed, storage is Cloud Storage signed by the workload's identity`,
      );
    }
  }
  return problems;
}

/** Rules across variables that hold in every environment. */
function storageProblems(env: NodeJS.ProcessEnv): string[] {
  const endpoint = Boolean(env.STORAGE_API_ENDPOINT?.trim());
  const key = Boolean(env.STORAGE_SIGNING_CREDENTIALS_FILE?.trim());
  if (endpoint === key) return [];
  return [
    'STORAGE_SIGNING_CREDENTIALS_FILE: STORAGE_API_ENDPOINT and STORAGE_SIGNING_CREDENTIALS_FILE go together (the local stand-in checks signatures with that key)',
  ];
}

/**
 * Walk images: the bucket and, locally, the stand-in's endpoint and the key it
 * checks signatures with. Deployed there is neither (see app/src/storage).
 */
export interface StorageConfig {
  readonly bucket: string;
  /** Base URL of the local stand-in; undefined = Cloud Storage. */
  readonly apiEndpoint: string | undefined;
  /** Service-account-shaped JSON with a locally generated key; undefined = the workload's identity. */
  readonly signingCredentialsFile: string | undefined;
  readonly thumbnailMaxBytes: number;
  readonly uploadUrlTtlSeconds: number;
  readonly readUrlTtlSeconds: number;
}

/** Share-image jobs: the API's attempt budget and the worker's loop (ADR 0255). */
export interface ShareImagesConfig {
  /** Jobs one worker process renders at once. */
  readonly workerConcurrency: number;
  /** Attempts before a job ends as failed. */
  readonly maxAttempts: number;
  /** How long a claim holds a job before another worker may take it. */
  readonly leaseMs: number;
  /** Backoff before the second attempt; doubles per attempt (capped at 64×). */
  readonly retryBaseMs: number;
  /** How often an idle worker asks for a job. */
  readonly pollIntervalMs: number;
  /** How often walk-service refreshes the waiting-jobs gauges. */
  readonly queueGaugeIntervalMs: number;
}

export interface TracingConfig {
  readonly exporter: (typeof TRACE_EXPORTERS)[number];
  /** OTLP/HTTP base URL; spans are posted to `<endpoint>/v1/traces`. */
  readonly otlpEndpoint: string;
  /** `google`: an access token of the workload's identity on each export (the Telemetry API). */
  readonly otlpAuth: 'none' | 'google';
  /** OTLP/HTTP body encoding: binary protobuf (default) or JSON (readable, for local receivers). */
  readonly otlpProtocol: 'http/protobuf' | 'http/json';
  /** Share of traces kept, decided on the trace id (the caller's sampled flag is not trusted). */
  readonly sampleRatio: number;
  readonly serviceVersion: string;
  readonly appEnv: AppEnv;
  readonly podName: string | undefined;
  readonly podNamespace: string | undefined;
}

export interface Config {
  readonly appEnv: AppEnv;
  readonly deployed: boolean;
  readonly port: number;
  readonly metricsPort: number;
  readonly databaseUrl: string;
  readonly dbPoolMax: number;
  readonly dbStatementTimeoutMs: number;
  readonly dbConnectionTimeoutMs: number;
  readonly firebaseProjectId: string;
  /** Set only outside deployed environments; firebase-admin reads the same variable itself. */
  readonly firebaseAuthEmulatorHost: string | undefined;
  /** Firestore emulator (the migration tool only); firebase-admin reads the same variable itself. */
  readonly firestoreEmulatorHost: string | undefined;
  /** Inline JSON key ring (local/test); parsed by the sessions component. */
  readonly sessionSigningKeys: string | undefined;
  /** Path of the mounted key ring file (deployed). */
  readonly sessionSigningKeysFile: string | undefined;
  readonly sessionIssuer: string;
  readonly sessionAudience: string;
  /** Logins per client address per minute, per replica. */
  readonly sessionLoginRateLimit: number;
  /** Refreshes per client address per minute, per replica. */
  readonly sessionRefreshRateLimit: number;
  /** Client log batches per user per minute, per replica. */
  readonly clientLogRateLimit: number;
  /** Decimal places a coordinate in a client log keeps (2 ≈ 1.1 km). */
  readonly clientLogCoordinateDecimals: number;
  readonly trustProxy: number;
  readonly rolloutPercent: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** Cloud project of the trace ids in logs; without it logs carry the bare trace id. */
  readonly googleCloudProject: string | undefined;
  readonly tracing: TracingConfig;
  /** Undefined outside deployed environments when WALK_IMAGES_BUCKET is unset (image routes answer 503). */
  readonly storage: StorageConfig | undefined;
  readonly shareImages: ShareImagesConfig;
}

/**
 * Against the Firestore emulator no Google credentials are used, but google-gax
 * still probes the metadata server and, off Google Cloud, prints a raw
 * MetadataLookupWarning; firebase-tools turns the probe off the same way
 * (https://github.com/firebase/firebase-tools/pull/6860). A value already set wins.
 */
export function skipMetadataProbeWithEmulators(
  config: Pick<Config, 'firestoreEmulatorHost'>,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (config.firestoreEmulatorHost) env.METADATA_SERVER_DETECTION ??= 'none';
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** One line per bad variable, with its value unless the name suggests a secret or a URL. */
function issueLines(issues: readonly z.core.$ZodIssue[], env: NodeJS.ProcessEnv): string[] {
  return issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    const value = env[name];
    const shown = value === undefined || /KEY|URL|SECRET/i.test(name) ? '' : ` (got "${value}")`;
    return `${name}: ${issue.message}${shown}`;
  });
}

/** Parses an environment (process.env by default); throws ConfigError with one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success ? [] : issueLines(parsed.error.issues, env);
  problems.push(...crossVariableProblems(env), ...storageProblems(env));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return {
    appEnv: e.APP_ENV,
    deployed: DEPLOYED_ENVS.includes(e.APP_ENV),
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
    databaseUrl: e.DATABASE_URL,
    dbPoolMax: e.DB_POOL_MAX,
    dbStatementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    dbConnectionTimeoutMs: e.DB_CONNECTION_TIMEOUT_MS,
    firebaseProjectId: e.FIREBASE_PROJECT_ID,
    firebaseAuthEmulatorHost: e.FIREBASE_AUTH_EMULATOR_HOST,
    firestoreEmulatorHost: e.FIRESTORE_EMULATOR_HOST,
    sessionSigningKeys: e.SESSION_SIGNING_KEYS,
    sessionSigningKeysFile: e.SESSION_SIGNING_KEYS_FILE,
    sessionIssuer: e.SESSION_ISSUER,
    sessionAudience: e.SESSION_AUDIENCE,
    sessionLoginRateLimit: e.SESSION_LOGIN_RATE_LIMIT,
    sessionRefreshRateLimit: e.SESSION_REFRESH_RATE_LIMIT,
    clientLogRateLimit: e.CLIENT_LOG_RATE_LIMIT,
    clientLogCoordinateDecimals: e.CLIENT_LOG_COORDINATE_DECIMALS,
    trustProxy: e.TRUST_PROXY,
    rolloutPercent: e.ROLLOUT_PERCENT,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    googleCloudProject: e.GOOGLE_CLOUD_PROJECT,
    tracing: tracingOf(e),
    storage: storageOf(e),
    shareImages: shareImagesOf(e),
  };
}

function shareImagesOf(e: z.output<typeof envSchema>): ShareImagesConfig {
  return {
    workerConcurrency: e.SHARE_IMAGE_WORKER_CONCURRENCY,
    maxAttempts: e.SHARE_IMAGE_MAX_ATTEMPTS,
    leaseMs: e.SHARE_IMAGE_LEASE_MS,
    retryBaseMs: e.SHARE_IMAGE_RETRY_BASE_MS,
    pollIntervalMs: e.SHARE_IMAGE_POLL_INTERVAL_MS,
    queueGaugeIntervalMs: e.SHARE_IMAGE_QUEUE_GAUGE_INTERVAL_MS,
  };
}

function storageOf(e: z.output<typeof envSchema>): StorageConfig | undefined {
  if (!e.WALK_IMAGES_BUCKET) return undefined;
  return {
    bucket: e.WALK_IMAGES_BUCKET,
    apiEndpoint: e.STORAGE_API_ENDPOINT?.replace(/\/$/, ''),
    signingCredentialsFile: e.STORAGE_SIGNING_CREDENTIALS_FILE,
    thumbnailMaxBytes: e.THUMBNAIL_MAX_BYTES,
    uploadUrlTtlSeconds: e.THUMBNAIL_UPLOAD_URL_TTL_SECONDS,
    readUrlTtlSeconds: e.IMAGE_READ_URL_TTL_SECONDS,
  };
}

type TracingVariables = Pick<
  z.output<typeof envSchema>,
  | 'APP_ENV'
  | 'OTEL_TRACES_EXPORTER'
  | 'OTEL_EXPORTER_OTLP_ENDPOINT'
  | 'OTEL_EXPORTER_OTLP_AUTH'
  | 'OTEL_EXPORTER_OTLP_PROTOCOL'
  | 'OTEL_TRACES_SAMPLER_ARG'
  | 'SERVICE_VERSION'
  | 'POD_NAME'
  | 'POD_NAMESPACE'
>;

function tracingOf(e: TracingVariables): TracingConfig {
  return {
    exporter: e.OTEL_TRACES_EXPORTER,
    otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT,
    otlpAuth: e.OTEL_EXPORTER_OTLP_AUTH,
    otlpProtocol: e.OTEL_EXPORTER_OTLP_PROTOCOL,
    sampleRatio: e.OTEL_TRACES_SAMPLER_ARG,
    serviceVersion: e.SERVICE_VERSION,
    appEnv: e.APP_ENV,
    podName: e.POD_NAME,
    podNamespace: e.POD_NAMESPACE,
  };
}

/**
 * Only the tracing variables: tracing starts before anything else is loaded
 * (its instrumentations patch modules as they are required); the full config
 * is validated right after, and reports these again if they are bad.
 */
export function loadTracingConfig(env: NodeJS.ProcessEnv = process.env): TracingConfig {
  const parsed = envSchema
    .pick({
      APP_ENV: true,
      OTEL_TRACES_EXPORTER: true,
      OTEL_EXPORTER_OTLP_ENDPOINT: true,
      OTEL_EXPORTER_OTLP_AUTH: true,
      OTEL_EXPORTER_OTLP_PROTOCOL: true,
      OTEL_TRACES_SAMPLER_ARG: true,
      SERVICE_VERSION: true,
      POD_NAME: true,
      POD_NAMESPACE: true,
    })
    .safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`));
  }
  return tracingOf(parsed.data);
}

/** What the share-image worker (dist/app/worker.js) reads: no Firebase, no session keys. */
export type WorkerConfig = Pick<
  Config,
  | 'appEnv'
  | 'deployed'
  | 'metricsPort'
  | 'databaseUrl'
  | 'dbPoolMax'
  | 'dbStatementTimeoutMs'
  | 'dbConnectionTimeoutMs'
  | 'shutdownTimeoutMs'
  | 'logLevel'
  | 'googleCloudProject'
  | 'tracing'
  | 'shareImages'
> & { readonly storage: StorageConfig };

const WORKER_VARIABLES = {
  APP_ENV: true,
  METRICS_PORT: true,
  DATABASE_URL: true,
  DB_POOL_MAX: true,
  DB_STATEMENT_TIMEOUT_MS: true,
  DB_CONNECTION_TIMEOUT_MS: true,
  SHUTDOWN_TIMEOUT_MS: true,
  LOG_LEVEL: true,
  GOOGLE_CLOUD_PROJECT: true,
  OTEL_TRACES_EXPORTER: true,
  OTEL_EXPORTER_OTLP_ENDPOINT: true,
  OTEL_EXPORTER_OTLP_AUTH: true,
  OTEL_TRACES_SAMPLER_ARG: true,
  SERVICE_VERSION: true,
  POD_NAME: true,
  POD_NAMESPACE: true,
  WALK_IMAGES_BUCKET: true,
  STORAGE_API_ENDPOINT: true,
  STORAGE_SIGNING_CREDENTIALS_FILE: true,
  THUMBNAIL_MAX_BYTES: true,
  THUMBNAIL_UPLOAD_URL_TTL_SECONDS: true,
  IMAGE_READ_URL_TTL_SECONDS: true,
  SHARE_IMAGE_WORKER_CONCURRENCY: true,
  SHARE_IMAGE_MAX_ATTEMPTS: true,
  SHARE_IMAGE_LEASE_MS: true,
  SHARE_IMAGE_RETRY_BASE_MS: true,
  SHARE_IMAGE_POLL_INTERVAL_MS: true,
  SHARE_IMAGE_QUEUE_GAUGE_INTERVAL_MS: true,
} as const;

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const parsed = envSchema.pick(WORKER_VARIABLES).safeParse(env);
  const problems = parsed.success ? [] : issueLines(parsed.error.issues, env);
  // The storage rules of the service hold for the worker too; the Firebase and session ones do not.
  problems.push(
    ...crossVariableProblems(env).filter((problem) => /^(WALK_IMAGES_BUCKET|STORAGE_)/.test(problem)),
    ...storageProblems(env),
  );
  if (!env.WALK_IMAGES_BUCKET?.trim() && !problems.some((p) => p.startsWith('WALK_IMAGES_BUCKET'))) {
    problems.push('WALK_IMAGES_BUCKET: is required by the worker (where share images are stored)');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data as z.output<typeof envSchema>;
  return {
    appEnv: e.APP_ENV,
    deployed: DEPLOYED_ENVS.includes(e.APP_ENV),
    metricsPort: e.METRICS_PORT,
    databaseUrl: e.DATABASE_URL,
    dbPoolMax: e.DB_POOL_MAX,
    dbStatementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    dbConnectionTimeoutMs: e.DB_CONNECTION_TIMEOUT_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    googleCloudProject: e.GOOGLE_CLOUD_PROJECT,
    tracing: tracingOf(e),
    storage: storageOf(e)!,
    shareImages: shareImagesOf(e),
  };
}

/**
 * The migrations Job's post-migration grant (app/src/db/worker-grants.ts):
 * the share-image worker's IAM database user; unset = no grant step.
 */
export function loadWorkerGrantConfig(env: NodeJS.ProcessEnv = process.env): {
  readonly workerDatabaseUser: string | undefined;
} {
  const parsed = z
    .object({
      WORKER_DATABASE_USER: optionalString.pipe(
        z
          .string()
          .regex(
            /^[A-Za-z0-9._@-]{1,63}$/,
            'must be a database user name (e.g. walk-image-worker@project.iam)',
          )
          .optional(),
      ),
    })
    .safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`));
  }
  return { workerDatabaseUser: parsed.data.WORKER_DATABASE_USER };
}

/** What the migrations Job needs: DATABASE_URL and LOG_LEVEL only. */
export function loadMigrationConfig(
  env: NodeJS.ProcessEnv = process.env,
): Pick<Config, 'databaseUrl' | 'logLevel'> {
  const parsed = envSchema.pick({ DATABASE_URL: true, LOG_LEVEL: true }).safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`));
  }
  return { databaseUrl: parsed.data.DATABASE_URL, logLevel: parsed.data.LOG_LEVEL };
}

/**
 * The schema-grant Job (`dist/app/db/grant-cli.js`): the admin's connection
 * (DATABASE_URL) and the IAM database user to grant (`DATABASE_GRANTEE`).
 */
export function loadGrantConfig(
  env: NodeJS.ProcessEnv = process.env,
): Pick<Config, 'databaseUrl' | 'logLevel'> & { readonly grantee: string } {
  const schema = envSchema
    .pick({ DATABASE_URL: true, LOG_LEVEL: true })
    .extend({ DATABASE_GRANTEE: z.string({ error: 'is required (the IAM database user)' }).trim().min(1) });
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${String(issue.path[0])}: ${issue.message}`));
  }
  return {
    databaseUrl: parsed.data.DATABASE_URL,
    logLevel: parsed.data.LOG_LEVEL,
    grantee: parsed.data.DATABASE_GRANTEE,
  };
}

/** For entry points: the config, or one line per problem on stderr and exit code 1. */
export function loadConfigOrExit<T = Config>(
  load: (env: NodeJS.ProcessEnv) => T = loadConfig as (env: NodeJS.ProcessEnv) => T,
  env: NodeJS.ProcessEnv = process.env,
): T {
  try {
    return load(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) process.stderr.write(`config error: ${problem}\n`);
    process.exit(1);
  }
}
