import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';

/** CSI driver of GKE's Secret Manager add-on. */
export const GKE_SECRET_MANAGER_CSI_DRIVER = 'secrets-store-gke.csi.k8s.io';

export interface SecretManagerFile {
  /** `projects/<project>/secrets/<id>/versions/<version>` */
  readonly resourceName: string;
  /** File name inside the mounted volume. */
  readonly path: string;
}

/**
 * SecretProviderClass (secrets-store.csi.x-k8s.io/v1) for the GKE Secret
 * Manager add-on: each listed secret version becomes a file in the volume.
 */
export class GkeSecretProviderClass extends ApiObject {
  static readonly GVK = { apiVersion: 'secrets-store.csi.x-k8s.io/v1', kind: 'SecretProviderClass' } as const;
  constructor(
    scope: Construct,
    id: string,
    props: { metadata: ApiObjectMetadata; files: SecretManagerFile[] },
  ) {
    if (props.files.length === 0) throw new Error('GkeSecretProviderClass needs at least one file');
    for (const f of props.files) {
      if (!/^projects\/[^/]+\/secrets\/[^/]+\/versions\/[^/]+$/.test(f.resourceName)) {
        throw new Error(
          `resourceName must look like projects/<p>/secrets/<id>/versions/<v>, got "${f.resourceName}"`,
        );
      }
    }
    super(scope, id, {
      ...GkeSecretProviderClass.GVK,
      metadata: props.metadata,
      spec: {
        provider: 'gke',
        parameters: {
          secrets: stringify(props.files.map((f) => ({ resourceName: f.resourceName, path: f.path }))),
        },
      },
    });
  }
}
