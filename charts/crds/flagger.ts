import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';

/**
 * Typed subset of Flagger's CRDs (flagger.app/v1beta1, Flagger 1.44). Only the
 * fields the charts set; charts/test validates the output against the vendored
 * CRD schema in charts/test/schemas/.
 */
export interface CrossNamespaceRef {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
}

export interface CanaryMetric {
  readonly name: string;
  readonly templateRef: { readonly name: string; readonly namespace?: string };
  readonly thresholdRange: { readonly min?: number; readonly max?: number };
  readonly interval: string;
}

export interface CanaryWebhook {
  readonly name: string;
  readonly type:
    | 'confirm-rollout'
    | 'pre-rollout'
    | 'rollout'
    | 'confirm-promotion'
    | 'post-rollout'
    | 'rollback'
    | 'event';
  readonly url: string;
  readonly timeout: string;
  readonly metadata?: Record<string, string>;
}

export interface CanarySpec {
  readonly targetRef: Required<Omit<CrossNamespaceRef, 'namespace'>>;
  readonly autoscalerRef?: Required<Omit<CrossNamespaceRef, 'namespace'>>;
  readonly progressDeadlineSeconds: number;
  /** Finalizer: on deletion Flagger scales the target back up and restores its Service before letting go. */
  readonly revertOnDeletion?: boolean;
  readonly service: {
    readonly name: string;
    readonly port: number;
    readonly portName: string;
    readonly targetPort: number;
    readonly hosts: string[];
    readonly gatewayRefs: { readonly name: string; readonly namespace: string }[];
  };
  readonly analysis: {
    readonly interval: string;
    readonly threshold: number;
    readonly stepWeights: number[];
    readonly metrics: CanaryMetric[];
    readonly webhooks: CanaryWebhook[];
  };
}

export interface MetricTemplateSpec {
  readonly provider: { readonly type: 'prometheus'; readonly address: string };
  readonly query: string;
}

export interface FlaggerObjectProps<S> {
  readonly metadata: ApiObjectMetadata;
  readonly spec: S;
}

export class FlaggerCanary extends ApiObject {
  static readonly GVK = { apiVersion: 'flagger.app/v1beta1', kind: 'Canary' } as const;
  constructor(scope: Construct, id: string, props: FlaggerObjectProps<CanarySpec>) {
    super(scope, id, { ...FlaggerCanary.GVK, ...props });
  }
}

export class FlaggerMetricTemplate extends ApiObject {
  static readonly GVK = { apiVersion: 'flagger.app/v1beta1', kind: 'MetricTemplate' } as const;
  constructor(scope: Construct, id: string, props: FlaggerObjectProps<MetricTemplateSpec>) {
    super(scope, id, { ...FlaggerMetricTemplate.GVK, ...props });
  }
}
