import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { serviceNamespaceLabels } from '../cluster/cluster-base-chart';

export interface ServiceNamespaceChartProps {
  readonly namespace: string;
  /** @default {} — e.g. the preview's PR and expiry labels. */
  readonly extraLabels?: Record<string, string>;
}

/** A namespace for walk-service outside the cluster stack (previews): restricted, admitted by the Gateway. */
export class ServiceNamespaceChart extends Chart {
  constructor(scope: Construct, id: string, props: ServiceNamespaceChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    new kplus.Namespace(this, 'namespace', {
      metadata: { name: props.namespace, labels: { ...serviceNamespaceLabels(), ...props.extraLabels } },
    });
  }
}
