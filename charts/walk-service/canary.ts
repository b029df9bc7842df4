import { Construct } from 'constructs';
import { checkWindowSeconds, loadTestDurationSeconds } from '../../config/canary-analysis';
import { GATEWAY, SERVICE_NAME, SERVICE_PORTS } from '../../config/names';
import { CANARY_VERDICT, SLI } from '../../config/sli';
import { CanaryMetric, CanaryWebhook, FlaggerCanary, FlaggerMetricTemplate } from '../crds/flagger';
import { FLAGGER, loadTesterUrl, prometheusQueryUrl } from '../lib/cluster-addons';
import { CanaryAnalysisProps } from './props';

export const METRIC_TEMPLATE = {
  userRequests: `${SERVICE_NAME}-user-requests`,
  errorRatio: `${SERVICE_NAME}-5xx-ratio`,
  slowRatio: `${SERVICE_NAME}-slow-ratio`,
} as const;

/**
 * Series of the pods under analysis: Flagger fills `{{ target }}` with the
 * Deployment name, which is the `app` label of the canary pods (primaries carry
 * `<target>-primary`); PodMonitoring copies that label onto every series.
 * The SLI functions add the probe exclusion the SLO rules use.
 */
export const CANARY_SELECTOR = 'namespace="{{ namespace }}",app="{{ target }}"';

/** Flagger's window variable: the metric's `interval` (the check window). */
const WINDOW = '{{ interval }}';

/** The MetricTemplate queries, rendered from the same SLI definitions as the SLO rules. */
export const CANARY_QUERIES = {
  userRequests: SLI.requestCount(CANARY_SELECTOR, WINDOW),
  errorRatio: SLI.errorRatio(CANARY_SELECTOR, WINDOW),
  slowRatio: SLI.slowRatio(CANARY_SELECTOR, WINDOW),
} as const;

/**
 * The loadtester's manual rollback gate (Flagger 1.44 pkg/loadtester/server.go:
 * `/rollback/check` answers 200 once `/rollback/open` was posted for the
 * canary, 403 otherwise; pkg/controller/scheduler_hooks.go runRollbackHooks:
 * a `rollback` webhook that succeeds rolls the canary back at the next tick).
 */
export const ROLLBACK_GATE_PATHS = {
  check: 'rollback/check',
  open: 'rollback/open',
  close: 'rollback/close',
} as const;

export interface CanaryProps {
  readonly hostname: string;
  readonly namespace: string;
  readonly analysis: CanaryAnalysisProps;
  /** Name of the HPA Flagger copies for the primary. */
  readonly autoscalerName: string;
}

/** Load-tester commands (Flagger's `cmd` tasks run in the background, one per distinct command). */
function loadTestWebhooks(canaryUrl: string, p: CanaryProps): CanaryWebhook[] {
  const rps = p.analysis.loadTestRequestsPerSecond;
  if (rps <= 0) return [];
  // Two routes users call: the contract and an authenticated list (401 without a token: routing,
  // auth and the error envelope). Each worker sends rps/2 requests per second and stops before the
  // next tick sends the same command (the load tester skips a command still running).
  const targets = [`${canaryUrl}/openapi.json`, `${canaryUrl}/v1/walks`];
  const seconds = loadTestDurationSeconds(p.analysis);
  const cmd = (url: string) => `hey -z ${seconds}s -c 1 -q ${rps / targets.length} ${url}`;
  return (['pre-rollout', 'rollout'] as const).flatMap((type) =>
    targets.map((url, i) => ({
      // pre-rollout starts the load before the first step so the first check has traffic to judge.
      name: `load-${i === 0 ? 'openapi' : 'walks'}-${type}`,
      type,
      url: loadTesterUrl(),
      timeout: '15s',
      metadata: { type: 'cmd', cmd: cmd(url) },
    })),
  );
}

/**
 * Flagger Canary with the Gateway API provider: Flagger creates the
 * `-primary`/`-canary` Deployments and Services and owns the HTTPRoute named
 * after the service; it shifts traffic along `stepWeights` and, one interval
 * after each step, judges the canary's user requests (probes excluded) over
 * the window after the load balancer applied the weight: enough requests,
 * 5xx ratio and share slower than the latency threshold. After
 * `failedChecksBeforeRollback` failed checks, or an operator opening the
 * rollback gate, it rolls back.
 */
export function canaryRelease(scope: Construct, p: CanaryProps): FlaggerCanary {
  const address = prometheusQueryUrl();
  const template = (id: string, name: string, query: string) =>
    new FlaggerMetricTemplate(scope, id, {
      metadata: { name },
      spec: { provider: { type: 'prometheus', address }, query },
    });
  template('metric-user-requests', METRIC_TEMPLATE.userRequests, CANARY_QUERIES.userRequests);
  template('metric-error-ratio', METRIC_TEMPLATE.errorRatio, CANARY_QUERIES.errorRatio);
  template('metric-slow-ratio', METRIC_TEMPLATE.slowRatio, CANARY_QUERIES.slowRatio);

  const window = `${checkWindowSeconds(p.analysis)}s`;
  // Flagger stops at the first failing metric: the request count first, so "too few requests" is the reason given.
  const metrics: CanaryMetric[] = [
    {
      name: 'user-requests',
      templateRef: { name: METRIC_TEMPLATE.userRequests },
      thresholdRange: { min: CANARY_VERDICT.minUserRequests },
      interval: window,
    },
    {
      name: 'error-ratio',
      templateRef: { name: METRIC_TEMPLATE.errorRatio },
      thresholdRange: { max: CANARY_VERDICT.maxErrorRatio },
      interval: window,
    },
    {
      name: 'slow-ratio',
      templateRef: { name: METRIC_TEMPLATE.slowRatio },
      thresholdRange: { max: CANARY_VERDICT.maxSlowRatio },
      interval: window,
    },
  ];
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
      // Without it, deleting the Canary leaves walk-service at the zero replicas Flagger set and
      // garbage-collects the primary with its Services (runbooks/canary-toggle.md).
      revertOnDeletion: true,
      service: {
        name: SERVICE_NAME,
        port: SERVICE_PORTS.http,
        portName: 'http',
        targetPort: SERVICE_PORTS.http,
        hosts: [p.hostname],
        gatewayRefs: [{ name: GATEWAY.name, namespace: GATEWAY.namespace }],
      },
      analysis: {
        interval: `${p.analysis.intervalSeconds}s`,
        threshold: p.analysis.failedChecksBeforeRollback,
        stepWeights: [...p.analysis.stepWeights],
        metrics,
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
          ...loadTestWebhooks(canaryUrl, p),
          {
            // Closed (403) unless an operator opens it: runbooks/rollback.md "Abort a canary".
            name: 'manual-rollback',
            type: 'rollback',
            url: `${loadTesterUrl()}${ROLLBACK_GATE_PATHS.check}`,
            timeout: '5s',
          },
        ],
      },
    },
  });
}

/** The command an operator runs (from the load tester's namespace) to roll a running canary back now. */
export function rollbackGateCommand(action: 'open' | 'close', namespace: string): string {
  const body = JSON.stringify({ name: SERVICE_NAME, namespace });
  return (
    `kubectl -n ${FLAGGER.namespace} exec deploy/${FLAGGER.loadTesterName} -- ` +
    `curl -s -d '${body}' http://localhost:${FLAGGER.loadTesterContainerPort}/${ROLLBACK_GATE_PATHS[action]}`
  );
}
