import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';

/** Typed subset of KEDA's ScaledObject (keda.sh/v1alpha1, schema in charts/test/schemas). */
export interface ScaledObjectSpec {
  readonly scaleTargetRef: { readonly apiVersion?: string; readonly kind?: string; readonly name: string };
  readonly minReplicaCount: number;
  readonly maxReplicaCount: number;
  readonly pollingInterval?: number;
  readonly cooldownPeriod?: number;
  readonly triggers: {
    readonly type: string;
    readonly name?: string;
    readonly metadata: Record<string, string>;
  }[];
}

export class ScaledObject extends ApiObject {
  static readonly GVK = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject' } as const;
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: ScaledObjectSpec }) {
    super(scope, id, { ...ScaledObject.GVK, ...props });
  }
}
