/**
 * Operator Jobs in an environment's cluster: the service image (the digest
 * users are served: walk-service-primary with a canary, else walk-service)
 * with the Cloud SQL Auth Proxy sidecar, as one of the namespace's identities. The image is distroless (no shell, no `node` on
 * PATH): its entrypoint is node, so a Job passes the built entry file.
 *
 *   npm run ops-job -- --env <env> [--instance <name>] --sql <file.sql>
 *                                                            SQL as the tables' owner (walk-service), on the
 *                                                            environment's instance or another (a PITR clone)
 *   npm run cutover -- --env <env> [--no-verify] -- <args>   migrate:firestore <args>, then --verify
 *
 * Each run applies the Job, follows its logs and exits with its result.
 */
import { spawnSync } from 'child_process';
import { readFileSync } from 'fs';
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { stringify } from 'yaml';
import { walkServiceProps } from '../charts/environments';
import { serviceJob } from '../charts/walk-service/service-job';
import { databaseUrl } from '../charts/walk-service/workload';
import { resolveContext } from '../config/context';
import {
  ConfigInput,
  ENVIRONMENT_NAMES,
  EnvironmentConfig,
  EnvironmentName,
  Environments,
  loadEnvironments,
} from '../config/environments';
import {
  FIRESTORE_MIGRATION_IDENTITY,
  SERVICE_NAME,
  SERVICE_NAMESPACE,
  googleServiceAccountEmail,
  iamDatabaseUser,
  serviceIdentity,
  servingDeploymentName,
} from '../config/names';
import { confirm, defineCommand, parseCommandLine, runCommand, UsageError } from './lib/cli';

/** Built entry files in the image (tsconfig.build.json: app/src → dist/app). */
export const ENTRY = {
  sql: 'dist/app/db/sql-cli.js',
  firestoreMigration: 'dist/app/firestore-migration/cli.js',
  policy: 'dist/app/policies/cli.js',
  remoteConfig: 'dist/app/remote-config/cli.js',
} as const;

export type OpsIdentity = 'walk-service' | 'firestore-migration';

export interface OpsJobOptions {
  readonly env: EnvironmentName;
  readonly as: OpsIdentity;
  /** Job name (unique per run). */
  readonly name: string;
  /** Image reference with digest, as the Deployment runs it. */
  readonly image: string;
  /** Entry file and its arguments. */
  readonly args: string[];
  /** Cloud SQL instance in the environment's project to dial. @default the environment's */
  readonly instance?: string;
}

/**
 * The configuration a deploy uses: cdktf context and the TEKUTOKO_* variables,
 * with every deploy key required (a Job for a placeholder project would
 * connect as a user that does not exist).
 */
export function opsConfig(vars: ConfigInput = process.env): Environments {
  const { context, env } = resolveContext({ env: vars, argv: [] });
  return loadEnvironments(context, env, { requireContext: true });
}

/** The Kubernetes objects of one operator Job (and the identity's service account). */
export function opsJobManifests(o: OpsJobOptions, all: Environments): object[] {
  const configured = all.environments[o.env];
  const env = o.instance
    ? { ...configured, database: { ...configured.database, instanceName: o.instance } }
    : configured;
  const [repository, digest] = o.image.split('@') as [string, string | undefined];
  if (!digest) throw new Error(`image must carry a digest, got ${o.image}`);
  const base = walkServiceProps(env, all.bootstrap, digest);
  const identity =
    o.as === 'walk-service'
      ? serviceIdentity()
      : {
          ...serviceIdentity(),
          kubernetesServiceAccount: FIRESTORE_MIGRATION_IDENTITY.kubernetesServiceAccount,
          googleServiceAccountId: FIRESTORE_MIGRATION_IDENTITY.googleServiceAccountId,
        };
  const props = { ...base, imageRepository: repository, identity };
  const app = new App();
  const chart = new Chart(app, 'ops', { namespace: SERVICE_NAMESPACE, disableResourceNameHashes: true });
  if (o.as === 'firestore-migration') {
    new kplus.ServiceAccount(chart, 'ksa', {
      metadata: {
        name: identity.kubernetesServiceAccount,
        annotations: {
          'iam.gke.io/gcp-service-account': googleServiceAccountEmail(
            identity.googleServiceAccountId,
            env.projectId,
          ),
        },
      },
      automountToken: false,
    });
  }
  serviceJob(chart, props, {
    name: o.name,
    component: 'operator',
    containerName: 'operator',
    kubernetesServiceAccount: identity.kubernetesServiceAccount,
    args: o.args,
    // Not APP_ENV: the tool is not the service (a deployed APP_ENV requires the service's signing keys).
    env: {
      DATABASE_URL: databaseUrl(props),
      FIREBASE_PROJECT_ID: env.firebaseProjectId,
      GOOGLE_CLOUD_PROJECT: env.projectId,
      // Firebase Auth's admin calls bill the Firebase project (QUOTA_PROJECT_ROLE in config/platform-facts.ts).
      GOOGLE_CLOUD_QUOTA_PROJECT: env.firebaseProjectId,
      LOG_LEVEL: 'info',
    },
    activeDeadlineMinutes: JOB_DEADLINE_MINUTES,
    backoffLimit: 0,
    memoryMiB: 512,
  });
  return chart.toJson();
}

