/** Imported first by worker.ts (as tracing-start.ts by server.ts), as the worker's own service. */
import { WORKER_SERVICE_NAME } from './tracing';
import { startTracingFromEnv } from './tracing-env';

export const tracing = startTracingFromEnv(WORKER_SERVICE_NAME);
