import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { IamWorkloadIdentityPool } from '@cdktf/provider-google/lib/iam-workload-identity-pool';
import { IamWorkloadIdentityPoolProvider } from '@cdktf/provider-google/lib/iam-workload-identity-pool-provider';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';

export interface GitHubWorkloadIdentityFederationProps {
  readonly projectId: string;
  /** Project number: principal sets are named by it. */
  readonly projectNumber: string;
  /** `owner/name`, for descriptions only: a name can be deleted and registered again by someone else. */
  readonly repository: string;
  /** GitHub's numeric repository id (`repository_id` claim): the trust anchor. */
  readonly repositoryId: string;
  /** GitHub's numeric id of the repository owner (`repository_owner_id` claim). */
  readonly repositoryOwnerId: string;
  /** @default 'github' */
  readonly poolId?: string;
  /** @default 'github-actions' */
  readonly providerId?: string;
  /** @default none — what must exist first (the IAM API's google_project_service). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * GitHub Actions OIDC token claims this federation reads
 * (https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#understanding-the-oidc-token):
 * `repository_id` and `repository_owner_id` are immutable, unlike
 * `repository`; `environment` is present only for a job that names one;
 * `event_name` and `ref` say what started the run.
 */
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

/**
 * Events whose runs never get a token accepted: `pull_request_target` runs
 * main's workflow on main's ref for a pull request, the classic way PR code
 * meets a deploy credential. No workflow here uses it.
 */
export const REJECTED_EVENTS = ['pull_request_target'] as const;

/** Attribute names the provider maps; principal sets are written against these. */
export const FEDERATION_ATTRIBUTES = {
  repositoryId: 'repository_id',
  /** `<environment>@<ref>`, or `@<ref>` for a job without an environment. */
  environmentRef: 'environment_ref',
  /** `<event_name>@<ref>`. */
  eventRef: 'event_ref',
} as const;

/**
 * Workload Identity Federation for GitHub Actions: the provider accepts only
 * OIDC tokens of one repository and owner, by their immutable ids, and never
 * from a `pull_request_target` run, so no key file ever exists. Service
 * accounts are then opened to the whole repository, to one environment on
 * one ref, or to one event on one ref.
 */
export class GitHubWorkloadIdentityFederation extends Construct {
  readonly pool: IamWorkloadIdentityPool;
  readonly provider: IamWorkloadIdentityPoolProvider;
  /** `projects/<number>/locations/global/workloadIdentityPools/<pool>/providers/<provider>` (the `workload_identity_provider` input of google-github-actions/auth). */
  readonly providerName: string;
  /** The attribute condition the provider enforces. */
  readonly providerAttributeCondition: string;
  private readonly poolPrincipalPrefix: string;
  private readonly repositoryId: string;

