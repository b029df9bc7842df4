import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { SERVICE_NAME, SERVICE_PORTS } from '../../config/names';
import {
  FLAGGER,
  GKE_METADATA_SERVER,
  GOOGLE_LB_SOURCE_RANGES,
  MONITORING,
  PRIVATE_GOOGLE_APIS_CIDR,
} from '../lib/cluster-addons';
import { LABEL } from '../lib/labels';

export interface NetworkPolicyProps {
  readonly databaseCidrs: string[];
  readonly googleApisCidrs: string[];
  /** Allow Flagger's load tester to call the pods (canary smoke tests). */
  readonly allowCanaryLoadTester: boolean;
}

/** Cloud SQL's server-side proxy port, which the Auth Proxy connects to. */
export const CLOUD_SQL_SERVER_PORT = 3307;
const NODE_LOCAL_DNS = '169.254.20.10/32';

/**
 * Default deny for the namespace, then what walk-service pods (server and
 * migrations alike, selected by name) need: ingress from the Google load
 * balancer and health checkers, Managed Prometheus collectors and, with a
 * canary, Flagger's load tester; egress to DNS, the metadata server (Workload
 * Identity), the Cloud SQL private range and Google APIs.
 */
/**
 * Egress of a walk-service workload: DNS, the metadata server (Workload
 * Identity), the Cloud SQL private range (Auth Proxy) and Google APIs on 443.
 * `idPrefix` keeps construct ids apart when two policies share a chart.
 */
export function workloadEgressRules(
  scope: Construct,
  idPrefix: string,
  p: { readonly databaseCidrs: string[]; readonly googleApisCidrs?: string[] },
): kplus.NetworkPolicyRule[] {
  const id = (x: string) => (idPrefix ? `${idPrefix}-${x}` : x);
  const dnsPorts = [kplus.NetworkPolicyPort.udp(53), kplus.NetworkPolicyPort.tcp(53)];
  return [
    {
      peer: kplus.Pods.all(scope, id('kube-dns'), {
        namespaces: kplus.Namespaces.select(scope, id('kube-system'), { names: ['kube-system'] }),
      }),
      ports: dnsPorts,
    },
    { peer: kplus.NetworkPolicyIpBlock.ipv4(scope, id('node-local-dns'), NODE_LOCAL_DNS), ports: dnsPorts },
    ...GKE_METADATA_SERVER.map((m, i) => ({
      peer: kplus.NetworkPolicyIpBlock.ipv4(scope, id(`metadata-${i}`), m.cidr),
      ports: [kplus.NetworkPolicyPort.tcp(m.port)],
    })),
    ...p.databaseCidrs.map((cidr, i) => ({
      peer: kplus.NetworkPolicyIpBlock.ipv4(scope, id(`cloud-sql-${i}`), cidr),
      ports: [kplus.NetworkPolicyPort.tcp(CLOUD_SQL_SERVER_PORT)],
    })),
    ...(p.googleApisCidrs ?? [PRIVATE_GOOGLE_APIS_CIDR]).map((cidr, i) => ({
      peer: kplus.NetworkPolicyIpBlock.ipv4(scope, id(`google-apis-${i}`), cidr),
      ports: [kplus.NetworkPolicyPort.tcp(443)],
    })),
  ];
}

export function networkPolicies(scope: Construct, p: NetworkPolicyProps): void {
  new kplus.NetworkPolicy(scope, 'default-deny', {
    metadata: { name: 'default-deny' },
    selector: kplus.Pods.all(scope, 'all-pods'),
    ingress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
    egress: { default: kplus.NetworkPolicyTrafficDefault.DENY },
  });

  const pods = kplus.Pods.select(scope, 'walk-service-pods', { labels: { [LABEL.name]: SERVICE_NAME } });
  const http = [kplus.NetworkPolicyPort.tcp(SERVICE_PORTS.http)];
  const ingress: kplus.NetworkPolicyRule[] = [
    ...GOOGLE_LB_SOURCE_RANGES.map((cidr, i) => ({
      peer: kplus.NetworkPolicyIpBlock.ipv4(scope, `google-lb-${i}`, cidr),
      ports: http,
    })),
    {
      peer: kplus.Pods.all(scope, 'managed-collectors', {
        namespaces: kplus.Namespaces.select(scope, 'managed-collection', {
          names: [MONITORING.managedCollectorNamespace],
        }),
      }),
      ports: [kplus.NetworkPolicyPort.tcp(SERVICE_PORTS.metrics)],
    },
  ];
  if (p.allowCanaryLoadTester) {
    ingress.push({
      peer: kplus.Pods.select(scope, 'load-tester', {
        labels: { [LABEL.name]: FLAGGER.loadTesterPodName },
        namespaces: kplus.Namespaces.select(scope, 'flagger-ns', { names: [FLAGGER.namespace] }),
      }),
      ports: http,
    });
  }

  const egress = workloadEgressRules(scope, '', p);

  new kplus.NetworkPolicy(scope, 'walk-service-traffic', {
    metadata: { name: SERVICE_NAME },
    selector: pods,
    ingress: { rules: ingress },
    egress: { rules: egress },
  });
}
