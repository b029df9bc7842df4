import { DataTerraformRemoteStateGcs } from 'cdktf';
import { Construct } from 'constructs';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { PLATFORM_OUTPUTS } from '../config/names';
import { googleProvider } from './google-provider';

/**
 * Kubernetes client credential plugin for GKE: the providers run it for a
 * fresh token on every connection, so no token is ever a Terraform value
 * (a `google_client_config` data source would store the caller's OAuth token
 * in state). `--use_application_default_credentials` makes it use the same
 * Application Default Credentials as the Google provider (in CI, the
 * credentials file google-github-actions/auth writes) instead of gcloud's own
 * login. Sources:
 * https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl#install_plugin
 * https://github.com/kubernetes/cloud-provider-gcp/tree/master/cmd/gke-gcloud-auth-plugin
 */
export const GKE_AUTH_PLUGIN = {
  apiVersion: 'client.authentication.k8s.io/v1beta1',
  command: 'gke-gcloud-auth-plugin',
  args: ['--use_application_default_credentials'],
} as const;

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
 * Providers for a Kubernetes-side stack: Google, Kubernetes and Helm, the
 * latter two pointed at the cluster's DNS-based endpoint (Google-trusted TLS,
 * IAM-authenticated, so no cluster CA is needed) read from the platform
 * stack's remote state — never from the same stack, so the cluster and its
 * CRDs exist before anything plans against them — and authenticated by
 * `gke-gcloud-auth-plugin` at run time, never by a token held in state.
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
      googleProvider(this, 'google', { projectId: props.projectId, region: props.region });
    this.platformState =
      props.platformState ??
      new DataTerraformRemoteStateGcs(this, 'platform', {
        bucket: props.stateBucket,
        prefix: props.platformStatePrefix,
      });
    const host = `https://${this.platformOutput(PLATFORM_OUTPUTS.clusterEndpoint)}`;
    const exec = { ...GKE_AUTH_PLUGIN, args: [...GKE_AUTH_PLUGIN.args] };
    this.kubernetesProvider = new KubernetesProvider(this, 'kubernetes', { host, exec: [exec] });
    this.helmProvider = new HelmProvider(this, 'helm', { kubernetes: { host, exec } });
  }

  /** A string output of the platform stack (names in PLATFORM_OUTPUTS). */
  platformOutput(name: string): string {
    return this.platformState.getString(name);
  }
}
