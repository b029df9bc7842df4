/**
 * Platform facts: behaviours, names and enums that Google Cloud (or a tool we
 * run) defines and documents, not this project. Each is stated once, here,
 * with the page that says it; code, charts and runbooks import the value.
 * Keep this a flat list of documented constants (no logic, no imports).
 */

/** A documented constant: `value` as the `source` page states it. */
export interface PlatformFact<T> {
  readonly value: T;
  /** The document that states the fact (https). */
  readonly source: string;
}

/**
 * Namespace of GKE's managed collection for Managed Service for Prometheus
 * (collectors, rule-evaluator, managed Alertmanager, operator). `gmp-system`
 * is the namespace of the self-deployed operator and of non-GKE clusters;
 * GKE-managed components run in `gke-gmp-system`.
 */
export const GKE_MANAGED_PROMETHEUS_NAMESPACE: PlatformFact<string> = {
  value: 'gke-gmp-system',
  source: 'https://cloud.google.com/stackdriver/docs/managed-prometheus/troubleshooting',
};

/** Namespace where managed collection reads OperatorConfig and the Alertmanager secret. */
export const GKE_MANAGED_PROMETHEUS_PUBLIC_NAMESPACE: PlatformFact<string> = {
  value: 'gmp-public',
  source: 'https://cloud.google.com/stackdriver/docs/managed-prometheus/setup-managed',
};
