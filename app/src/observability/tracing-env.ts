/**
 * Tracing started once per process from the environment (a no-op unless
 * OTEL_TRACES_EXPORTER is set; a bad tracing variable is reported with the
 * rest of the config). Once: `npm start` runs the worker in walk-service's
 * process, where a second provider would register every instrumentation
 * twice; there the first caller's service name wins.
 */
import { ConfigError, loadTracingConfig } from '../config';
import { startTracing, type Tracing } from './tracing';

let started: Tracing | undefined;

export function startTracingFromEnv(serviceName: string): Tracing {
  started ??= (() => {
    try {
      return startTracing(loadTracingConfig(), { serviceName });
    } catch (error) {
      if (error instanceof ConfigError) return { enabled: false, shutdown: async () => {} };
      throw error;
    }
  })();
  return started;
}
