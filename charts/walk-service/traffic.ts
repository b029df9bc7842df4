import { SCRAPE_INTERVAL_SECONDS } from '../../config/canary-analysis';
import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import type { IHTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import type { IGCPBackendPolicy } from '@kubernetes-models/gke/networking.gke.io/v1/GCPBackendPolicy';
import type { IHealthCheckPolicy } from '@kubernetes-models/gke/networking.gke.io/v1/HealthCheckPolicy';
import { CLOUD_ARMOR_POLICY_NAME, GATEWAY, SERVICE_NAME, SERVICE_PORTS } from '../../config/names';
import { PodMonitoring } from '../crds/managed-prometheus';
import { LABEL, allServerPodsSelector } from '../lib/labels';
import { ShutdownTiming } from '../lib/shutdown';

/** ClusterIP Service in front of the server pods (rolling-update environments only). */
export function serverService(scope: Construct, deployment: kplus.Deployment): kplus.Service {
  const service = new kplus.Service(scope, 'service', {
    metadata: { name: SERVICE_NAME },
    type: kplus.ServiceType.CLUSTER_IP,
    ports: [{ name: 'http', port: SERVICE_PORTS.http, targetPort: SERVICE_PORTS.http }],
  });
  for (const [key, value] of Object.entries(deployment.matchLabels)) service.selectLabel(key, value);
  return service;
}

/** HTTPRoute on the shared Gateway (rolling-update environments; Flagger owns it otherwise). */
export function httpRoute(scope: Construct, hostname: string, serviceName: string): ApiObject {
  const spec: IHTTPRoute['spec'] = {
    parentRefs: [
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        name: GATEWAY.name,
        namespace: GATEWAY.namespace,
      },
    ],
    hostnames: [hostname],
    rules: [
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [{ group: '', kind: 'Service', name: serviceName, port: SERVICE_PORTS.http }],
      },
    ],
  };
  return new ApiObject(scope, 'http-route', {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: SERVICE_NAME },
    spec,
  });
}

/**
 * Load balancer policies of one backend Service: health check on /readyz, the
 * Cloud Armor policy, and request timeout and connection draining matched to
 * the service's shutdown.
 */
export function backendPolicies(
  scope: Construct,
  id: string,
  serviceName: string,
  shutdown: ShutdownTiming,
): void {
  const targetRef = { group: '', kind: 'Service', name: serviceName };
  const health: IHealthCheckPolicy['spec'] = {
    default: {
      checkIntervalSec: 5,
      timeoutSec: 3,
      healthyThreshold: 1,
      unhealthyThreshold: 2,
      logConfig: { enabled: false },
      config: {
        type: 'HTTP',
        httpHealthCheck: {
          portSpecification: 'USE_FIXED_PORT',
          port: SERVICE_PORTS.http,
          requestPath: '/readyz',
        },
      },
    },
    targetRef,
  };
  new ApiObject(scope, `${id}-health-check`, {
    apiVersion: 'networking.gke.io/v1',
    kind: 'HealthCheckPolicy',
    metadata: { name: serviceName },
    spec: health,
  });
  const backend: IGCPBackendPolicy['spec'] = {
    default: {
      securityPolicy: CLOUD_ARMOR_POLICY_NAME,
      timeoutSec: shutdown.backendTimeoutSeconds,
      connectionDraining: { drainingTimeoutSec: shutdown.drainingTimeoutSeconds },
      logging: { enabled: true, sampleRate: 100_000 },
    },
    targetRef,
  };
  new ApiObject(scope, `${id}-backend-policy`, {
    apiVersion: 'networking.gke.io/v1',
    kind: 'GCPBackendPolicy',
    metadata: { name: serviceName },
    spec: backend,
  });
}

/** At most one serving pod down at a time through voluntary disruption. */
export function podDisruptionBudget(scope: Construct, matchLabels: Record<string, string>): ApiObject {
  return new kplus.k8s.KubePodDisruptionBudget(scope, 'pdb', {
    metadata: { name: SERVICE_NAME },
    spec: { maxUnavailable: kplus.k8s.IntOrString.fromNumber(1), selector: { matchLabels } },
  });
}

/**
 * Managed Prometheus scrape of METRICS_PORT on primary and canary pods; the
 * pod's `app` label becomes a series label so canary checks can tell them apart.
 */
export function podMonitoring(scope: Construct, intervalSeconds = SCRAPE_INTERVAL_SECONDS): PodMonitoring {
  return new PodMonitoring(scope, 'pod-monitoring', {
    metadata: { name: SERVICE_NAME },
    spec: {
      selector: { matchLabels: allServerPodsSelector() },
      endpoints: [{ port: 'metrics', path: '/metrics', interval: `${intervalSeconds}s` }],
      targetLabels: { fromPod: [{ from: LABEL.flaggerSelector, to: 'app' }] },
    },
  });
}
