import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { IamWorkloadIdentityPool } from '@cdktf/provider-google/lib/iam-workload-identity-pool';
import { IamWorkloadIdentityPoolProvider } from '@cdktf/provider-google/lib/iam-workload-identity-pool-provider';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';

export interface GitHubWorkloadIdentityFederationProps {
  readonly projectId: string;
  /** Project number: principal sets are named by it. */
  readonly projectNumber: string;
  /** `owner/name`; no other repository's tokens are accepted at all. */
  readonly repository: string;
  /** @default 'github' */
  readonly poolId?: string;
  /** @default 'github-actions' */
  readonly providerId?: string;
  /** @default none — what must exist first (the IAM API's google_project_service). */
  readonly dependsOn?: ITerraformDependable[];
}

const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/**
 * Workload Identity Federation for GitHub Actions: the provider accepts only
 * OIDC tokens of one repository (attribute condition), so no key file ever
 * exists. Service accounts are then opened to the whole repository or to one
 * ref of it with `allowRepository` / `allowRef`.
 */
export class GitHubWorkloadIdentityFederation extends Construct {
  readonly pool: IamWorkloadIdentityPool;
  readonly provider: IamWorkloadIdentityPoolProvider;
  /** `projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>` (the `workload_identity_provider` input of google-github-actions/auth). */
  readonly providerName: string;
  /** The attribute condition the provider enforces. */
  readonly providerAttributeCondition: string;
  private readonly poolPrincipalPrefix: string;
  private readonly repository: string;

  constructor(scope: Construct, id: string, props: GitHubWorkloadIdentityFederationProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(props.repository)) {
      throw new Error(
        `GitHubWorkloadIdentityFederation ${id}: repository must be owner/name, got "${props.repository}"`,
      );
    }
    const poolId = props.poolId ?? 'github';
    const providerId = props.providerId ?? 'github-actions';
    this.repository = props.repository;
    this.pool = new IamWorkloadIdentityPool(this, 'pool', {
      project: props.projectId,
      workloadIdentityPoolId: poolId,
      displayName: 'GitHub Actions',
      description: `OIDC tokens of ${props.repository}`,
      dependsOn: props.dependsOn,
    });
    this.providerAttributeCondition = `assertion.repository == '${props.repository}'`;
    this.provider = new IamWorkloadIdentityPoolProvider(this, 'provider', {
      project: props.projectId,
      workloadIdentityPoolId: this.pool.workloadIdentityPoolId,
      workloadIdentityPoolProviderId: providerId,
      displayName: 'GitHub Actions OIDC',
      attributeMapping: {
        'google.subject': 'assertion.sub',
        'attribute.repository': 'assertion.repository',
        'attribute.ref': 'assertion.ref',
        'attribute.repository_ref': "assertion.repository + '@' + assertion.ref",
        'attribute.workflow_ref': 'assertion.job_workflow_ref',
      },
      attributeCondition: this.providerAttributeCondition,
      oidc: { issuerUri: GITHUB_ISSUER },
      dependsOn: props.dependsOn,
    });
    this.providerName = `projects/${props.projectNumber}/locations/global/workloadIdentityPools/${poolId}/providers/${providerId}`;
    this.poolPrincipalPrefix = `principalSet://iam.googleapis.com/projects/${props.projectNumber}/locations/global/workloadIdentityPools/${poolId}`;
  }

  /** Any workflow run of the repository (pull requests included) may impersonate `serviceAccountName`. */
  allowRepository(id: string, serviceAccountName: string): ServiceAccountIamMember {
    return this.allow(
      id,
      serviceAccountName,
      `${this.poolPrincipalPrefix}/attribute.repository/${this.repository}`,
    );
  }

  /** Only workflow runs on `ref` (e.g. refs/heads/main) may impersonate `serviceAccountName`. */
  allowRef(id: string, serviceAccountName: string, ref: string): ServiceAccountIamMember {
    if (!/^refs\/(heads|tags)\/.+$/.test(ref)) {
      throw new Error(
        `GitHubWorkloadIdentityFederation ${id}: ref must be a full ref like refs/heads/main, got "${ref}"`,
      );
    }
    return this.allow(
      id,
      serviceAccountName,
      `${this.poolPrincipalPrefix}/attribute.repository_ref/${this.repository}@${ref}`,
    );
  }

  private allow(id: string, serviceAccountName: string, member: string): ServiceAccountIamMember {
    return new ServiceAccountIamMember(this, id, {
      serviceAccountId: serviceAccountName,
      role: 'roles/iam.workloadIdentityUser',
      member,
      // The member names the pool by id: it must exist first.
      dependsOn: [this.pool],
    });
  }
}
