/**
 * The objects Flagger creates from a Canary with the Gateway API provider, as
 * documented (docs.flagger.app, "Gateway API Canary Deployments": generated
 * `<target>-primary` Deployment and HPA, Services `<name>`, `<name>-primary`,
 * `<name>-canary`, HTTPRoute `<name>`) and implemented in Flagger 1.44
 * (pkg/canary/deployment_controller.go: the primary copies the pod template and
 * rewrites only the selector label to `<value>-primary` (util.go:128
 * makePrimaryLabels); getPrimaryDeploymentTemplateSpec (lines 389-411) then
 * runs appendPrimarySuffixToValuesIfNeeded (lines 413-433) on every
 * topologySpreadConstraint and pod anti-affinity selector: a matchLabels or
 * matchExpressions value equal to the Deployment name, under any of the
 * selector labels, becomes `<name>-primary`;
 * pkg/router/kubernetes_default.go: canary Service selects `<value>`, primary
 * and apex select `<value>-primary`; pkg/router/gateway_api.go: one rule whose
 * backendRefs are the primary (weight 100) and canary (weight 0) Services on
 * `service.port`).
 */
import { K8sObject } from './schema-validation';

/** Flagger's default `-selector-labels`, in the order it tries them. */
const SELECTOR_LABELS = ['app', 'name', 'app.kubernetes.io/name'];

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}
interface PodSpec {
  topologySpreadConstraints?: { labelSelector?: LabelSelector }[];
  affinity?: {
    podAntiAffinity?: {
      preferredDuringSchedulingIgnoredDuringExecution?: {
        podAffinityTerm: { labelSelector?: LabelSelector };
      }[];
      requiredDuringSchedulingIgnoredDuringExecution?: { labelSelector?: LabelSelector }[];
    };
  };
  [key: string]: unknown;
}
interface Deployment extends K8sObject {
  spec: {
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

/** deployment_controller.go appendPrimarySuffixToValuesIfNeeded, on a copy. */
function appendPrimarySuffix(selector: LabelSelector | undefined, name: string): LabelSelector | undefined {
  if (!selector) return selector;
  const out = structuredClone(selector);
  for (const e of out.matchExpressions ?? []) {
    if (!SELECTOR_LABELS.includes(e.key)) continue;
    // Flagger rewrites the first matching value only (`break`).
    const i = (e.values ?? []).indexOf(name);
    if (i >= 0) e.values![i] = `${name}-primary`;
  }
  for (const [k, v] of Object.entries(out.matchLabels ?? {})) {
    if (SELECTOR_LABELS.includes(k) && v === name) out.matchLabels![k] = `${name}-primary`;
  }
  return out;
}

/** deployment_controller.go getPrimaryDeploymentTemplateSpec: the primary's pod spec. */
function primaryPodSpec(spec: PodSpec, name: string): PodSpec {
  const out = structuredClone(spec);
  for (const c of out.topologySpreadConstraints ?? [])
    c.labelSelector = appendPrimarySuffix(c.labelSelector, name);
  const anti = out.affinity?.podAntiAffinity;
  for (const t of anti?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    t.podAffinityTerm.labelSelector = appendPrimarySuffix(t.podAffinityTerm.labelSelector, name);
  }
  for (const t of anti?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    t.labelSelector = appendPrimarySuffix(t.labelSelector, name);
  }
  return out;
}
interface Canary extends K8sObject {
  spec: {
    targetRef: { name: string };
    service: {
      name?: string;
      port: number;
      portName?: string;
      targetPort?: number;
      hosts: string[];
      gatewayRefs: unknown[];
    };
  };
}

export interface FlaggerGenerated {
  primaryDeployment: Deployment;
  /** Pod labels of the primary and of the canary pods. */
  primaryPodLabels: Record<string, string>;
  canaryPodLabels: Record<string, string>;
  services: { name: string; selector: Record<string, string>; port: number; targetPort: number }[];
  httpRoute: K8sObject & {
    spec: { hostnames: string[]; rules: { backendRefs: { name: string; port: number; weight: number }[] }[] };
  };
}

export function flaggerGeneratedObjects(canary: Canary, target: Deployment): FlaggerGenerated {
  const label = SELECTOR_LABELS.find((l) => l in target.spec.selector.matchLabels);
  if (!label) throw new Error(`deployment selector must contain one of ${SELECTOR_LABELS.join(', ')}`);
  const value = target.spec.selector.matchLabels[label]!;
  const primaryValue = `${value}-primary`;
  const primaryPodLabels = { ...target.spec.template.metadata.labels, [label]: primaryValue };
  const apex = canary.spec.service.name ?? canary.spec.targetRef.name;
  const port = canary.spec.service.port;
  const targetPort = canary.spec.service.targetPort ?? port;
  return {
    primaryDeployment: {
      ...target,
      metadata: { ...target.metadata, name: `${target.metadata?.name}-primary` },
      spec: {
        ...target.spec,
        selector: { matchLabels: { [label]: primaryValue } },
        template: {
          metadata: { labels: primaryPodLabels },
          spec: primaryPodSpec(target.spec.template.spec, target.metadata!.name!),
        },
      },
    },
    primaryPodLabels,
    canaryPodLabels: target.spec.template.metadata.labels,
    services: [
      { name: apex, selector: { [label]: primaryValue }, port, targetPort },
      { name: `${apex}-primary`, selector: { [label]: primaryValue }, port, targetPort },
      { name: `${apex}-canary`, selector: { [label]: value }, port, targetPort },
    ],
    httpRoute: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: apex, namespace: canary.metadata?.namespace },
      spec: {
        hostnames: canary.spec.service.hosts,
        rules: [
          {
            backendRefs: [
              { name: `${apex}-primary`, port, weight: 100 },
              { name: `${apex}-canary`, port, weight: 0 },
            ],
          },
        ],
      },
    },
  };
}

/** Whether a matchLabels selector selects a pod with these labels. */
export function selects(matchLabels: Record<string, string>, podLabels: Record<string, string>): boolean {
  return Object.entries(matchLabels).every(([k, v]) => podLabels[k] === v);
}
