import { Construct } from 'constructs';
import { SecretManagerSecret } from '@cdktf/provider-google/lib/secret-manager-secret';
import { SecretManagerSecretIamMember } from '@cdktf/provider-google/lib/secret-manager-secret-iam-member';
import { safeGrant, IPrincipal } from './principal';

export interface SecretProps {
  readonly projectId: string;
  readonly secretId: string;
  /** Regions the payload is stored in (user-managed replication keeps data in Japan). */
  readonly replicaLocations: readonly string[];
  /** @default true — the secret cannot be deleted until this is turned off. */
  readonly deletionProtection?: boolean;
  /** @default 30 days — destroyed versions stay recoverable for this long. */
  readonly versionDestroyTtlDays?: number;
}

/**
 * A Secret Manager secret WITHOUT a value: versions are added out of band
 * (`gcloud secrets versions add`), so no secret material is ever in code or
 * Terraform state. Readers are granted per secret, never per project.
 */
export class Secret extends Construct {
  readonly secret: SecretManagerSecret;
  readonly secretId: string;
  /** `projects/<p>/secrets/<id>`. */
  readonly secretName: string;
  private readonly projectId: string;

  constructor(scope: Construct, id: string, props: SecretProps) {
    super(scope, id);
    if (props.replicaLocations.length === 0) {
      throw new Error(`Secret ${id}: replicaLocations must name at least one region`);
    }
    this.projectId = props.projectId;
    this.secret = new SecretManagerSecret(this, 'secret', {
      project: props.projectId,
      secretId: props.secretId,
      replication: { userManaged: { replicas: props.replicaLocations.map((location) => ({ location })) } },
      deletionProtection: props.deletionProtection ?? true,
      versionDestroyTtl: `${(props.versionDestroyTtlDays ?? 30) * 86400}s`,
    });
    this.secretId = props.secretId;
    this.secretName = `projects/${props.projectId}/secrets/${props.secretId}`;
  }

  /** Lets `grantee` read the payload of this secret only. */
  grantAccess(grantee: IPrincipal, id = 'accessor'): SecretManagerSecretIamMember {
    return grantSecretAccess(this, id, {
      projectId: this.projectId,
      secretId: this.secret.secretId,
      grantee,
    });
  }
}

export interface SecretAccessGrantProps {
  readonly projectId: string;
  /** A secret this or another stack manages. */
  readonly secretId: string;
  readonly grantee: IPrincipal;
}

/** Lets `grantee` read the payload of one secret, never the project's others. */
export function grantSecretAccess(
  scope: Construct,
  id: string,
  props: SecretAccessGrantProps,
): SecretManagerSecretIamMember {
  return new SecretManagerSecretIamMember(scope, id, {
    project: props.projectId,
    secretId: props.secretId,
    ...safeGrant('roles/secretmanager.secretAccessor', props.grantee),
  });
}
