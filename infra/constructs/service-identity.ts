import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { googleServiceAccountEmail, iamDatabaseUser } from '../config/names';
import { IPrincipal } from './principal';

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
}
