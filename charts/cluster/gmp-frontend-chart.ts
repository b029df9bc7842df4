import { Chart, Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { googleServiceAccountEmail } from '../../config/names';
import { MONITORING } from '../lib/cluster-addons';
import { restrictedSecurityContext } from '../walk-service/workload';

/** Pinned Managed Service for Prometheus query frontend (GoogleCloudPlatform/prometheus-engine examples). */
export const GMP_FRONTEND_IMAGE = 'gke.gcr.io/prometheus-engine/frontend:v0.15.3-gke.0';
const FRONTEND_UID = 1000;

export interface GmpFrontendChartProps {
  readonly projectId: string;
  /** Google service account id with roles/monitoring.viewer (cluster stack). */
  readonly googleServiceAccountId: string;
  /** @default 2 */
  readonly replicas?: number;
}

/**
 * The Managed Prometheus query frontend: a Prometheus HTTP API over Cloud
 * Monitoring for Flagger's MetricTemplates and Grafana, authenticated with
 * Workload Identity.
 */
export class GmpFrontendChart extends Chart {
  readonly service: kplus.Service;
  readonly serviceAccount: kplus.ServiceAccount;

  constructor(scope: Construct, id: string, props: GmpFrontendChartProps) {
    super(scope, id, { namespace: MONITORING.namespace, disableResourceNameHashes: true });
    this.serviceAccount = new kplus.ServiceAccount(this, 'service-account', {
      metadata: {
        name: MONITORING.frontendName,
        annotations: {
          'iam.gke.io/gcp-service-account': googleServiceAccountEmail(
            props.googleServiceAccountId,
            props.projectId,
          ),
        },
      },
      automountToken: false,
    });
    const deployment = new kplus.Deployment(this, 'deployment', {
      metadata: { name: MONITORING.frontendName },
      replicas: props.replicas ?? 2,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      securityContext: { ensureNonRoot: true, user: FRONTEND_UID, group: FRONTEND_UID },
      podMetadata: { labels: { 'app.kubernetes.io/name': MONITORING.frontendName } },
      containers: [
        {
          name: 'frontend',
          image: GMP_FRONTEND_IMAGE,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: [`--web.listen-address=:${MONITORING.frontendPort}`, `--query.project-id=${props.projectId}`],
          ports: [{ name: 'web', number: MONITORING.frontendPort }],
          startup: kplus.Probe.fromHttpGet('/-/healthy', {
            port: MONITORING.frontendPort,
            periodSeconds: Duration.seconds(2),
            failureThreshold: 30,
          }),
          liveness: kplus.Probe.fromHttpGet('/-/healthy', { port: MONITORING.frontendPort }),
          readiness: kplus.Probe.fromHttpGet('/-/ready', { port: MONITORING.frontendPort }),
          resources: {
            cpu: { request: kplus.Cpu.millis(50) },
            memory: { request: Size.mebibytes(128), limit: Size.mebibytes(128) },
          },
          securityContext: restrictedSecurityContext(FRONTEND_UID),
        },
      ],
    });
    this.service = new kplus.Service(this, 'service', {
      metadata: { name: MONITORING.frontendName },
      ports: [{ name: 'web', port: MONITORING.frontendPort, targetPort: MONITORING.frontendPort }],
      selector: deployment,
    });
  }
}
