/**
 * Shutdown timing shared by the pod spec and the load balancer policy.
 *
 * On deletion the kubelet runs the preStop sleep first (the Gateway keeps
 * sending requests until the endpoint is removed from the NEG), then sends
 * SIGTERM: the service flips /readyz to 503, finishes in-flight requests and
 * drains the pool within SHUTDOWN_TIMEOUT_MS. The grace period covers both plus
 * a margin; the backend timeout is shorter than the shutdown timeout so a
 * request accepted just before SIGTERM can still finish.
 */
export interface ShutdownTiming {
  /** Seconds the preStop hook sleeps before SIGTERM. */
  readonly preStopSleepSeconds: number;
  /** SHUTDOWN_TIMEOUT_MS of the service. */
  readonly shutdownTimeoutMs: number;
  /** Pod terminationGracePeriodSeconds. */
  readonly terminationGracePeriodSeconds: number;
  /** GCPBackendPolicy timeoutSec: the longest a request may run at the load balancer. */
  readonly backendTimeoutSeconds: number;
  /** GCPBackendPolicy connectionDraining.drainingTimeoutSec. */
  readonly drainingTimeoutSeconds: number;
}

export const DEFAULT_SHUTDOWN_TIMING: ShutdownTiming = {
  preStopSleepSeconds: 10,
  shutdownTimeoutMs: 25_000,
  terminationGracePeriodSeconds: 40,
  backendTimeoutSeconds: 20,
  drainingTimeoutSeconds: 25,
};

/** Throws naming the field and the bound it breaks. */
export function validateShutdownTiming(t: ShutdownTiming): void {
  const shutdownSeconds = Math.ceil(t.shutdownTimeoutMs / 1000);
  const errors: string[] = [];
  if (!Number.isInteger(t.preStopSleepSeconds) || t.preStopSleepSeconds < 1) {
    errors.push(`preStopSleepSeconds must be an integer >= 1, got ${t.preStopSleepSeconds}`);
  }
  if (t.terminationGracePeriodSeconds < t.preStopSleepSeconds + shutdownSeconds) {
    errors.push(
      `terminationGracePeriodSeconds (${t.terminationGracePeriodSeconds}) must be >= preStopSleepSeconds ` +
        `(${t.preStopSleepSeconds}) + shutdownTimeoutMs/1000 (${shutdownSeconds})`,
    );
  }
  if (t.backendTimeoutSeconds >= shutdownSeconds) {
    errors.push(
      `backendTimeoutSeconds (${t.backendTimeoutSeconds}) must be < shutdownTimeoutMs/1000 (${shutdownSeconds}) ` +
        'so a request accepted before SIGTERM finishes before the service exits',
    );
  }
  if (t.drainingTimeoutSeconds > t.terminationGracePeriodSeconds - t.preStopSleepSeconds) {
    errors.push(
      `drainingTimeoutSeconds (${t.drainingTimeoutSeconds}) must be <= terminationGracePeriodSeconds - ` +
        `preStopSleepSeconds (${t.terminationGracePeriodSeconds - t.preStopSleepSeconds})`,
    );
  }
  if (errors.length > 0) throw new Error(`invalid shutdown timing: ${errors.join('; ')}`);
}
