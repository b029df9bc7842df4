import { GcsBackend, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import {
  BootstrapConfig,
  EnvironmentConfig,
  EnvironmentName,
  ENVIRONMENT_NAMES,
} from '../config/environments';
import {
  ARTIFACT_REPOSITORY_ID,
  CI_IDENTITIES,
  DeployTarget,
  GKE_NODE_SERVICE_ACCOUNT_ID,
  PREVIEW_ARTIFACT_REPOSITORY_ID,
  stackName,
  statePrefix,
} from '../config/names';
import { GKE_NODE_SERVICE_ACCOUNT_ROLE } from '../config/platform-facts';
import { ArtifactRegistry } from '../constructs/artifact-registry';
import { DeployerServiceAccount, RoleGrant } from '../constructs/deployer-service-account';
import { GitHubWorkloadIdentityFederation } from '../constructs/github-workload-identity-federation';
import { googleProvider, projectNumber } from '../constructs/google-provider';
import { customProjectRole, denyProjectPermissions } from '../constructs/iam-guardrails';
import { grantBillingAccountRole, grantProjectRole } from '../constructs/principal';
import { PrivateBucket } from '../constructs/private-bucket';
import { ProjectServices } from '../constructs/project-services';
import { googleServiceAccount, grantActAs } from '../constructs/service-identity';

/** APIs the bootstrap project needs (state, images, CI identities). */
export const BOOTSTRAP_APIS = [
  'artifactregistry.googleapis.com',
  'cloudresourcemanager.googleapis.com',
  'iam.googleapis.com',
  'iamcredentials.googleapis.com',
  'sts.googleapis.com',
  'storage.googleapis.com',
  'serviceusage.googleapis.com',
  'containerscanning.googleapis.com',
] as const;

/** APIs every environment project needs (the platform, cluster and app stacks). */
export const ENVIRONMENT_APIS = [
  'compute.googleapis.com',
  'container.googleapis.com',
  'sqladmin.googleapis.com',
  'servicenetworking.googleapis.com',
  'dns.googleapis.com',
  'secretmanager.googleapis.com',
  'monitoring.googleapis.com',
  'logging.googleapis.com',
  'cloudresourcemanager.googleapis.com',
  'iam.googleapis.com',
  'iamcredentials.googleapis.com',
  'billingbudgets.googleapis.com',
  'binaryauthorization.googleapis.com',
  'certificatemanager.googleapis.com',
  'storage.googleapis.com',
  'serviceusage.googleapis.com',
] as const;

/** Project roles the stacks themselves grant; a deploy identity may grant nothing else. */
export const GRANTABLE_PROJECT_ROLES = [
  'roles/cloudsql.client',
  'roles/cloudsql.instanceUser',
  'roles/monitoring.viewer',
] as const;

/**
 * Custom role of each environment project: Secret Manager secrets and their
 * IAM policies, but never a secret's payload (`secretmanager.versions.access`
 * is in roles/secretmanager.admin, which no CI identity holds).
 */
export const SECRETS_MANAGER_ROLE = {
  roleId: 'tekutokoSecretsManager',
  permissions: [
    'secretmanager.locations.get',
    'secretmanager.locations.list',
    'secretmanager.secrets.create',
    'secretmanager.secrets.delete',
    'secretmanager.secrets.get',
    'secretmanager.secrets.getIamPolicy',
    'secretmanager.secrets.list',
    'secretmanager.secrets.setIamPolicy',
    'secretmanager.secrets.update',
  ],
} as const;

/**
 * What no CI identity may do in an environment project, whatever its roles let
 * it grant itself: read a secret's payload, mint or sign as any service
 * account there (walk-service's reads the signing keys), or create a key.
 * Deny policies take the `SERVICE_FQDN/resource.verb` form and only the
 * permissions Google lists (https://cloud.google.com/iam/docs/deny-permissions-support);
 * a deny rule outranks every allow (https://cloud.google.com/iam/docs/deny-overview).
 */
export const CI_DENIED_PERMISSIONS = [
  'secretmanager.googleapis.com/versions.access',
  'iam.googleapis.com/serviceAccounts.getAccessToken',
  'iam.googleapis.com/serviceAccounts.getOpenIdToken',
  'iam.googleapis.com/serviceAccounts.signBlob',
  'iam.googleapis.com/serviceAccounts.signJwt',
  'iam.googleapis.com/serviceAccounts.implicitDelegation',
  'iam.googleapis.com/serviceAccountKeys.create',
] as const;

/**
 * Read-only roles for `terraform plan` of the environment stacks (no
 * primitive roles; secrets' payloads are not readable). serviceUsageConsumer
 * holds `serviceusage.services.use`, which a provider with
 * `user_project_override` + `billing_project` needs for every call
 * (https://registry.terraform.io/providers/hashicorp/google/latest/docs/guides/provider_reference#user_project_override).
 */
export const PLAN_ROLES: readonly string[] = [
  'roles/compute.viewer',
  'roles/container.viewer',
  'roles/cloudsql.viewer',
  'roles/dns.reader',
  'roles/iam.securityReviewer',
  'roles/iam.serviceAccountViewer',
  'roles/iam.roleViewer',
  'roles/secretmanager.viewer',
  'roles/monitoring.viewer',
  'roles/serviceusage.serviceUsageConsumer',
  'roles/storage.bucketViewer',
  'roles/binaryauthorization.policyViewer',
  'roles/certificatemanager.viewer',
];

/** Read-only roles for `terraform plan` of `bootstrap`, on the bootstrap project. */
export const BOOTSTRAP_PLAN_ROLES: readonly string[] = [
  'roles/iam.securityReviewer',
  'roles/iam.serviceAccountViewer',
  'roles/iam.workloadIdentityPoolViewer',
  'roles/artifactregistry.reader',
  'roles/serviceusage.serviceUsageConsumer',
  'roles/storage.bucketViewer',
];

const grantOnly = (roles: readonly string[]): RoleGrant => ({
  role: 'roles/resourcemanager.projectIamAdmin',
  condition: {
    title: 'only the roles the stacks grant',
    expression: `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${roles.map((r) => `'${r}'`).join(', ')}])`,
  },
});

/**
 * Roles of an environment's deploy identity, on that environment's project
 * only: admin of exactly the products its stacks manage. Not here:
 * project-wide iam.serviceAccountUser (actAs on every account; bootstrap
 * grants it on the one node account instead) and secretmanager.admin (reads
 * every secret's payload; SECRETS_MANAGER_ROLE instead).
 */
export function environmentDeployRoles(secretsManagerRole: string): readonly (string | RoleGrant)[] {
  return [
    'roles/compute.networkAdmin',
    'roles/compute.securityAdmin',
    'roles/dns.admin',
    'roles/servicenetworking.networksAdmin',
    'roles/container.admin',
    'roles/cloudsql.admin',
    'roles/iam.serviceAccountAdmin',
    { role: secretsManagerRole, key: 'secrets-manager' },
    'roles/storage.admin',
    'roles/monitoring.editor',
    'roles/serviceusage.serviceUsageConsumer',
    'roles/binaryauthorization.policyEditor',
    'roles/certificatemanager.editor',
    grantOnly(GRANTABLE_PROJECT_ROLES),
  ];
}

/**
 * Roles of the previews' deploy identity on the preview host's project: a
 * service account, database, IAM user and Kubernetes namespace per pull
 * request — no network, cluster, instance or budget administration.
 */
export function previewDeployRoles(secretsManagerRole: string): readonly (string | RoleGrant)[] {
  return [
    'roles/container.developer',
    'roles/cloudsql.admin',
    'roles/iam.serviceAccountAdmin',
    { role: secretsManagerRole, key: 'secrets-manager' },
    'roles/serviceusage.serviceUsageConsumer',
    grantOnly(['roles/cloudsql.client', 'roles/cloudsql.instanceUser']),
  ];
}

/** State prefixes (in the state bucket) of the stacks a deploy target applies. */
export function deployStatePrefixes(target: DeployTarget): readonly string[] {
  if (target === 'previews') return [statePrefix(stackName.preview(1)).replace(/\d+$/, '')];
  return [stackName.platform(target), stackName.cluster(target), stackName.app(target)].map(
    (s) => `${statePrefix(s)}/`,
  );
}

/** State prefixes the plan identity reads: bootstrap and every long-lived stack, never a preview. */
export function planStatePrefixes(): readonly string[] {
  return [
    `${statePrefix(stackName.bootstrap)}/`,
    ...ENVIRONMENT_NAMES.flatMap((e) => deployStatePrefixes(e)),
  ];
}

export interface BootstrapStackProps {
  readonly bootstrap: BootstrapConfig;
  readonly environments: Readonly<Record<EnvironmentName, EnvironmentConfig>>;
}

/**
 * `bootstrap`, once per organisation of projects: the versioned state bucket
 * every other stack keeps its state in, the Google APIs, the Artifact
 * Registry repositories (release, previews), and the CI identities —
 * Workload Identity Federation for this GitHub repository's immutable id, a
 * read-only plan identity, a build identity and one deploy identity per
 * environment and for previews (ADR 0110). Its own state is local at first; see
 * docs/deploy.md for moving it into the bucket it creates.
 */
export class BootstrapStack extends TerraformStack {
  readonly stateBucket: PrivateBucket;
  readonly registry: ArtifactRegistry;
  readonly federation: GitHubWorkloadIdentityFederation;
  readonly previewRegistry: ArtifactRegistry;
  readonly planIdentity: DeployerServiceAccount;
  readonly buildIdentity: DeployerServiceAccount;
  readonly deployIdentities: Partial<Record<DeployTarget, DeployerServiceAccount>>;

  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    const b = props.bootstrap;
    // The bucket cannot hold the state of the run that creates it: local first, migrated after.
    if (b.stateInBucket)
      new GcsBackend(this, { bucket: b.stateBucket, prefix: statePrefix(stackName.bootstrap) });
    // Relative to cdktf.out/stacks/bootstrap: the repository root (gitignored), never inside cdktf.out.
    else new LocalBackend(this, { path: '../../../terraform.bootstrap.tfstate' });
    googleProvider(this, 'google', { projectId: b.projectId, region: b.region, billCallsToProject: true });
    const bootstrapProjectNumber = projectNumber(this, 'project', b.projectId);

    const apis = new ProjectServices(this, 'apis', { projectId: b.projectId, services: BOOTSTRAP_APIS });
    const envProjects = [...new Set(ENVIRONMENT_NAMES.map((n) => props.environments[n].projectId))];
    const envApis = Object.fromEntries(
      envProjects.map((projectId) => [
        projectId,
        new ProjectServices(this, `apis-${projectId}`, { projectId, services: ENVIRONMENT_APIS }),
      ]),
    );

    this.stateBucket = new PrivateBucket(this, 'state', {
      projectId: b.projectId,
      name: b.stateBucket,
      location: b.region,
      versioning: true,
      keepNoncurrentVersions: 20,
      dependsOn: [apis.services['storage.googleapis.com']!],
    });

    this.registry = new ArtifactRegistry(this, 'registry', {
      projectId: b.projectId,
      location: b.region,
      repositoryId: ARTIFACT_REPOSITORY_ID,
      keepRecentVersions: b.keepRecentImageVersions,
      deleteUntaggedAfterDays: b.deleteUntaggedImagesAfterDays,
      dependsOn: [apis.services['artifactregistry.googleapis.com']!],
    });

    this.federation = new GitHubWorkloadIdentityFederation(this, 'github', {
      projectId: b.projectId,
      projectNumber: bootstrapProjectNumber,
      repository: b.githubRepository,
      repositoryId: b.githubRepositoryId,
      repositoryOwnerId: b.githubRepositoryOwnerId,
      poolId: CI_IDENTITIES.workloadIdentityPoolId,
      providerId: CI_IDENTITIES.workloadIdentityProviderId,
      dependsOn: [apis.services['iam.googleapis.com']!],
    });

    // Pull-request images: a repository of their own that release environments cannot pull from.
    this.previewRegistry = new ArtifactRegistry(this, 'preview-registry', {
      projectId: b.projectId,
      location: b.region,
      repositoryId: PREVIEW_ARTIFACT_REPOSITORY_ID,
      keepRecentVersions: 20,
      deleteUntaggedAfterDays: 7,
      dependsOn: [apis.services['artifactregistry.googleapis.com']!],
    });

    const secretsRoles: Record<string, string> = {};
    for (const projectId of envProjects) {
      secretsRoles[projectId] = customProjectRole(this, `secrets-manager-role-${projectId}`, {
        projectId,
        roleId: SECRETS_MANAGER_ROLE.roleId,
        title: 'Secret Manager secrets without payload access',
        permissions: SECRETS_MANAGER_ROLE.permissions,
      });
    }

    // Plan: read-only everywhere, on every long-lived stack's state; writes nothing (plans run -lock=false).
    this.planIdentity = new DeployerServiceAccount(this, 'plan', {
      projectId: b.projectId,
      accountId: CI_IDENTITIES.planServiceAccountId,
      description: `terraform plan from any run of ${b.githubRepository} (read-only)`,
      projectRoles: {
        ...Object.fromEntries(envProjects.map((p) => [p, PLAN_ROLES])),
        [b.projectId]: [
          ...new Set([...(envProjects.includes(b.projectId) ? PLAN_ROLES : []), ...BOOTSTRAP_PLAN_ROLES]),
        ],
      },
      dependsOn: [apis.services['iam.googleapis.com']!],
    });
    this.federation.allowRepository('plan-from-repository', this.planIdentity.serviceAccountName);
    this.stateBucket.grantRead(
      this.planIdentity,
      'plan-state',
      this.stateBucket.prefixCondition('long-lived stacks, read only', planStatePrefixes()),
    );
    this.registry.grantRead(this.planIdentity, 'plan-pull');

    // Build: pushes release images, from a push to the deploy ref only; nothing else.
    this.buildIdentity = new DeployerServiceAccount(this, 'build', {
      projectId: b.projectId,
      accountId: CI_IDENTITIES.buildServiceAccountId,
      description: `release images from pushes to ${b.githubDeployRef} of ${b.githubRepository}`,
      projectRoles: {},
      dependsOn: [apis.services['iam.googleapis.com']!],
    });
    this.federation.allowEvent(
      'build-from-push',
      this.buildIdentity.serviceAccountName,
      'push',
      b.githubDeployRef,
    );
    this.registry.grantWrite(this.buildIdentity, 'build-push');

    // One deploy identity per environment and one for previews, each from its GitHub environment only.
    const deployers: Partial<Record<DeployTarget, DeployerServiceAccount>> = {};
    const host = ENVIRONMENT_NAMES.map((n) => props.environments[n]).find((e) => e.hostsPreviews);
    const targets: DeployTarget[] = [...ENVIRONMENT_NAMES, ...(host ? (['previews'] as const) : [])];
    for (const target of targets) {
      const env = target === 'previews' ? host! : props.environments[target];
      const identity = new DeployerServiceAccount(this, `deploy-${target}`, {
        projectId: b.projectId,
        accountId: CI_IDENTITIES.deployServiceAccountId(target),
        description: `deploys ${target} from GitHub environment ${CI_IDENTITIES.githubEnvironment(target)} on ${b.githubDeployRef}`,
        projectRoles: {
          [env.projectId]: (target === 'previews' ? previewDeployRoles : environmentDeployRoles)(
            secretsRoles[env.projectId]!,
          ),
        },
        dependsOn: [apis.services['iam.googleapis.com']!],
      });
      this.federation.allowEnvironment(
        `deploy-${target}-from-environment`,
        identity.serviceAccountName,
        CI_IDENTITIES.githubEnvironment(target),
        b.githubDeployRef,
      );
      this.stateBucket.grantReadWrite(
        identity,
        `deploy-${target}-state`,
        this.stateBucket.prefixCondition(`${target} stacks`, deployStatePrefixes(target)),
      );
      if (target === 'previews') {
        // Previews read the host's platform outputs; they never write them.
        this.stateBucket.grantRead(
          identity,
          'deploy-previews-host-state',
          this.stateBucket.prefixCondition('host platform, read only', [
            `${statePrefix(stackName.platform(env.name))}/`,
          ]),
        );
        this.previewRegistry.grantWrite(identity, 'previews-push');
      } else {
        // deploy-env.yml checks that the digest is a release image before deploying it.
        this.registry.grantRead(identity, `deploy-${target}-pull`);
        // Budgets live on the billing account.
        grantBillingAccountRole(this, `deploy-${target}-budgets`, {
          billingAccountId: b.billingAccount,
          role: 'roles/billing.costsManager',
          grantee: identity,
        });
      }
      deployers[target] = identity;
    }
    this.deployIdentities = deployers;

    // Deny, per environment project, what the CI identities acting there must never do (ADR 0127).
    // Creating a deny policy needs roles/iam.denyAdmin, which no CI identity holds.
    for (const projectId of envProjects) {
      const actors = [
        this.planIdentity,
        ...targets
          .filter((t) => (t === 'previews' ? host!.projectId : props.environments[t].projectId) === projectId)
          .map((t) => deployers[t]!),
      ];
      denyProjectPermissions(this, `ci-deny-${projectId}`, {
        projectId,
        name: 'ci-no-secrets-or-tokens',
        displayName: 'CI identities: no secret payloads, no service-account tokens or keys',
        description: 'deploy and plan identities never read secrets or act as another account',
        deniedServiceAccounts: actors,
        deniedPermissions: CI_DENIED_PERMISSIONS,
        dependsOn: [envApis[projectId]!.services['iam.googleapis.com']!],
      });
    }

    // Images: every environment's nodes pull release images; only the preview host's pull previews.
    for (const projectId of envProjects) {
      // Autopilot nodes run as a dedicated account (not the default compute one, which is Editor).
      const nodeAccount = googleServiceAccount(this, `gke-nodes-${projectId}`, {
        projectId,
        accountId: GKE_NODE_SERVICE_ACCOUNT_ID,
        displayName: 'GKE Autopilot nodes',
        dependsOn: [envApis[projectId]!.services['iam.googleapis.com']!],
      });
      grantProjectRole(this, `gke-nodes-role-${projectId}`, {
        projectId,
        role: GKE_NODE_SERVICE_ACCOUNT_ROLE.value,
        grantee: nodeAccount,
      });
      this.registry.grantRead(nodeAccount, `nodes-${projectId}`);
      if (host?.projectId === projectId)
        this.previewRegistry.grantRead(nodeAccount, `preview-nodes-${projectId}`);
      // Creating the Autopilot cluster acts as its node account: actAs on that account only.
      for (const target of ENVIRONMENT_NAMES.filter((n) => props.environments[n].projectId === projectId)) {
        grantActAs(this, `deploy-${target}-act-as-nodes`, {
          serviceAccountName: nodeAccount.serviceAccountName,
          grantee: deployers[target]!,
        });
      }
    }

    grantBillingAccountRole(this, 'plan-budgets', {
      billingAccountId: b.billingAccount,
      role: 'roles/billing.viewer',
      grantee: this.planIdentity,
    });

    const out = (name: string, value: string, description: string) =>
      new TerraformOutput(this, name, { value, description });
    out(
      'workload_identity_provider',
      this.federation.providerName,
      'GitHub: vars.GCP_WORKLOAD_IDENTITY_PROVIDER',
    );
    out(
      'plan_service_account',
      this.planIdentity.serviceAccountEmail,
      'GitHub: vars.GCP_PLAN_SERVICE_ACCOUNT',
    );
    out(
      'build_service_account',
      this.buildIdentity.serviceAccountEmail,
      'GitHub: vars.GCP_BUILD_SERVICE_ACCOUNT',
    );
    for (const [target, identity] of Object.entries(deployers)) {
      out(
        `deploy_${target}_service_account`,
        identity.serviceAccountEmail,
        `GitHub: vars.GCP_DEPLOY_SERVICE_ACCOUNT in environment ${CI_IDENTITIES.githubEnvironment(target as DeployTarget)}`,
      );
    }
    out(
      'artifact_registry_repository',
      this.registry.repositoryUrl,
      'GitHub: vars.ARTIFACT_REGISTRY (release images)',
    );
    out(
      'preview_artifact_registry_repository',
      this.previewRegistry.repositoryUrl,
      'pull-request images (preview host only)',
    );
    out('state_bucket', this.stateBucket.bucketName, 'GitHub: vars.TF_STATE_BUCKET');
  }
}
