/**
 * Imported first by server.ts, so the instrumentations are in place before
 * `http`, `express` and `pg` are loaded. A no-op unless OTEL_TRACES_EXPORTER
 * is set; a bad tracing variable is reported with the rest of the config.
 */
import { ConfigError, loadTracingConfig } from '../config';
import { startTracing, type Tracing } from './tracing';

function start(): Tracing {
  try {
    return startTracing(loadTracingConfig());
  } catch (error) {
    if (error instanceof ConfigError) return { enabled: false, shutdown: async () => {} };
    throw error;
  }
}

export const tracing: Tracing = start();
