/**
 * Imported first by server.ts, so the instrumentations are in place before
 * `http`, `express` and `pg` are loaded.
 */
import { SERVICE_NAME } from './tracing';
import { startTracingFromEnv } from './tracing-env';

export const tracing = startTracingFromEnv(SERVICE_NAME);
