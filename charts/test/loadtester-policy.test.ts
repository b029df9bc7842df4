/**
 * The load tester's NetworkPolicy, judged the way Kubernetes does
 * (https://kubernetes.io/docs/concepts/services-networking/network-policies/):
 * a pod selected by a policy with policyType Ingress admits a connection only
 * if a rule's `from` peer (podSelector within the namespaceSelector, or the
 * policy's namespace without one) and `ports` match it.
 */
import { Testing } from 'cdk8s';
import { ClusterBaseChart } from '../cluster/cluster-base-chart';
import { FLAGGER } from '../lib/cluster-addons';
import { SERVICE_NAMESPACE } from '../../config/names';
import { validateObjects } from './schema-validation';

type Labels = Record<string, string>;
interface Selector {
  matchLabels?: Labels;
}
interface Policy {
  kind: string;
  apiVersion: string;
  metadata: { name: string; namespace: string };
  spec: {
    podSelector: Selector;
    policyTypes: string[];
    ingress?: {
      from?: { podSelector?: Selector; namespaceSelector?: Selector }[];
      ports?: { port: number; protocol: string }[];
    }[];
  };
}
interface Pod {
  namespace: string;
  labels: Labels;
}

const matches = (s: Selector | undefined, labels: Labels) =>
  Object.entries(s?.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
const nsLabels = (name: string): Labels => ({ 'kubernetes.io/metadata.name': name });

/** Is a TCP connection from `from` to `to` on `port` admitted by the policies of `to`'s namespace? */
function admitted(policies: Policy[], from: Pod, to: Pod, port: number): boolean {
  const governing = policies.filter(
    (p) =>
      p.metadata.namespace === to.namespace &&
      p.spec.policyTypes.includes('Ingress') &&
      matches(p.spec.podSelector, to.labels),
  );
  if (governing.length === 0) return true;
  return governing.some((p) =>
    (p.spec.ingress ?? []).some(
      (rule) =>
        (rule.ports ?? []).some((pt) => pt.protocol === 'TCP' && pt.port === port) &&
        (rule.from ?? []).some((peer) =>
          peer.namespaceSelector
            ? matches(peer.namespaceSelector, nsLabels(from.namespace)) &&
              matches(peer.podSelector, from.labels)
            : from.namespace === p.metadata.namespace && matches(peer.podSelector, from.labels),
        ),
    ),
  );
}

const objects = new ClusterBaseChart(Testing.app(), 'cluster-base', {
  gatewayAddressName: 'gateway-external',
  certificateMapName: 'gateway-external',
}).toJson() as Policy[];
const policies = objects.filter((o) => o.kind === 'NetworkPolicy');

// Pod labels as the pinned charts render them: loadtester 0.38.0 templates/deployment.yaml
// (`app` and `app.kubernetes.io/name` = the chart name), flagger 1.44.0 templates/deployment.yaml
// (`app.kubernetes.io/name` = the chart name, `app.kubernetes.io/instance` = the release).
const loadTester: Pod = {
  namespace: FLAGGER.namespace,
  labels: { app: 'loadtester', 'app.kubernetes.io/name': 'loadtester' },
};
const controller: Pod = {
  namespace: FLAGGER.namespace,
  labels: { 'app.kubernetes.io/name': 'flagger', 'app.kubernetes.io/instance': FLAGGER.releaseName },
};

describe("the load tester's NetworkPolicy (runbooks/rollback.md)", () => {
  it('is a valid networking.k8s.io/v1 NetworkPolicy in flagger-system', () => {
    expect(policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
      `${FLAGGER.namespace}/${FLAGGER.loadTesterName}`,
    ]);
    expect(validateObjects(policies as never)).toEqual([]);
  });

  it('admits the Flagger controller on the load tester port and nothing else', () => {
    const port = FLAGGER.loadTesterContainerPort;
    expect(admitted(policies, controller, loadTester, port)).toBe(true);
    // A walk-service pod (or any pod of another namespace) cannot open the gate or post a cmd.
    expect(
      admitted(policies, { namespace: SERVICE_NAMESPACE, labels: { app: 'walk-service' } }, loadTester, port),
    ).toBe(false);
    // A pod that claims the controller's labels in another namespace.
    expect(admitted(policies, { ...controller, namespace: 'default' }, loadTester, port)).toBe(false);
    // Another pod of flagger-system (e.g. the load tester itself, or a debug pod).
    expect(
      admitted(policies, { namespace: FLAGGER.namespace, labels: { run: 'debug' } }, loadTester, port),
    ).toBe(false);
    expect(admitted(policies, controller, loadTester, 9090)).toBe(false);
  });

  it('leaves the Flagger controller itself unrestricted (its webhooks and metric queries go out)', () => {
    expect(admitted(policies, loadTester, controller, 8080)).toBe(true);
    expect(policies.every((p) => !p.spec.policyTypes.includes('Egress'))).toBe(true);
  });
});
