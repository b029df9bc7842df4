import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { PrivateBucket } from './private-bucket';
import { WorkloadIdentityUser } from './service-identity';

export interface LokiStorageProps {
  readonly projectId: string;
  readonly location: string;
  readonly bucketName: string;
  /** Days logs are kept; the bucket deletes older objects as a backstop to Loki's compactor. */
  readonly retentionDays: number;
  /** Identity of the Loki pods (names.LOKI_IDENTITY). */
  readonly googleServiceAccountId: string;
  readonly namespace: string;
  readonly kubernetesServiceAccount: string;
  /** @default none — the cluster, when it is in the same stack (see WorkloadIdentityUser). */
  readonly workloadIdentityPoolDependsOn?: ITerraformDependable[];
}

/**
 * Object storage for Loki: a private bucket with a lifecycle that matches
 * the retention, and the Workload Identity user Loki writes it as (object
 * read/write on this bucket only).
 */
export class LokiStorage extends Construct {
  readonly bucket: PrivateBucket;
  readonly identity: WorkloadIdentityUser;
  readonly bucketName: string;
  readonly serviceAccountEmail: string;

  constructor(scope: Construct, id: string, props: LokiStorageProps) {
    super(scope, id);
    if (!Number.isInteger(props.retentionDays) || props.retentionDays < 1) {
      throw new Error(
        `LokiStorage ${id}: retentionDays must be a positive integer, got ${props.retentionDays}`,
      );
    }
    this.bucket = new PrivateBucket(this, 'bucket', {
      projectId: props.projectId,
      name: props.bucketName,
      location: props.location,
      // One day of slack so the compactor, not the lifecycle, normally deletes.
      deleteAfterDays: props.retentionDays + 1,
    });
    this.identity = new WorkloadIdentityUser(this, 'identity', {
      projectId: props.projectId,
      googleServiceAccountId: props.googleServiceAccountId,
      namespace: props.namespace,
      kubernetesServiceAccount: props.kubernetesServiceAccount,
      displayName: 'Loki object storage',
      workloadIdentityPoolDependsOn: props.workloadIdentityPoolDependsOn,
    });
    this.bucket.grantReadWrite(this.identity, 'loki-object-user');
    this.bucketName = this.bucket.bucketName;
    this.serviceAccountEmail = this.identity.serviceAccountEmail;
  }
}
