import { GcsBackend, LocalBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { BillingAccountIamMember } from '@cdktf/provider-google/lib/billing-account-iam-member';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import {
  BootstrapConfig,
  EnvironmentConfig,
  EnvironmentName,
  ENVIRONMENT_NAMES,
} from '../config/environments';
import {
  ARTIFACT_REPOSITORY_ID,
  CI_IDENTITIES,
  GKE_NODE_SERVICE_ACCOUNT_ID,
  stackName,
  statePrefix,
} from '../config/names';
import { GKE_NODE_SERVICE_ACCOUNT_ROLE } from '../config/platform-facts';
import { ArtifactRegistry } from '../constructs/artifact-registry';
import { DeployerServiceAccount, RoleGrant } from '../constructs/deployer-service-account';
import { GitHubWorkloadIdentityFederation } from '../constructs/github-workload-identity-federation';
import { principal } from '../constructs/principal';
import { PrivateBucket } from '../constructs/private-bucket';
import { ProjectServices } from '../constructs/project-services';

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

/** Project roles the stacks themselves grant; the apply identity may grant nothing else. */
export const GRANTABLE_PROJECT_ROLES = [
  'roles/cloudsql.client',
  'roles/cloudsql.instanceUser',
  'roles/monitoring.viewer',
] as const;

/** Read-only roles for `cdktf diff` (no primitive roles; secrets' payloads are not readable). */
export const PLAN_ROLES: readonly string[] = [
  'roles/compute.viewer',
  'roles/container.viewer',
  'roles/cloudsql.viewer',
  'roles/dns.reader',
  'roles/iam.securityReviewer',
  'roles/iam.serviceAccountViewer',
  'roles/secretmanager.viewer',
  'roles/monitoring.viewer',
  'roles/serviceusage.serviceUsageViewer',
  'roles/storage.bucketViewer',
  'roles/binaryauthorization.policyViewer',
  'roles/certificatemanager.viewer',
];

/** Roles for `cdktf deploy`: admin of exactly the products the stacks manage. */
export const APPLY_ROLES: readonly (string | RoleGrant)[] = [
  'roles/compute.networkAdmin',
  'roles/compute.securityAdmin',
  'roles/dns.admin',
  'roles/servicenetworking.networksAdmin',
  'roles/container.admin',
  'roles/cloudsql.admin',
  'roles/iam.serviceAccountAdmin',
  'roles/iam.serviceAccountUser',
  'roles/secretmanager.admin',
  'roles/storage.admin',
  'roles/monitoring.editor',
  'roles/serviceusage.serviceUsageConsumer',
  'roles/binaryauthorization.policyEditor',
  'roles/certificatemanager.editor',
  {
    role: 'roles/resourcemanager.projectIamAdmin',
    condition: {
      title: 'only the roles the stacks grant',
      expression: `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${GRANTABLE_PROJECT_ROLES.map((r) => `'${r}'`).join(', ')}])`,
    },
  },
];

export interface BootstrapStackProps {
  readonly bootstrap: BootstrapConfig;
  readonly environments: Readonly<Record<EnvironmentName, EnvironmentConfig>>;
}

/**
 * `bootstrap`, once per organisation of projects: the versioned state bucket
 * every other stack keeps its state in, the Google APIs, the Artifact
 * Registry repository, and the CI identities — Workload Identity Federation
 * for this GitHub repository with a read-only plan identity (any ref) and an
 * apply identity (deploy ref only). Its own state is local at first; see
 * docs/deploy.md for moving it into the bucket it creates.
 */
export class BootstrapStack extends TerraformStack {
  readonly stateBucket: PrivateBucket;
  readonly registry: ArtifactRegistry;
  readonly federation: GitHubWorkloadIdentityFederation;
  readonly planIdentity: DeployerServiceAccount;
  readonly applyIdentity: DeployerServiceAccount;

  constructor(scope: Construct, id: string, props: BootstrapStackProps) {
    super(scope, id);
    const b = props.bootstrap;
    // The bucket cannot hold the state of the run that creates it: local first, migrated after.
    if (b.stateInBucket)
      new GcsBackend(this, { bucket: b.stateBucket, prefix: statePrefix(stackName.bootstrap) });
    // Relative to cdktf.out/stacks/bootstrap: the repository root (gitignored), never inside cdktf.out.
    else new LocalBackend(this, { path: '../../../terraform.bootstrap.tfstate' });
    new GoogleProvider(this, 'google', {
      project: b.projectId,
      region: b.region,
      userProjectOverride: true,
      billingProject: b.projectId,
    });
    const projectInfo = new DataGoogleProject(this, 'project', { projectId: b.projectId });

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
      projectNumber: projectInfo.number,
      repository: b.githubRepository,
      poolId: CI_IDENTITIES.workloadIdentityPoolId,
      providerId: CI_IDENTITIES.workloadIdentityProviderId,
      dependsOn: [apis.services['iam.googleapis.com']!],
    });

    const perProject = (roles: readonly (string | RoleGrant)[]) =>
      Object.fromEntries(envProjects.map((p) => [p, roles]));
    this.planIdentity = new DeployerServiceAccount(this, 'plan', {
      projectId: b.projectId,
      accountId: CI_IDENTITIES.planServiceAccountId,
      description: `cdktf diff from ${b.githubRepository} (read-only)`,
      projectRoles: perProject(PLAN_ROLES),
      dependsOn: [apis.services['iam.googleapis.com']!],
    });
    this.applyIdentity = new DeployerServiceAccount(this, 'apply', {
      projectId: b.projectId,
      accountId: CI_IDENTITIES.applyServiceAccountId,
      description: `cdktf deploy from ${b.githubRepository}@${b.githubDeployRef}`,
      projectRoles: perProject(APPLY_ROLES),
      dependsOn: [apis.services['iam.googleapis.com']!],
    });
    this.federation.allowRepository('plan-from-repository', this.planIdentity.serviceAccountName);
    this.federation.allowRef(
      'apply-from-deploy-ref',
      this.applyIdentity.serviceAccountName,
      b.githubDeployRef,
    );

    // State: apply reads and writes; plan reads, and may only create/delete lock files.
    this.stateBucket.grantReadWrite(this.applyIdentity, 'apply-state');
    this.stateBucket.grantRead(this.planIdentity, 'plan-state');
    this.stateBucket.grantReadWrite(this.planIdentity, 'plan-state-locks', {
      title: 'lock files only',
      expression: `resource.name.startsWith("projects/_/buckets/${b.stateBucket}/objects/") && resource.name.endsWith(".tflock")`,
    });

    // Images: CI (apply) pushes; plan and every environment's nodes pull.
    this.registry.grantWrite(this.applyIdentity, 'apply-push');
    this.registry.grantRead(this.planIdentity, 'plan-pull');
    for (const projectId of envProjects) {
      // Autopilot nodes run as a dedicated account (not the default compute one, which is Editor).
      const nodes = new ServiceAccount(this, `gke-nodes-${projectId}`, {
        project: projectId,
        accountId: GKE_NODE_SERVICE_ACCOUNT_ID,
        displayName: 'GKE Autopilot nodes',
        dependsOn: [envApis[projectId]!.services['iam.googleapis.com']!],
      });
      const member = `serviceAccount:${nodes.email}`;
      new ProjectIamMember(this, `gke-nodes-role-${projectId}`, {
        project: projectId,
        role: GKE_NODE_SERVICE_ACCOUNT_ROLE.value,
        member,
      });
      this.registry.grantRead(principal(member, [nodes]), `nodes-${projectId}`);
    }

    // Budgets live on the billing account.
    new BillingAccountIamMember(this, 'apply-budgets', {
      billingAccountId: b.billingAccount,
      role: 'roles/billing.costsManager',
      member: this.applyIdentity.principalMember,
      dependsOn: this.applyIdentity.principalDependsOn,
    });
    new BillingAccountIamMember(this, 'plan-budgets', {
      billingAccountId: b.billingAccount,
      role: 'roles/billing.viewer',
      member: this.planIdentity.principalMember,
      dependsOn: this.planIdentity.principalDependsOn,
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
      'apply_service_account',
      this.applyIdentity.serviceAccountEmail,
      'GitHub: vars.GCP_APPLY_SERVICE_ACCOUNT',
    );
    out(
      'artifact_registry_repository',
      this.registry.repositoryUrl,
      'GitHub: vars.ARTIFACT_REGISTRY (docker push target)',
    );
    out('state_bucket', this.stateBucket.bucketName, 'GitHub: vars.TF_STATE_BUCKET');
  }
}
