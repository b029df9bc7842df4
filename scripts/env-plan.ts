/**
 * What `npm run env` does, as data: the cdktf.json context it sets and the
 * exact commands it runs, in order. Pure, so the dry run, the real run,
 * docs/deploy.md and the tests all describe the same thing.
 */
import { defaultEnvironment, EnvironmentConfig, envVarForKey } from '../config/environments';
import { FLAGGER, KEDA } from '../charts/lib/cluster-addons';
import {
  CLOUD_ARMOR_POLICY_NAME,
  MONITORING_NAMESPACE,
  SERVICE_NAME,
  SERVICE_NAMESPACE,
  stackName,
} from '../config/names';

export const ENV_ACTIONS = ['pause', 'resume', 'hibernate', 'wake', 'status'] as const;
export type EnvAction = (typeof ENV_ACTIONS)[number];

export interface Step {
  readonly why: string;
  readonly command: readonly string[];
}

export interface EnvPlan {
  /** cdktf.json context keys to set (`undefined` removes the key). */
  readonly context: Readonly<Record<string, boolean | undefined>>;
  /** Steps before the context change. */
  readonly before: readonly Step[];
  /** Steps after it. */
  readonly after: readonly Step[];
  /** Environment variables the steps need from the operator. */
  readonly requires: readonly string[];
  /** What is lost or removed, for the confirmation question; absent when nothing is. */
  readonly destructive?: string;
}

export interface UnconfiguredKey {
  readonly key: string;
  readonly envVar: string;
  readonly value: string;
}

/**
 * Keys still at the clean clone's `*-example` placeholders: every action
 * addresses the environment's project and deploys stacks that use its domain,
 * so a run with them would only fail later, inside gcloud or Terraform.
 */
export function unconfiguredKeys(env: EnvironmentConfig): UnconfiguredKey[] {
  const placeholder = defaultEnvironment(env.name);
  const fields = [
    ['projectId', env.projectId, placeholder.projectId],
    ['domain', env.domain, placeholder.domain],
  ] as const;
  return fields
    .filter(([, value, defaultValue]) => value === defaultValue)
    .map(([field, value]) => ({
      key: `${env.name}.${field}`,
      envVar: envVarForKey(`${env.name}.${field}`),
      value,
    }));
}

/** Namespaces whose workloads a pause scales to zero (the add-ons' first). */
export const PAUSED_NAMESPACES = [
  SERVICE_NAMESPACE,
  MONITORING_NAMESPACE,
  FLAGGER.namespace,
  // KEDA stopped leaves the worker where pause put it, at zero (ADR 0262).
  KEDA.namespace,
] as const;

/**
 * Terraform on the synthesized stack; `--auto-approve` only where the
 * environment allows unattended applies (dev's schedule). Elsewhere
 * Terraform prints the plan and waits for a person's "yes".
 */
const apply = (env: EnvironmentConfig, stack: string, destroy = false): Step => ({
  why: `${destroy ? 'destroy' : 'apply'} ${stack}`,
  command: [
    'npx',
    'tsx',
    'scripts/stack-apply.ts',
    stack,
    ...(destroy ? ['--destroy'] : []),
    ...(env.unattendedApply ? ['--auto-approve'] : []),
  ],
});

function credentials(env: EnvironmentConfig): Step {
  return {
    why: 'kubectl credentials for the cluster (DNS endpoint)',
    command: [
      'gcloud',
      'container',
      'clusters',
      'get-credentials',
      `tekutoko-${env.name}`,
      `--region=${env.region}`,
      `--project=${env.projectId}`,
      '--dns-endpoint',
    ],
  };
}

/** Backend services the Gateway controller left behind still hold the policy; Compute Engine would refuse its deletion. */
function detachEdgePolicy(env: EnvironmentConfig): Step {
  return {
    why: `detach Cloud Armor policy ${CLOUD_ARMOR_POLICY_NAME} from any backend service left behind`,
    command: [
      'npx',
      'tsx',
      'scripts/detach-edge-policy.ts',
      `--project=${env.projectId}`,
      `--policy=${CLOUD_ARMOR_POLICY_NAME}`,
    ],
  };
}

function scaleNamespace(ns: string, replicas: number): Step {
  return {
    why: `${replicas === 0 ? 'stop' : 'start'} every workload in ${ns}`,
    command: [
      'kubectl',
      'scale',
      'deployment,statefulset',
      '--all',
      `--replicas=${replicas}`,
      `--namespace=${ns}`,
    ],
  };
}

