import { DataTerraformRemoteStateGcs } from 'cdktf';
import { Construct } from 'constructs';
import { DataGoogleClientConfig } from '@cdktf/provider-google/lib/data-google-client-config';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { PLATFORM_OUTPUTS } from '../config/names';

export interface ClusterAccessProps {
  readonly projectId: string;
  readonly region: string;
  /** GCS bucket holding every stack's state. */
  readonly stateBucket: string;
  /** State prefix of the platform stack that created the cluster. */
  readonly platformStatePrefix: string;
  /** @default a new Google provider for the project — pass the stack's own when it has one. */
  readonly googleProvider?: GoogleProvider;
  /** @default a new remote state of the platform stack — pass one the stack already reads. */
  readonly platformState?: DataTerraformRemoteStateGcs;
}

/**
 * Providers for a Kubernetes-side stack: Google (for the caller's access
 * token), Kubernetes and Helm, pointed at the cluster's DNS-based endpoint
 * (Google-trusted TLS, IAM-authenticated, so no cluster CA is needed) read
 * from the platform stack's remote state — never from the same stack, so the
 * cluster and its CRDs exist before anything plans against them.
 */
export class ClusterAccess extends Construct {
  readonly googleProvider: GoogleProvider;
  readonly kubernetesProvider: KubernetesProvider;
  readonly helmProvider: HelmProvider;
  readonly platformState: DataTerraformRemoteStateGcs;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    this.googleProvider =
      props.googleProvider ??
      new GoogleProvider(this, 'google', { project: props.projectId, region: props.region });
    const client = new DataGoogleClientConfig(this, 'client', { provider: this.googleProvider });
    this.platformState =
      props.platformState ??
      new DataTerraformRemoteStateGcs(this, 'platform', {
        bucket: props.stateBucket,
        prefix: props.platformStatePrefix,
      });
    const host = `https://${this.platformOutput(PLATFORM_OUTPUTS.clusterEndpoint)}`;
    this.kubernetesProvider = new KubernetesProvider(this, 'kubernetes', { host, token: client.accessToken });
    this.helmProvider = new HelmProvider(this, 'helm', { kubernetes: { host, token: client.accessToken } });
  }

  /** A string output of the platform stack (names in PLATFORM_OUTPUTS). */
  platformOutput(name: string): string {
    return this.platformState.getString(name);
  }
}