/** A runbook SQL file with its `{{…}}` placeholders filled for an environment. */
export function sqlScript(file: string, projectId: string): string {
  const values: Record<string, string> = {
    service_user: iamDatabaseUser(serviceIdentity().googleServiceAccountId, projectId),
    firestore_migration_user: iamDatabaseUser(FIRESTORE_MIGRATION_IDENTITY.googleServiceAccountId, projectId),
  };
  return readFileSync(file, 'utf8').replace(/\{\{(\w+)\}\}/g, (m, key: string) => {
    if (!(key in values)) throw new Error(`${file}: unknown placeholder ${m}`);
    return values[key]!;
  });
}

export interface ParsedArgs {
  readonly env: EnvironmentName;
  readonly sql?: string;
  readonly instance?: string;
  readonly verify: boolean;
  readonly yes: boolean;
  readonly rest: string[];
}

export const OPS_JOB = defineCommand({
  usage: `usage: npm run cutover -- --env <${ENVIRONMENT_NAMES.join('|')}> [--no-verify] [--yes] -- <migrate:firestore arguments>
       npm run ops-job -- --env <${ENVIRONMENT_NAMES.join('|')}> [--instance <name>] --sql <file.sql>

  cutover   runs migrate:firestore in the cluster as its own Job, then the same scope with --verify;
            a run that writes asks first (--yes: do not ask)
  sql       runs one runbook SQL file as the tables' owner, on the environment's instance or
            --instance (another instance of its project: a point-in-time clone)`,
  options: {
    env: { type: 'string' },
    sql: { type: 'string' },
    instance: { type: 'string' },
    'no-verify': { type: 'boolean', default: false },
    yes: { type: 'boolean', default: false },
  },
  allowPositionals: true,
});

/** Own flags before `--`, migrate:firestore's arguments after it. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? [...argv] : argv.slice(0, dash);
  const rest = dash < 0 ? [] : argv.slice(dash + 1);
  const { values, positionals } = parseCommandLine(OPS_JOB, own);
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}" (put it after --)`);
  const env = values.env;
  if (!env || !ENVIRONMENT_NAMES.includes(env as EnvironmentName))
    throw new UsageError(`--env must be one of ${ENVIRONMENT_NAMES.join(', ')}`);
  const instance = values.instance;
  // Cloud SQL instance ids: https://cloud.google.com/sql/docs/postgres/create-instance#create-2nd-gen
  if (instance !== undefined && !/^[a-z][a-z0-9-]{0,96}[a-z0-9]$/.test(instance))
    throw new UsageError(`--instance must be a Cloud SQL instance id (a-z, 0-9, -), got "${instance}"`);
  return {
    env: env as EnvironmentName,
    verify: !values['no-verify'],
    yes: values.yes,
    rest,
    ...(values.sql ? { sql: values.sql } : {}),
    ...(instance ? { instance } : {}),
  };
}

function sh(command: string[], input?: string): { status: number; stdout: string } {
  console.error(`$ ${command.join(' ')}`);
  const r = spawnSync(command[0]!, command.slice(1), {
    input,
    encoding: 'utf8',
    stdio: [input === undefined ? 'inherit' : 'pipe', 'pipe', 'inherit'],
  });
  return { status: r.status ?? 1, stdout: r.stdout ?? '' };
}

/** The operator Job's activeDeadlineSeconds, in minutes: a cutover wave over every user fits. */
const JOB_DEADLINE_MINUTES = 12 * 60;
/** Seconds between two looks at a running Job; a test sets it lower. */
const POLL_SECONDS = Number(process.env.OPS_JOB_POLL_SECONDS ?? 5);
const sleep = (seconds: number) =>
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);

/** The Job's final condition, or undefined while it runs (kubectl ≥ 1.31 adds SuccessCriteriaMet/FailureTarget first). */
function jobOutcome(name: string): 'Complete' | 'Failed' | undefined {
  const r = sh([
    'kubectl',
    '-n',
    SERVICE_NAMESPACE,
    'get',
    `job/${name}`,
    '-o',
    'jsonpath={.status.conditions[?(@.status=="True")].type}',
  ]);
  const types = r.stdout.split(/\s+/);
  if (types.includes('Failed')) return 'Failed';
  if (types.includes('Complete')) return 'Complete';
  return undefined;
}

/**
 * Applies the Job, follows its logs, and returns 0 when it completed. The
 * verdict is the Job's own condition, polled until it has one: a pod that
 * fails in a second, or one that takes minutes to pull and start, both end
 * with the right answer (the Job's activeDeadlineSeconds bounds the wait).
 */
