import { ApiObject, ApiObjectMetadata } from 'cdk8s';
import { Construct } from 'constructs';

/** Typed subset of Google Cloud Managed Service for Prometheus' PodMonitoring (monitoring.googleapis.com/v1). */
export interface PodMonitoringSpec {
  readonly selector: { readonly matchLabels: Record<string, string> };
  readonly endpoints: {
    readonly port: string;
    readonly path: string;
    readonly interval: string;
    /** e.g. a `keep` on `__name__`: only these series are ingested (and billed). */
    readonly metricRelabeling?: {
      readonly action: 'keep';
      readonly sourceLabels: string[];
      readonly regex: string;
    }[];
  }[];
  /** Pod labels copied onto every scraped series. */
  readonly targetLabels?: { readonly fromPod: { readonly from: string; readonly to?: string }[] };
}

export class PodMonitoring extends ApiObject {
  static readonly GVK = { apiVersion: 'monitoring.googleapis.com/v1', kind: 'PodMonitoring' } as const;
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: PodMonitoringSpec }) {
    super(scope, id, { ...PodMonitoring.GVK, ...props });
  }
}
