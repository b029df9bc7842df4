/**
 * pino shaped for Cloud Logging: `severity` instead of a numeric level,
 * `message` instead of `msg`. Tokens never reach a line: code never logs
 * headers or bodies, and the redaction below is the second line of defence.
 *
 * Request fields (request id, trace, user) live in an AsyncLocalStorage that
 * every logger made here reads: a line written while serving a request carries
 * them whichever logger wrote it, so domain code needs no request logger.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'token',
  'id_token',
  'idToken',
  'access_token',
  'refresh_token',
  'password',
];

/** Paths pino censors: at the top level, one level down, and in request headers. */
export const REDACTED_PATHS = [
  ...SECRET_KEYS.flatMap((key) => [key, `*.${key}`]),
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

export type LogFields = Record<string, unknown>;

/**
 * Cloud Logging's fields that link a line to its trace and span
 * (https://cloud.google.com/logging/docs/structured-logging, "Special JSON
 * fields in log messages"); `trace` is `projects/<project>/traces/<id>`.
 */
export const CLOUD_LOGGING_TRACE_FIELDS = {
  trace: 'logging.googleapis.com/trace',
  spanId: 'logging.googleapis.com/spanId',
  sampled: 'logging.googleapis.com/trace_sampled',
} as const;

/** The trace fields of a trace id, span id and sampled flag. */
export function traceLogFields(
  project: string | undefined,
  traceId: string,
  spanId: string | undefined,
  sampled: boolean | undefined,
): LogFields {
  return {
    [CLOUD_LOGGING_TRACE_FIELDS.trace]: project ? `projects/${project}/traces/${traceId}` : traceId,
    ...(spanId && { [CLOUD_LOGGING_TRACE_FIELDS.spanId]: spanId }),
    ...(sampled !== undefined && { [CLOUD_LOGGING_TRACE_FIELDS.sampled]: sampled }),
  };
}

/** The active OpenTelemetry span's fields (none while tracing is off or outside a span). */
function activeSpanFields(project: string | undefined): LogFields {
  const context = trace.getActiveSpan()?.spanContext();
  if (!context || !isSpanContextValid(context)) return {};
  const sampled = (context.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
  return traceLogFields(project, context.traceId, context.spanId, sampled);
}

const requestFields = new AsyncLocalStorage<LogFields>();

/** Runs `work` (and everything it starts) with `fields` on every log line. */
export function withLogFields<T>(fields: LogFields, work: () => T): T {
  return requestFields.run({ ...fields }, work);
}

/** Runs `work` without the current request's fields (lines that speak for someone else, e.g. a client). */
export function withoutLogFields<T>(work: () => T): T {
  return requestFields.exit(work);
}

/** Adds fields to the current request's lines from here on (no-op outside one). */
export function addLogFields(fields: LogFields): void {
  const current = requestFields.getStore();
  if (current) Object.assign(current, fields);
}

export interface LoggerOptions {
  readonly level: string;
  /** Cloud project of the trace ids (GOOGLE_CLOUD_PROJECT); without it lines carry the bare id. */
  readonly traceProject?: string | undefined;
  readonly destination?: DestinationStream;
  /** Every line's `service` field. @default 'walk-service' */
  readonly service?: string;
}

/**
 * pg attaches the client that failed (connection parameters, buffers, type
 * tables) to connection errors: a log line gets the error, never the client.
 */
function serializeError(err: Error): pino.SerializedError {
  const serialized = pino.stdSerializers.err(err);
  delete serialized.client;
  delete serialized.connection;
  return serialized;
}

export function createLogger({ level, destination, traceProject, service }: LoggerOptions): Logger {
  return pino(
    {
      level,
      messageKey: 'message',
      base: { service: service ?? 'walk-service' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }) },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      serializers: { err: serializeError },
      // the active span's ids win over those read from the request's headers (the caller's span)
      mixin: () => ({ ...requestFields.getStore(), ...activeSpanFields(traceProject) }),
    },
    destination ?? pino.destination({ sync: false }),
  );
}
