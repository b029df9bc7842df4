import { Construct } from 'constructs';
import { GATEWAY, SERVICE_NAME, SERVICE_PORTS } from '../../infra/config/names';
import { FlaggerCanary, FlaggerMetricTemplate } from '../crds/flagger';
import { loadTesterUrl, prometheusQueryUrl } from '../lib/cluster-addons';
import { CanaryAnalysisProps } from './props';

export const METRIC_TEMPLATE = {
  errorRatio: `${SERVICE_NAME}-5xx-ratio`,
  p99Latency: `${SERVICE_NAME}-p99-latency`,
} as const;

/**
 * Series of the pods under analysis: Flagger fills `{{ target }}` with the
 * Deployment name, which is the `app` label of the canary pods (primaries carry
 * `<target>-primary`); PodMonitoring copies that label onto every series.
 */
const SELECTOR = 'namespace="{{ namespace }}",app="{{ target }}"';

/** Ratio of 5xx responses among all responses of the canary pods. */
export const ERROR_RATIO_QUERY =
  `(sum(rate(http_requests_total{${SELECTOR},status_code=~"5.."}[{{ interval }}])) or on() vector(0))\n` +
  `/\nsum(rate(http_requests_total{${SELECTOR}}[{{ interval }}]))`;

/** p99 request latency of the canary pods, in seconds. */
export const P99_LATENCY_QUERY = `histogram_quantile(0.99,\n  sum by (le) (rate(http_request_duration_seconds_bucket{${SELECTOR}}[{{ interval }}])))`;

export interface CanaryProps {
  readonly hostname: string;
  readonly namespace: string;
  readonly analysis: CanaryAnalysisProps;
  /** Name of the HPA Flagger copies for the primary. */
  readonly autoscalerName: string;
}

/**
 * Flagger Canary with the Gateway API provider: Flagger creates the
 * `-primary`/`-canary` Deployments and Services and owns the HTTPRoute named
 * after the service; it shifts traffic along `stepWeights`, checks the
 * service's own 5xx ratio and p99 latency at each step, and rolls back after
 * `failedChecksBeforeRollback` failed checks.
 */
export function canaryRelease(scope: Construct, p: CanaryProps): FlaggerCanary {
  const address = prometheusQueryUrl();
  new FlaggerMetricTemplate(scope, 'metric-error-ratio', {
    metadata: { name: METRIC_TEMPLATE.errorRatio },
    spec: { provider: { type: 'prometheus', address }, query: ERROR_RATIO_QUERY },
  });
  new FlaggerMetricTemplate(scope, 'metric-p99-latency', {
    metadata: { name: METRIC_TEMPLATE.p99Latency },
    spec: { provider: { type: 'prometheus', address }, query: P99_LATENCY_QUERY },
  });

  const interval = `${p.analysis.intervalSeconds}s`;
  const canaryUrl = `http://${SERVICE_NAME}-canary.${p.namespace}:${SERVICE_PORTS.http}`;
  return new FlaggerCanary(scope, 'canary', {
    metadata: { name: SERVICE_NAME },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: SERVICE_NAME },
      autoscalerRef: {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        name: p.autoscalerName,
      },
      progressDeadlineSeconds: 600,
      service: {
        name: SERVICE_NAME,
        port: SERVICE_PORTS.http,
        portName: 'http',
        targetPort: SERVICE_PORTS.http,
        hosts: [p.hostname],
        gatewayRefs: [{ name: GATEWAY.name, namespace: GATEWAY.namespace }],
      },
      analysis: {
        interval,
        threshold: p.analysis.failedChecksBeforeRollback,
        stepWeights: [...p.analysis.stepWeights],
        metrics: [
          {
            name: 'error-ratio',
            templateRef: { name: METRIC_TEMPLATE.errorRatio },
            thresholdRange: { max: p.analysis.maxErrorRatio },
            interval,
          },
          {
            name: 'p99-latency',
            templateRef: { name: METRIC_TEMPLATE.p99Latency },
            thresholdRange: { max: p.analysis.maxP99LatencySeconds },
            interval,
          },
        ],
        webhooks: [
          {
            // Before any user traffic: the new pods answer ready and serve the contract.
            name: 'smoke',
            type: 'pre-rollout',
            url: loadTesterUrl(),
            timeout: '60s',
            metadata: {
              type: 'bash',
              cmd: `curl -sf ${canaryUrl}/readyz && curl -sf -o /dev/null ${canaryUrl}/openapi.json`,
            },
          },
        ],
      },
    },
  });
}
