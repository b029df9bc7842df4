import { DataTerraformRemoteStateGcs, Fn } from 'cdktf';
import { Construct } from 'constructs';
import { DataGoogleClientConfig } from '@cdktf/provider-google/lib/data-google-client-config';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';

/** Names of the platform stack outputs the Kubernetes-side stacks read. */
export interface PlatformOutputNames {
  /** Cluster API endpoint (IP or host, without scheme). */
  readonly clusterEndpoint: string;
  /** Base64-encoded cluster CA certificate. */
  readonly clusterCaCertificate: string;
}

export interface ClusterAccessProps {
  readonly projectId: string;
  readonly region: string;
  /** GCS bucket holding every stack's state. */
  readonly stateBucket: string;
  /** State prefix of the platform stack that created the cluster. */
  readonly platformStatePrefix: string;
  readonly outputNames: PlatformOutputNames;
}

/**
 * Providers for a Kubernetes-side stack: Google (for the caller's identity
 * token), Kubernetes and Helm, pointed at the cluster through the platform
 * stack's outputs read from its remote state — never from the same stack, so
 * the cluster exists before anything plans against it.
 */
export class ClusterAccess extends Construct {
  readonly googleProvider: GoogleProvider;
  readonly kubernetesProvider: KubernetesProvider;
  readonly helmProvider: HelmProvider;
  readonly platformState: DataTerraformRemoteStateGcs;

  constructor(scope: Construct, id: string, props: ClusterAccessProps) {
    super(scope, id);
    this.googleProvider = new GoogleProvider(this, 'google', {
      project: props.projectId,
      region: props.region,
    });
    const client = new DataGoogleClientConfig(this, 'client', { provider: this.googleProvider });
    this.platformState = new DataTerraformRemoteStateGcs(this, 'platform', {
      bucket: props.stateBucket,
      prefix: props.platformStatePrefix,
    });
    const host = `https://${this.platformOutput(props.outputNames.clusterEndpoint)}`;
    const clusterCaCertificate = Fn.base64decode(this.platformOutput(props.outputNames.clusterCaCertificate));
    this.kubernetesProvider = new KubernetesProvider(this, 'kubernetes', {
      host,
      clusterCaCertificate,
      token: client.accessToken,
    });
    this.helmProvider = new HelmProvider(this, 'helm', {
      kubernetes: { host, clusterCaCertificate, token: client.accessToken },
    });
  }

  /** A string output of the platform stack. */
  platformOutput(name: string): string {
    return this.platformState.getString(name);
  }
}
