import { ApiObject, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import type { IGateway } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway';
import type { IHTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import { GATEWAY, SERVICE_NAMESPACE } from '../../config/names';
import { FLAGGER, KEDA, MONITORING } from '../lib/cluster-addons';
import { LABEL } from '../lib/labels';

/** GKE's global external Application Load Balancer (Envoy-based) Gateway class. */
export const GATEWAY_CLASS = 'gke-l7-global-external-managed';

/** Labels of a namespace that runs walk-service: restricted Pod Security enforced, routes accepted by the Gateway. */
export function serviceNamespaceLabels(): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/warn': 'restricted',
    [LABEL.gatewayAccess]: 'true',
  };
}

export interface ClusterBaseChartProps {
  /** Name of the global static IP (compute global address) the Gateway listens on. */
  readonly gatewayAddressName: string;
  /** Certificate Manager certificate map serving the Gateway's hostnames. */
  readonly certificateMapName: string;
  /** @default true — a port-80 listener that redirects to HTTPS (its own forwarding rule). */
  readonly httpRedirectListener?: boolean;
  /**
   * @default true — false while the environment is paused: no Gateway, so no
   * forwarding rule is billed; the address and certificate map stay in the
   * platform stack, so resume serves the same IP with HTTPS at once.
   */
  readonly serveTraffic?: boolean;
}

/**
 * Namespaces and the shared Gateway: HTTPS with a Certificate Manager map on
 * a reserved global address, routes accepted only from namespaces labelled
 * for it, and plain HTTP answered with a redirect to HTTPS.
 */
export class ClusterBaseChart extends Chart {
  /** Absent while paused. */
  readonly gateway?: ApiObject;

  constructor(scope: Construct, id: string, props: ClusterBaseChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const ns = (name: string, labels: Record<string, string>) =>
      new kplus.Namespace(this, `ns-${name}`, { metadata: { name, labels } });
    ns(SERVICE_NAMESPACE, serviceNamespaceLabels());
    ns(GATEWAY.namespace, { 'pod-security.kubernetes.io/enforce': 'restricted' });
    ns(MONITORING.namespace, { 'pod-security.kubernetes.io/enforce': 'baseline' });
    ns(FLAGGER.namespace, { 'pod-security.kubernetes.io/enforce': 'baseline' });
    ns(KEDA.namespace, { 'pod-security.kubernetes.io/enforce': 'baseline' });
    loadTesterIngress(this);
    if (props.serveTraffic === false) return;

    const spec: IGateway['spec'] = {
      gatewayClassName: GATEWAY_CLASS,
      addresses: [{ type: 'NamedAddress', value: props.gatewayAddressName }],
      listeners: [
        {
          name: 'https',
          protocol: 'HTTPS',
          port: 443,
          allowedRoutes: {
            kinds: [{ kind: 'HTTPRoute' }],
            namespaces: { from: 'Selector', selector: { matchLabels: { [LABEL.gatewayAccess]: 'true' } } },
          },
        },
      ],
    };
    const redirectListener = props.httpRedirectListener ?? true;
    if (redirectListener)
      spec.listeners.push({
        name: 'http',
        protocol: 'HTTP',
        port: 80,
        allowedRoutes: { namespaces: { from: 'Same' } },
      });
    this.gateway = new ApiObject(this, 'gateway', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: {
        name: GATEWAY.name,
        namespace: GATEWAY.namespace,
        annotations: { 'networking.gke.io/certmap': props.certificateMapName },
      },
      spec,
    });

    if (!redirectListener) return;
    const redirect: IHTTPRoute['spec'] = {
      parentRefs: [{ name: GATEWAY.name, sectionName: 'http' }],
      rules: [
        { filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] },
      ],
    };
    new ApiObject(this, 'https-redirect', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'https-redirect', namespace: GATEWAY.namespace },
      spec: redirect,
    });
  }
}

/**
 * The load tester runs any `cmd` it is posted (`sh -c`) and holds the rollback gate: only the
 * Flagger controller, which calls every webhook (pre-rollout, rollout, rollback), may reach it.
 * Ingress only: its load goes out to the canaries. Operators use `kubectl exec … localhost`.
 * Its probes are exec probes (the loadtester chart's deployment.yaml), not network calls.
 */
function loadTesterIngress(scope: Construct): void {
  const namespace = kplus.Namespaces.select(scope, 'flagger-system-ns', { names: [FLAGGER.namespace] });
  new kplus.NetworkPolicy(scope, 'loadtester-ingress', {
    metadata: { name: FLAGGER.loadTesterName, namespace: FLAGGER.namespace },
    selector: kplus.Pods.select(scope, 'loadtester-pods', {
      labels: { [LABEL.name]: FLAGGER.loadTesterPodName },
    }),
    ingress: {
      default: kplus.NetworkPolicyTrafficDefault.DENY,
      rules: [
        {
          peer: kplus.Pods.select(scope, 'flagger-controller', {
            labels: { [LABEL.name]: FLAGGER.controllerPodName },
            namespaces: namespace,
          }),
          ports: [kplus.NetworkPolicyPort.tcp(FLAGGER.loadTesterContainerPort)],
        },
      ],
    },
  });
}
