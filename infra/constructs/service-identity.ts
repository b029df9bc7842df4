import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { googleServiceAccountEmail, iamDatabaseUser } from '../../config/names';
import { SIGN_BLOB_ROLE } from '../../config/platform-facts';
import { assertSafeGrant, IPrincipal, safeGrant } from './principal';

export interface WorkloadIdentityUserProps {
  readonly projectId: string;
  /** Google service account id (before `@`). */
  readonly googleServiceAccountId: string;
  /** Kubernetes namespace of the pods. */
  readonly namespace: string;
  /** Kubernetes service account the pods run as. */
  readonly kubernetesServiceAccount: string;
  /** @default the account id */
  readonly displayName?: string;
  /**
   * @default `${projectId}.svc.id.goog` — the cluster's Workload Identity pool
   * (a cluster in another project would name its own).
   */
  readonly workloadIdentityPool?: string;
  /**
   * @default none — what creates the Workload Identity pool: the cluster when
   * it is in the same stack (IAM rejects a member of a pool that does not
   * exist yet, and the pool exists only once a cluster does).
   */
  readonly workloadIdentityPoolDependsOn?: ITerraformDependable[];
}

/**
 * A Google service account that exactly one Kubernetes service account may
 * impersonate through Workload Identity. No keys exist: the pod gets
 * short-lived tokens from the GKE metadata server.
 */
export class WorkloadIdentityUser extends Construct implements IPrincipal {
  readonly serviceAccount: ServiceAccount;
  /** Known at synth time (built from the id), so other layers can compare it. */
  readonly serviceAccountEmail: string;
  readonly principalMember: string;
  /** The Cloud SQL IAM database user name of this account. */
  readonly serviceAccountDatabaseUser: string;
  /** `serviceAccount:<pool>[<namespace>/<ksa>]` allowed to impersonate. */
  readonly workloadIdentityMember: string;
  readonly principalDependsOn: ITerraformDependable[];
  /** The `roles/iam.workloadIdentityUser` binding; a pod can get tokens only once it exists. */
  readonly workloadIdentityBinding: ServiceAccountIamMember;

  constructor(scope: Construct, id: string, props: WorkloadIdentityUserProps) {
    super(scope, id);
    if (!/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/.test(props.googleServiceAccountId)) {
      throw new Error(
        `WorkloadIdentityUser ${id}: googleServiceAccountId must be 6-30 chars of a-z, 0-9, -, got "${props.googleServiceAccountId}"`,
      );
    }
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(props.namespace)) {
      throw new Error(`WorkloadIdentityUser ${id}: namespace must be a DNS label, got "${props.namespace}"`);
    }
    this.serviceAccount = new ServiceAccount(this, 'gsa', {
      project: props.projectId,
      accountId: props.googleServiceAccountId,
      displayName: props.displayName ?? props.googleServiceAccountId,
      description: `Workload Identity of ${props.namespace}/${props.kubernetesServiceAccount}`,
    });
    this.serviceAccountEmail = googleServiceAccountEmail(props.googleServiceAccountId, props.projectId);
    this.principalMember = `serviceAccount:${this.serviceAccountEmail}`;
    this.serviceAccountDatabaseUser = iamDatabaseUser(props.googleServiceAccountId, props.projectId);
    const pool = props.workloadIdentityPool ?? `${props.projectId}.svc.id.goog`;
    this.workloadIdentityMember = `serviceAccount:${pool}[${props.namespace}/${props.kubernetesServiceAccount}]`;
    this.principalDependsOn = [this.serviceAccount];
    this.workloadIdentityBinding = new ServiceAccountIamMember(this, 'workload-identity', {
      serviceAccountId: this.serviceAccount.name,
      role: 'roles/iam.workloadIdentityUser',
      member: this.workloadIdentityMember,
      dependsOn: props.workloadIdentityPoolDependsOn,
    });
  }

  /**
   * Lets `grantee` sign blobs as this account (SIGN_BLOB_ROLE on this account
   * only): V4 signed URLs without a key. Granting it to the account itself
   * lets the pod sign as its own identity and as no other.
   */
  grantSignBlob(grantee: IPrincipal, id = 'sign-blob'): ServiceAccountIamMember {
    return new ServiceAccountIamMember(this, id, {
      serviceAccountId: this.serviceAccount.name,
      ...safeGrant(SIGN_BLOB_ROLE.value.role, grantee),
    });
  }
}

export interface GoogleServiceAccountProps {
  readonly projectId: string;
  /** Account id (before `@`). */
  readonly accountId: string;
  readonly displayName: string;
  /** @default none — what must exist first (the project's IAM API). */
  readonly dependsOn?: ITerraformDependable[];
}

/** A service account no pod impersonates (e.g. GKE nodes'), as a principal; it never has keys. */
export interface GoogleServiceAccount extends IPrincipal {
  readonly serviceAccount: ServiceAccount;
  /** `projects/<p>/serviceAccounts/<email>` for IAM bindings on the account. */
  readonly serviceAccountName: string;
  readonly principalDependsOn: ITerraformDependable[];
}

export function googleServiceAccount(
  scope: Construct,
  id: string,
  props: GoogleServiceAccountProps,
): GoogleServiceAccount {
  const account = new ServiceAccount(scope, id, {
    project: props.projectId,
    accountId: props.accountId,
    displayName: props.displayName,
    dependsOn: props.dependsOn,
  });
  return {
    serviceAccount: account,
    serviceAccountName: account.name,
    principalMember: `serviceAccount:${account.email}`,
    principalDependsOn: [account],
  };
}

/**
 * Lets `grantee` act as the service account `serviceAccountName`
 * (`roles/iam.serviceAccountUser` on that account only, never project-wide):
 * what creating a resource that runs as the account needs.
 */
export function grantActAs(
  scope: Construct,
  id: string,
  props: { readonly serviceAccountName: string; readonly grantee: IPrincipal },
): ServiceAccountIamMember {
  const role = 'roles/iam.serviceAccountUser';
  assertSafeGrant(role, props.grantee.principalMember);
  return new ServiceAccountIamMember(scope, id, {
    serviceAccountId: props.serviceAccountName,
    role,
    member: props.grantee.principalMember,
    dependsOn: [...(props.grantee.principalDependsOn ?? [])],
  });
}
