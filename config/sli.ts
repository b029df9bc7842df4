/**
 * The service level indicators, defined once for the SLO rules (monitoring/)
 * and the canary analysis (charts/walk-service/canary.ts): which requests
 * count, what makes one bad, and the numbers a release is judged by.
 */

/**
 * Kubelet, load-balancer and load-tester probes are not users: a flood of
 * fast /healthz answers dilutes the error ratio and the latency tail, and
 * /readyz answers 503 by design while a pod is not ready.
 */
export const PROBE_ROUTES = ['/healthz', '/readyz'] as const;

/**
 * The `route` label of a request no route matched (app/src/http/middleware.ts
 * routeTemplate): scanners and typos are not users of the service's routes, and
 * a 404 flood in the denominator would dilute a real error rate below every
 * threshold.
 */
export const UNMATCHED_ROUTE = 'unmatched';

/** `route` values that never count as user requests. */
export const NOT_USER_ROUTES = [...PROBE_ROUTES, UNMATCHED_ROUTE] as const;

/** `le` bucket of http_request_duration_seconds (app/src/observability/metrics.ts) a good request stays under. */
export const LATENCY_THRESHOLD_SECONDS = 0.5;

/** Share of requests that must answer within LATENCY_THRESHOLD_SECONDS (the latency SLO and the canary's p99). */
export const LATENCY_QUANTILE = 0.99;

/** The canary verdict: each check of the analysis must hold all three. */
export const CANARY_VERDICT = {
  /** Highest 5xx ratio of the canary's user requests in one check window (10x the 99.9 % SLO's budget). */
  maxErrorRatio: 0.01,
  /**
   * Highest share of user requests slower than LATENCY_THRESHOLD_SECONDS: 1 - 0.99, i.e. p99 <= 0.5 s,
   * read from the bucket instead of interpolated by histogram_quantile.
   */
  maxSlowRatio: Number((1 - LATENCY_QUANTILE).toPrecision(6)),
  /**
   * Fewest user requests a check judges. At 100, one 5xx is 1 % (passes) and two fail: a release with
   * 5 % errors fails a check with probability 0.96, one at 0.1 % with probability 0.005 (docs/adr/0120).
   */
  minUserRequests: 100,
} as const;

/** A label selector (without braces) narrowed to user requests: the service's own routes, probes excluded. */
export function userRequests(selector: string): string {
  return `${selector},route!~"${NOT_USER_ROUTES.join('|')}"`;
}

/**
 * PromQL of each SLI over the series `selector` picks (user requests only)
 * and a range (`5m`, or Flagger's `{{ interval }}`).
 */
export const SLI = {
  /** 5xx / all. A 5xx series exists only after a pod's first 5xx: none means no errors, not no data. */
  errorRatio: (selector: string, range: string): string => {
    const s = userRequests(selector);
    return (
      `(sum(rate(http_requests_total{${s},status_code=~"5.."}[${range}])) or vector(0))\n` +
      `/\nsum(rate(http_requests_total{${s}}[${range}]))`
    );
  },
  /** Share slower than LATENCY_THRESHOLD_SECONDS; no requests gives NaN (no verdict), never 0. */
  slowRatio: (selector: string, range: string): string => {
    const s = userRequests(selector);
    return (
      `1 - (\n  sum(rate(http_request_duration_seconds_bucket{${s},le="${LATENCY_THRESHOLD_SECONDS}"}[${range}]))\n` +
      `  /\n  sum(rate(http_request_duration_seconds_count{${s}}[${range}]))\n)`
    );
  },
  /** User requests answered in the range (increase() extrapolates to the whole range). */
  requestCount: (selector: string, range: string): string =>
    `sum(increase(http_requests_total{${userRequests(selector)}}[${range}]))`,
} as const;
