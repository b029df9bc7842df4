/**
 * The share-image worker process (`node dist/app/worker.js`, the same image
 * as walk-service): claims jobs from share_image_jobs, renders, stores the
 * JPEG in the walk images bucket and records the result (ADR 0255).
 *
 * METRICS_PORT serves /metrics, /healthz (the process is alive) and /readyz
 * (the database answers and the worker is not stopping). SIGTERM/SIGINT: stop
 * claiming, finish the jobs in hand or release them within
 * SHUTDOWN_TIMEOUT_MS, drain the pool, exit 0.
 */
// First: tracing patches pg and http as they load (a no-op unless configured).
import { tracing } from './observability/tracing-start-worker';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry, type OpenMetricsContentType } from 'prom-client';
import { loadConfigOrExit, loadWorkerConfig, type WorkerConfig } from './config';
import { createPool } from './db/pool';
import { exitAfterStopOnSignals, Lifecycle } from './lifecycle';
import { createLogger, type Logger, type LoggerOptions } from './observability/logger';
import { WORKER_SERVICE_NAME } from './observability/tracing';
import { registerPoolMetrics, type MetricsRegistry } from './observability/metrics';
import { registerFonts } from './share-images/fonts';
import { workerMetrics } from './share-images/metrics';
import { createShareImageWorker, type ShareImageWorker } from './share-images/worker-loop';
import { createObjectStore, type ObjectStore } from './storage';

/** The worker's logger: its lines say `"service":"walk-image-worker"`, also in walk-service's process (npm start). */
export function createWorkerLogger(options: Omit<LoggerOptions, 'service'>): Logger {
  return createLogger({ ...options, service: WORKER_SERVICE_NAME });
}

export interface RunningWorker {
  readonly worker: ShareImageWorker;
  readonly registry: MetricsRegistry;
  readonly metricsPort: number;
  stop(reason: string): Promise<void>;
}

/** /metrics, /healthz and /readyz on one port (the worker serves no API). */
function probeServer(registry: MetricsRegistry, ready: () => Promise<boolean>): Server {
  return createServer((req, res) => {
    const path = req.url?.split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (req.method === 'GET' && path === '/readyz') {
      void ready().then((ok) =>
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not ready\n'),
      );
    } else if (req.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
      );
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
}

export async function startWorker(
  config: WorkerConfig,
  logger: Logger,
  options: { readonly store?: Pick<ObjectStore, 'put'> } = {},
): Promise<RunningWorker> {
  registerFonts(); // once, before the first job: a missing font fails the start, not a job
  const pool = createPool(config, logger);
  // OpenMetrics like walk-service's (exemplars need it; one format for every scrape)
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  collectDefaultMetrics({ register: registry });
  registerPoolMetrics(registry, pool, config.dbPoolMax);
  const lifecycle = new Lifecycle();
  const worker = createShareImageWorker({
    pool,
    store: options.store ?? createObjectStore(config.storage),
    config: config.shareImages,
    metrics: workerMetrics(registry),
    logger,
  });
  const server = probeServer(registry, async () => {
    if (lifecycle.shuttingDown) return false;
    return pool.query('SELECT 1').then(
      () => true,
      () => false,
    );
  });
  const metricsPort = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.metricsPort, () => resolve((server.address() as AddressInfo).port));
  });
  worker.start();

  let stopping: Promise<void> | undefined;
  const stop = (reason: string) =>
    (stopping ??= (async () => {
      lifecycle.beginShutdown(reason);
      // Leave time to release what is still in hand and drain before the forced exit.
      const { finished, released } = await worker.stop(Math.max(0, config.shutdownTimeoutMs - 2000));
      logger.info(
        { reason, finished, released },
        'worker stopped claiming; jobs in hand finished or released',
      );
      await pool.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tracing.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'spans not exported'));
    })());
  return { worker, registry, metricsPort, stop };
}

async function main(): Promise<void> {
  const config = loadConfigOrExit(loadWorkerConfig);
  const logger = createWorkerLogger({ level: config.logLevel, traceProject: config.googleCloudProject });
  let running: RunningWorker;
  try {
    running = await startWorker(config, logger);
  } catch (error) {
    process.stderr.write(
      `share-image worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  }
  exitAfterStopOnSignals(running, config.shutdownTimeoutMs, logger);
  logger.info(
    {
      metrics_port: running.metricsPort,
      concurrency: config.shareImages.workerConcurrency,
      bucket: config.storage.bucket,
      app_env: config.appEnv,
    },
    `share-image worker running (metrics on :${running.metricsPort})`,
  );
}

if (require.main === module) void main();
