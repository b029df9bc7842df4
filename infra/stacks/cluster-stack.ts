import { App as Cdk8sApp } from 'cdk8s';
import { GcsBackend, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { ClusterBaseChart } from '../../charts/cluster/cluster-base-chart';
import { DatabaseAdminChart } from '../../charts/cluster/database-admin-chart';
import { GATEWAY_EDGE, MONITORING } from '../../charts/lib/cluster-addons';
import { BootstrapConfig, EnvironmentConfig } from '../config/environments';
import {
  LOKI_IDENTITY,
  googleServiceAccountEmail,
  lokiBucketName,
  stackName,
  statePrefix,
} from '../config/names';
import { ClusterAccess } from '../constructs/cluster-access';
import { ClusterAddons, ObservabilityValues } from '../constructs/cluster-addons';
import { KubernetesManifests, KubernetesObject } from '../constructs/kubernetes-manifests';
import { grantProjectRole } from '../constructs/principal';
import { WorkloadIdentityUser } from '../constructs/service-identity';

export interface ClusterStackProps {
  readonly env: EnvironmentConfig;
  readonly bootstrap: BootstrapConfig;
  /** @default {} — Grafana, Loki and Alloy values from the monitoring layer. */
  readonly observabilityValues?: ObservabilityValues;
  /**
   * @default none — Kubernetes objects of the monitoring layer (Managed
   * Prometheus Rules, OperatorConfig, …), applied once the namespaces exist.
   */
  readonly observabilityObjects?: readonly KubernetesObject[];
}

/** Google service account of the Managed Prometheus query frontend. */
export const QUERY_FRONTEND_GSA_ID = MONITORING.frontendGoogleServiceAccountId;

/**
 * `<env>-cluster`: what every workload in the cluster shares — namespaces,
 * the Gateway with its address and certificate, Flagger, the observability
 * add-ons and the Managed Prometheus query frontend.
 */
export class ClusterStack extends TerraformStack {
  readonly access: ClusterAccess;
  readonly base: KubernetesManifests;
  readonly addons: ClusterAddons;
  readonly baseChart: ClusterBaseChart;
  readonly queryFrontendIdentity: WorkloadIdentityUser;
  readonly observability?: KubernetesManifests;
  readonly databaseAdmin: KubernetesManifests;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id);
    const { env, bootstrap } = props;
    new GcsBackend(this, { bucket: bootstrap.stateBucket, prefix: statePrefix(stackName.cluster(env.name)) });
    this.access = new ClusterAccess(this, 'access', {
      projectId: env.projectId,
      region: env.region,
      stateBucket: bootstrap.stateBucket,
      platformStatePrefix: statePrefix(stackName.platform(env.name)),
    });
    const google = this.access.googleProvider;

    // The Gateway's address and certificate map belong to <env>-platform (they outlive hibernation).
    // The query frontend reads Cloud Monitoring as its own Workload Identity user.
    this.queryFrontendIdentity = new WorkloadIdentityUser(this, 'query-frontend-identity', {
      projectId: env.projectId,
      googleServiceAccountId: QUERY_FRONTEND_GSA_ID,
      namespace: MONITORING.namespace,
      kubernetesServiceAccount: MONITORING.frontendName,
      displayName: 'Managed Prometheus query frontend (Flagger, Grafana)',
    });
    const queryFrontendViewer = grantProjectRole(this, 'query-frontend-monitoring-viewer', {
      provider: google,
      projectId: env.projectId,
      role: 'roles/monitoring.viewer',
      grantee: this.queryFrontendIdentity,
    });

    this.baseChart = new ClusterBaseChart(new Cdk8sApp(), 'cluster-base', {
      gatewayAddressName: GATEWAY_EDGE.addressName,
      certificateMapName: GATEWAY_EDGE.certificateMapName,
      httpRedirectListener: env.edge.httpRedirectListener,
      serveTraffic: !env.paused,
    });
    this.base = new KubernetesManifests(this, 'base', {
      provider: this.access.kubernetesProvider,
      source: this.baseChart,
    });
    // Namespace and service account the grant Jobs of the app and preview stacks run as.
    this.databaseAdmin = new KubernetesManifests(this, 'db-admin', {
      provider: this.access.kubernetesProvider,
      source: new DatabaseAdminChart(new Cdk8sApp(), 'db-admin', { projectId: env.projectId }),
    });
    this.addons = new ClusterAddons(this, 'addons', {
      helmProvider: this.access.helmProvider,
      kubernetesProvider: this.access.kubernetesProvider,
      projectId: env.projectId,
      queryFrontendServiceAccountId: QUERY_FRONTEND_GSA_ID,
      lokiStorage: {
        bucketName: lokiBucketName(env.projectId),
        serviceAccountEmail: googleServiceAccountEmail(LOKI_IDENTITY.googleServiceAccountId, env.projectId),
        retentionDays: env.observability.lokiRetentionDays,
      },
      observabilityValues: props.observabilityValues,
      spotPods: env.gke.spotPods,
      paused: env.paused,
      // The frontend reads Cloud Monitoring as this identity from its first start.
      dependsOn: [
        ...Object.values(this.base.manifests),
        this.queryFrontendIdentity.serviceAccount,
        this.queryFrontendIdentity.workloadIdentityBinding,
        queryFrontendViewer,
      ],
    });
    if (props.observabilityObjects && props.observabilityObjects.length > 0) {
      this.observability = new KubernetesManifests(this, 'observability', {
        provider: this.access.kubernetesProvider,
        source: props.observabilityObjects,
        dependsOn: Object.values(this.base.manifests),
      });
    }
  }
}