/** The steps of `action` on `env`; throws when the action cannot apply to it. */
export function planEnvAction(action: EnvAction, env: EnvironmentConfig): EnvPlan {
  const platform = stackName.platform(env.name);
  const cluster = stackName.cluster(env.name);
  switch (action) {
    case 'pause':
      if (env.hibernated) throw new Error(`${env.name} is hibernated; "wake ${env.name}" first`);
      return {
        context: { [`${env.name}.paused`]: true },
        before: [credentials(env), ...PAUSED_NAMESPACES.map((ns) => scaleNamespace(ns, 0))],
        after: [
          {
            // Deleting the Gateway waits for its finalizer: GKE's controller removes the load balancer first.
            ...apply(env, cluster),
            why: 'remove the Gateway and its load balancer (the address and certificate map stay)',
          },
          detachEdgePolicy(env),
          {
            ...apply(env, platform),
            why: `stop Cloud SQL ${env.database.instanceName} (activation policy NEVER) and remove the Cloud Armor policy`,
          },
        ],
        requires: [],
      };
    case 'resume': {
      // With a canary, Flagger's primary serves traffic and the canary Deployment stays at zero.
      const serving = env.service.canary ? `${SERVICE_NAME}-primary` : SERVICE_NAME;
      return {
        context: { [`${env.name}.paused`]: undefined },
        before: [],
        after: [
          {
            ...apply(env, platform),
            why: `start Cloud SQL ${env.database.instanceName} (activation policy ALWAYS) and restore the Cloud Armor policy`,
          },
          credentials(env),
          scaleNamespace(MONITORING_NAMESPACE, 1),
          scaleNamespace(FLAGGER.namespace, 1),
          scaleNamespace(KEDA.namespace, 1),
          {
            // After the scaling: the apply puts manifest-managed replicas (the query frontend's 2) back.
            ...apply(env, cluster),
            why: 'recreate the Gateway on the same address and certificate map (same URL, HTTPS at once)',
          },
          {
            why: `start ${serving} at its minimum; the HPA takes over from there`,
            command: [
              'kubectl',
              'scale',
              `deployment/${serving}`,
              `--replicas=${env.service.minReplicas}`,
              `--namespace=${SERVICE_NAMESPACE}`,
            ],
          },
        ],
        requires: [],
      };
    }
    case 'hibernate':
      if (env.gke.deletionProtection) {
        throw new Error(
          `${env.name} has gke.deletionProtection on: its cluster cannot be removed; use "pause ${env.name}"`,
        );
      }
      return {
        context: { [`${env.name}.hibernated`]: true, [`${env.name}.paused`]: undefined },
        destructive: `destroys ${stackName.app(env.name)} and ${stackName.cluster(env.name)} and removes the GKE cluster (the database, backups, buckets and state stay; "wake" rebuilds)`,
        before: [apply(env, stackName.app(env.name), true), apply(env, stackName.cluster(env.name), true)],
        after: [
          {
            ...apply(env, platform),
            why: 'remove the GKE cluster and stop Cloud SQL; database, backups, buckets and state stay',
          },
        ],
        requires: ['TEKUTOKO_IMAGE_DIGEST'],
      };
    case 'wake':
      return {
        context: { [`${env.name}.hibernated`]: undefined, [`${env.name}.paused`]: undefined },
        before: [],
        after: [
          { ...apply(env, platform), why: 'recreate the GKE cluster and start Cloud SQL' },
          apply(env, stackName.cluster(env.name)),
          {
            ...apply(env, stackName.app(env.name)),
            why: `deploy walk-service (image TEKUTOKO_IMAGE_DIGEST) into ${env.name}`,
          },
        ],
        requires: ['TEKUTOKO_IMAGE_DIGEST'],
      };
    case 'status':
      return {
        context: {},
        before: [
          {
            why: 'Cloud SQL state and activation policy',
            command: [
              'gcloud',
              'sql',
              'instances',
              'describe',
              env.database.instanceName,
              `--project=${env.projectId}`,
              '--format=value(state,settings.activationPolicy)',
            ],
          },
        ],
        after: [],
        requires: [],
      };
  }
}

/** A command as one copy-pasteable shell line. */
export function shellLine(command: readonly string[]): string {
  return command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
