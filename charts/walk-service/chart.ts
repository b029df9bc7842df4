import { ApiObject, Chart, ChartProps } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { SERVICE_NAME } from '../../config/names';
import { FlaggerCanary } from '../crds/flagger';
import { PRIVATE_GOOGLE_APIS_CIDR } from '../lib/cluster-addons';
import { servingPodSelector } from '../lib/labels';
import { DEFAULT_SHUTDOWN_TIMING, ShutdownTiming, validateShutdownTiming } from '../lib/shutdown';
import { canaryRelease } from './canary';
import { networkPolicies } from './network-policies';
import { WalkServiceProps, validateWalkServiceProps } from './props';
import { backendPolicies, httpRoute, podDisruptionBudget, podMonitoring, serverService } from './traffic';
import { shareImageWorker } from './share-image-worker';
import { serverDeployment, signingKeysVolume, workloadServiceAccount } from './workload';

export type WalkServiceChartProps = WalkServiceProps & Pick<ChartProps, 'disableResourceNameHashes'>;

/**
 * Everything walk-service needs in its namespace. With `canary` set, Flagger
 * generates the Services and the HTTPRoute, so the chart defines neither and
 * points its policies at Flagger's `-primary`/`-canary` objects instead.
 */
export class WalkServiceChart extends Chart {
  readonly deployment: kplus.Deployment;
  /** The share-image worker's Deployment, when the props ask for one. */
  readonly worker?: kplus.Deployment;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly autoscaler?: kplus.HorizontalPodAutoscaler;
  readonly canary?: FlaggerCanary;
  readonly shutdown: ShutdownTiming;
  /** Services the Gateway sends traffic to (Flagger-generated in canary environments). */
  readonly backendServiceNames: string[];

  constructor(scope: Construct, id: string, props: WalkServiceChartProps) {
    const labels = { ...props.extraLabels };
    super(scope, id, { namespace: props.identity.namespace, labels, disableResourceNameHashes: true });
    validateWalkServiceProps(props);
    this.shutdown = props.shutdown ?? DEFAULT_SHUTDOWN_TIMING;
    validateShutdownTiming(this.shutdown);

    this.serviceAccount = workloadServiceAccount(this, props);
    this.deployment = serverDeployment(this, {
      props,
      shutdown: this.shutdown,
      serviceAccount: this.serviceAccount,
      signingKeys: signingKeysVolume(this, props),
    });

    if (props.minReplicas < props.maxReplicas) {
      this.autoscaler = new kplus.HorizontalPodAutoscaler(this, 'hpa', {
        metadata: { name: SERVICE_NAME },
        target: this.deployment,
        minReplicas: props.minReplicas,
        maxReplicas: props.maxReplicas,
        metrics: [
          kplus.Metric.resourceCpu(
            kplus.MetricTarget.averageUtilization(props.targetCpuUtilizationPercent ?? 70),
          ),
        ],
      });
    }

    const isCanary = props.canary !== undefined;
    if (props.canary && this.autoscaler) {
      this.canary = canaryRelease(this, {
        hostname: props.hostname,
        namespace: props.identity.namespace,
        analysis: props.canary,
        autoscalerName: this.autoscaler.name,
      });
      this.backendServiceNames = [`${SERVICE_NAME}-primary`, `${SERVICE_NAME}-canary`];
    } else {
      const service = serverService(this, this.deployment);
      httpRoute(this, props.hostname, service.name);
      this.backendServiceNames = [service.name];
    }
    for (const name of this.backendServiceNames) backendPolicies(this, name, name, this.shutdown);

    podDisruptionBudget(this, servingPodSelector(isCanary));
    podMonitoring(this, props.scrapeIntervalSeconds);
    networkPolicies(this, {
      databaseCidrs: props.databaseCidrs,
      googleApisCidrs: props.googleApisCidrs ?? [PRIVATE_GOOGLE_APIS_CIDR],
      allowCanaryLoadTester: isCanary,
    });

    if (props.shareImageWorker) this.worker = shareImageWorker(this, props, props.shareImageWorker);

    this.node.addValidation({ validate: () => this.validateSynth() });
  }

  /** Checks on the finished chart, after every method has had its say. */
  private validateSynth(): string[] {
    const errors: string[] = [];
    const spec = ApiObject.of(this.deployment).toJson() as { spec?: { replicas?: number } };
    if (this.autoscaler && spec.spec?.replicas !== undefined) {
      errors.push('Deployment sets replicas although an HPA scales it: the two would fight');
    }
    const grace = this.shutdown.terminationGracePeriodSeconds;
    const needed = this.shutdown.preStopSleepSeconds + Math.ceil(this.shutdown.shutdownTimeoutMs / 1000);
    if (grace < needed) errors.push(`terminationGracePeriodSeconds ${grace} < preStop + shutdown ${needed}`);
    return errors;
  }
}