  constructor(scope: Construct, id: string, props: GitHubWorkloadIdentityFederationProps) {
    super(scope, id);
    for (const [key, value] of [
      ['repositoryId', props.repositoryId],
      ['repositoryOwnerId', props.repositoryOwnerId],
    ] as const) {
      if (!/^\d{1,20}$/.test(value)) {
        throw new Error(
          `GitHubWorkloadIdentityFederation ${id}: ${key} must be GitHub's numeric id, got "${value}"`,
        );
      }
    }
    const poolId = props.poolId ?? 'github';
    const providerId = props.providerId ?? 'github-actions';
    this.repositoryId = props.repositoryId;
    this.pool = new IamWorkloadIdentityPool(this, 'pool', {
      project: props.projectId,
      workloadIdentityPoolId: poolId,
      displayName: 'GitHub Actions',
      description: `OIDC tokens of ${props.repository} (repository id ${props.repositoryId})`,
      dependsOn: props.dependsOn,
    });
    this.providerAttributeCondition = [
      `assertion.repository_id == '${props.repositoryId}'`,
      `assertion.repository_owner_id == '${props.repositoryOwnerId}'`,
      ...REJECTED_EVENTS.map((e) => `assertion.event_name != '${e}'`),
    ].join(' && ');
    this.provider = new IamWorkloadIdentityPoolProvider(this, 'provider', {
      project: props.projectId,
      workloadIdentityPoolId: this.pool.workloadIdentityPoolId,
      workloadIdentityPoolProviderId: providerId,
      displayName: 'GitHub Actions OIDC',
      attributeMapping: {
        'google.subject': 'assertion.sub',
        'attribute.repository': 'assertion.repository',
        [`attribute.${FEDERATION_ATTRIBUTES.repositoryId}`]: 'assertion.repository_id',
        [`attribute.${FEDERATION_ATTRIBUTES.environmentRef}`]:
          "(has(assertion.environment) ? assertion.environment : '') + '@' + assertion.ref",
        [`attribute.${FEDERATION_ATTRIBUTES.eventRef}`]: "assertion.event_name + '@' + assertion.ref",
        'attribute.workflow_ref': 'assertion.job_workflow_ref',
      },
      attributeCondition: this.providerAttributeCondition,
      oidc: { issuerUri: GITHUB_ISSUER },
      dependsOn: props.dependsOn,
    });
    this.providerName = `projects/${props.projectNumber}/locations/global/workloadIdentityPools/${poolId}/providers/${providerId}`;
    this.poolPrincipalPrefix = `principalSet://iam.googleapis.com/projects/${props.projectNumber}/locations/global/workloadIdentityPools/${poolId}`;
  }

  /** Any accepted run of the repository (pull requests from its branches included) may impersonate `serviceAccountName`. */
  allowRepository(id: string, serviceAccountName: string): ServiceAccountIamMember {
    return this.allow(id, serviceAccountName, FEDERATION_ATTRIBUTES.repositoryId, this.repositoryId);
  }

  /** Only jobs in GitHub environment `environment` of a run on `ref` may impersonate `serviceAccountName`. */
  allowEnvironment(
    id: string,
    serviceAccountName: string,
    environment: string,
    ref: string,
  ): ServiceAccountIamMember {
    if (!/^[A-Za-z0-9_.-]+$/.test(environment)) {
      throw new Error(
        `GitHubWorkloadIdentityFederation ${id}: environment must be a name, got "${environment}"`,
      );
    }
    return this.allow(
      id,
      serviceAccountName,
      FEDERATION_ATTRIBUTES.environmentRef,
      `${environment}@${this.ref(id, ref)}`,
    );
  }

  /** Only runs started by `event` on `ref` (e.g. push to refs/heads/main) may impersonate `serviceAccountName`. */
  allowEvent(id: string, serviceAccountName: string, event: string, ref: string): ServiceAccountIamMember {
    if ((REJECTED_EVENTS as readonly string[]).includes(event) || !/^[a-z_]+$/.test(event)) {
      throw new Error(`GitHubWorkloadIdentityFederation ${id}: event "${event}" cannot be trusted`);
    }
    return this.allow(
      id,
      serviceAccountName,
      FEDERATION_ATTRIBUTES.eventRef,
      `${event}@${this.ref(id, ref)}`,
    );
  }

  private ref(id: string, ref: string): string {
    if (!/^refs\/(heads|tags)\/.+$/.test(ref)) {
      throw new Error(
        `GitHubWorkloadIdentityFederation ${id}: ref must be a full ref like refs/heads/main, got "${ref}"`,
      );
    }
    return ref;
  }

  private allow(
    id: string,
    serviceAccountName: string,
    attribute: string,
    value: string,
  ): ServiceAccountIamMember {
    return new ServiceAccountIamMember(this, id, {
      serviceAccountId: serviceAccountName,
      role: 'roles/iam.workloadIdentityUser',
      member: `${this.poolPrincipalPrefix}/attribute.${attribute}/${value}`,
      // The member names the pool by id: it must exist first.
      dependsOn: [this.pool],
    });
  }
}