function runJob(o: OpsJobOptions, config: Environments): number {
  const manifests = opsJobManifests(o, config);
  const ns = ['-n', SERVICE_NAMESPACE];
  if (
    sh(['kubectl', ...ns, 'apply', '-f', '-'], manifests.map((m) => stringify(m)).join('---\n')).status !== 0
  )
    return 1;
  // Progress: the tool's log lines as they come (waits for the pod to start; a finished pod's logs print at once).
  spawnSync(
    'kubectl',
    [...ns, 'logs', '-f', `job/${o.name}`, '-c', 'operator', '--pod-running-timeout=15m'],
    { stdio: 'inherit' },
  );
  let outcome = jobOutcome(o.name);
  // Kubernetes fails the Job at its activeDeadlineSeconds; a few minutes more and no verdict means something else is wrong.
  const giveUpAfter = JOB_DEADLINE_MINUTES * 60 + 300;
  for (let waited = 0; outcome === undefined && waited < giveUpAfter; waited += POLL_SECONDS) {
    if (waited > 0 && waited % 60 < POLL_SECONDS) console.error(`job ${o.name} still running (${waited} s)`);
    sleep(POLL_SECONDS);
    outcome = jobOutcome(o.name);
  }
  console.error(
    outcome === 'Complete'
      ? `job ${o.name} completed`
      : outcome === 'Failed'
        ? `job ${o.name} failed: kubectl -n ${SERVICE_NAMESPACE} describe job ${o.name}`
        : `job ${o.name} has no verdict after its deadline: kubectl -n ${SERVICE_NAMESPACE} describe job ${o.name}`,
  );
  return outcome === 'Complete' ? 0 : 1;
}

/** The image users are served: Flagger's primary in a canary environment, else the Deployment's. */
function deployedImage(env: EnvironmentConfig): string {
  const r = sh([
    'kubectl',
    '-n',
    SERVICE_NAMESPACE,
    'get',
    `deploy/${servingDeploymentName(env.service.canary !== null)}`,
    '-o',
    `jsonpath={.spec.template.spec.containers[?(@.name=="${SERVICE_NAME}")].image}`,
  ]);
  if (r.status !== 0 || !r.stdout.includes('@sha256:')) throw new Error('could not read the deployed image');
  return r.stdout.trim();
}

const stamp = () => new Date().toISOString().replace(/\D/g, '').slice(2, 14);

/** `npm run ops-job`: one SQL script as the tables' owner. */
export function opsJobMain(argv: string[]): number {
  const a = parseArgs(argv);
  if (!a.sql) throw new UsageError('--sql <file.sql> is required');
  const config = opsConfig();
  return runJob(
    {
      env: a.env,
      as: 'walk-service',
      name: `sql-${stamp()}`,
      image: deployedImage(config.environments[a.env]),
      args: [ENTRY.sql, sqlScript(a.sql, config.environments[a.env].projectId)],
      ...(a.instance ? { instance: a.instance } : {}),
    },
    config,
  );
}

/**
 * `npm run policy` / `npm run remote-config` with --env (scripts/app-operator.ts):
 * the built CLI with `args` as a Job, as the tables' owner (walk-service).
 */
export function appOperatorJob(env: EnvironmentName, entry: string, name: string, args: string[]): number {
  const config = opsConfig();
  return runJob(
    {
      env,
      as: 'walk-service',
      name: `${name}-${stamp()}`,
      image: deployedImage(config.environments[env]),
      args: [entry, ...args],
    },
    config,
  );
}

/** `npm run cutover`: migrate:firestore with the given args as its own identity, then --verify. */
export async function cutoverMain(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  const writes = !a.rest.includes('--dry-run') && !a.rest.includes('--verify');
  if (writes) {
    await confirm(`copy Firestore into the PostgreSQL of ${a.env} (${a.rest.join(' ') || 'every user'})?`, {
      yes: a.yes,
    });
  }
  const config = opsConfig();
  const image = deployedImage(config.environments[a.env]);
  const run = stamp();
  const status = runJob(
    {
      env: a.env,
      as: 'firestore-migration',
      name: `firestore-migration-${run}`,
      image,
      // the Job has no terminal to ask on: the operator answered above
      args: [ENTRY.firestoreMigration, ...a.rest, ...(writes ? ['--yes'] : [])],
    },
    config,
  );
  const skipVerify = !a.verify || a.rest.includes('--verify') || a.rest.includes('--dry-run');
  if (status !== 0 || skipVerify) return status;
  return runJob(
    {
      env: a.env,
      as: 'firestore-migration',
      name: `firestore-verify-${run}`,
      image,
      args: [ENTRY.firestoreMigration, ...a.rest, '--verify'],
    },
    config,
  );
}

if (require.main === module) {
  // the command word first, then own flags, then `--` and migrate:firestore's arguments
  const [command, ...argv] = process.argv.slice(2);
  const dash = argv.indexOf('--');
  void runCommand(OPS_JOB, dash < 0 ? argv : argv.slice(0, dash), () => {
    if (command === 'cutover') return cutoverMain(argv);
    if (command === 'sql') return opsJobMain(argv);
    throw new UsageError(`unknown command "${command ?? ''}": sql or cutover`);
  }).then((code) => {
    process.exitCode = code;
  });
}
