/**
 * The service process: builds the dependencies from the config, serves the
 * API on PORT and /metrics on METRICS_PORT, and shuts down gracefully.
 *
 * Shutdown (SIGTERM, SIGINT, or an unexpected error): /readyz answers 503 at
 * once, responses say `Connection: close`, after a grace of at most 1 s the
 * listener stops accepting, in-flight requests finish, the pool
 * drains, the process exits (0 for a signal, 1 after an error) — or is
 * forced out after SHUTDOWN_TIMEOUT_MS.
 */
// First: tracing patches http, express and pg as they load (a no-op unless configured).
import { tracing } from './observability/tracing-start';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFirebaseVerifier } from './auth';
import { type Config, loadConfigOrExit } from './config';
import { shippedMigrations } from './db/migrate';
import { createPool } from './db/pool';
import { type AppDeps, createApp } from './http/app';
import { exitAfterStopOnSignals, Lifecycle, systemClock } from './lifecycle';
import { createLogger, type Logger } from './observability/logger';
import { createMetrics, registerPoolMetrics } from './observability/metrics';
import { createMetricsServer } from './observability/metrics-server';
import { createSessions } from './sessions';
import { queueGauges, startQueueGaugeRefresher } from './share-images/metrics';
import { createObjectStore } from './storage';

export interface RunningService {
  readonly deps: AppDeps;
  readonly server: Server;
  readonly metricsServer: Server;
  readonly port: number;
  readonly metricsPort: number;
  /** Graceful stop; resolves when the pool has drained. */
  stop(reason: string): Promise<void>;
}

export function buildDeps(config: Config, logger: Logger): AppDeps {
  const pool = createPool(config, logger);
  const metrics = createMetrics();
  registerPoolMetrics(metrics.registry, pool, config.dbPoolMax);
  const clock = systemClock;
  const lifecycle = new Lifecycle();
  const sessions = createSessions({ config, pool, clock, logger, metrics, lifecycle });
  sessions.revokedSessions.start();
  return {
    config,
    pool,
    logger,
    metrics,
    clock,
    lifecycle,
    shippedMigrations: shippedMigrations(),
    sessions,
    verifiers: { firebase: createFirebaseVerifier(config.firebaseProjectId), accessToken: sessions.verifier },
    ...(config.storage && { objectStore: createObjectStore(config.storage) }),
  };
}

function listen(server: Server, port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`${what} port ${port} is already in use; stop what uses it or choose another port`)
          : error,
      );
    });
    server.listen(port, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startService(config: Config, logger: Logger): Promise<RunningService> {
  const deps = buildDeps(config, logger);
  const app = createApp(deps);
  const httpServer = createServer(app);
  // Longer than the load balancer's idle timeout, so it closes idle connections first.
  httpServer.keepAliveTimeout = 620_000;
  httpServer.headersTimeout = 621_000;
  const metricsServer = createMetricsServer(deps.metrics.registry);
  const port = await listen(httpServer, config.port, 'PORT');
  const metricsPort = await listen(metricsServer, config.metricsPort, 'METRICS_PORT').catch(async (error) => {
    httpServer.close();
    throw error;
  });
  // The queue depth KEDA scales the worker on: exported here, so it exists while the worker is at zero.
  const queueDepth = startQueueGaugeRefresher({
    pool: deps.pool,
    gauges: queueGauges(deps.metrics.registry),
    intervalMs: config.shareImages.queueGaugeIntervalMs,
    logger,
  });

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      deps.lifecycle.beginShutdown(reason);
      logger.info({ reason }, 'shutting down: readiness off, finishing in-flight requests');
      // A short grace before closing the listener: requests already on their way (bytes not yet
      // read, or sent by a balancer that has not seen readiness flip) are still served, each
      // with `Connection: close`. server.close() would drop connections that look idle at once.
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, config.shutdownTimeoutMs / 10)));
      // Keep-alive connections between requests are closed as soon as they go idle.
      const idleSweep = setInterval(() => httpServer.closeIdleConnections(), 50);
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      clearInterval(idleSweep);
      queueDepth.stop();
      await deps.pool.end();
      await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      await tracing.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'spans not exported'));
      logger.info('shutdown complete');
    })();
    return stopping;
  };
  return { deps, server: httpServer, metricsServer, port, metricsPort, stop };
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.logLevel, traceProject: config.googleCloudProject });
  try {
    const service = await startService(config, logger);
    exitAfterStopOnSignals(service, config.shutdownTimeoutMs, logger);
    logger.info(
      { port: service.port, metrics_port: service.metricsPort, app_env: config.appEnv },
      `walk-service listening on :${service.port} (metrics on :${service.metricsPort})`,
    );
  } catch (error) {
    process.stderr.write(
      `walk-service failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
}

if (require.main === module) void main();
