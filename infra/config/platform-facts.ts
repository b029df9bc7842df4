/**
 * Facts about platforms we do not control, each stated once with the
 * document that says it. Code that depends on one imports it from here.
 */

/** Google's list of PromQL differences of Managed Service for Prometheus (Monarch backend). */
export const GMP_PROMQL_DIFFERENCES_DOC =
  'https://cloud.google.com/stackdriver/docs/managed-prometheus/promql-differences';

/**
 * Managed Prometheus has no staleness: a series that stopped (a deleted canary
 * pod) is not marked stale, so a short window can mix a dead pod's last
 * samples with none from the new one. Section "Staleness" of
 * GMP_PROMQL_DIFFERENCES_DOC.
 */
export const GMP_SUPPORTS_STALENESS = false;

/**
 * A `rate`/`increase` window shorter than the query step is widened to the
 * step. Section "Calculation of rate and increase" of GMP_PROMQL_DIFFERENCES_DOC.
 */
export const GMP_WIDENS_RATE_WINDOW_TO_STEP = true;

/**
 * `histogram_quantile` over a histogram with no samples gives no value on
 * Managed Prometheus (Prometheus gives NaN). Section "Calculation of
 * histogram_quantile" of GMP_PROMQL_DIFFERENCES_DOC.
 */
export const GMP_EMPTY_HISTOGRAM_QUANTILE = 'no value' as const;

/**
 * Google's own Gateway API canary tooling waits for an HTTPRoute change to
 * reach the load balancer before it judges a phase (Cloud Deploy
 * `gatewayServiceMesh.routeUpdateWaitTime`, "the time to wait for route
 * updates to propagate"; no wait when unset):
 * https://cloud.google.com/php/docs/reference/cloud-deploy/latest/V1.KubernetesConfig.GatewayServiceMesh
 */
export const GATEWAY_ROUTE_UPDATE_WAIT_DOC =
  'https://cloud.google.com/php/docs/reference/cloud-deploy/latest/V1.KubernetesConfig.GatewayServiceMesh';
