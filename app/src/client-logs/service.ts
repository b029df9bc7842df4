/**
 * Client log ingestion: scrub each entry, write it as one structured log line
 * attributed to the hashed user id, count it. No request or response here,
 * and nothing that waits: the logger's destination is asynchronous.
 */
import { createHash } from 'node:crypto';
import { type Logger, withoutLogFields } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { appVersionLabeller, operationLabel } from './labels';
import type { ClientLogBatch, ClientLogLevel } from './schemas';
import { scrub, type ScrubOptions } from './scrub';

/** Cloud Logging severity of each client level, through pino's level names. */
const PINO_LEVEL: Record<ClientLogLevel, 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
};

/**
 * A pseudonymous user id: the same user always gets the same value (support
 * can compute it from a uid), and the uid itself is not stored with the logs.
 */
export function clientUserHash(userId: string): string {
  return createHash('sha256').update(`walk-service/client-logs/${userId}`).digest('hex').slice(0, 32);
}

export interface ClientLogServiceDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly scrub: ScrubOptions;
}

export interface IngestContext {
  /** The verified user (the token's subject). */
  readonly userId: string;
  /** The ingestion request's id, so a client line leads back to the request that brought it. */
  readonly requestId: string;
}

export interface ClientLogService {
  /** Writes and counts the batch's entries; returns how many were accepted. */
  ingest(context: IngestContext, batch: ClientLogBatch): number;
}

export function createClientLogService(deps: ClientLogServiceDeps): ClientLogService {
  const appVersionLabel = appVersionLabeller();
  return {
    ingest({ userId, requestId }, batch) {
      const user_hash = clientUserHash(userId);
      const app_version = appVersionLabel(batch.app_version);
      // Outside the request's log fields: those carry the raw user id and the ingestion's trace.
      withoutLogFields(() => {
        for (const raw of batch.entries) {
          const entry = scrub(raw, deps.scrub);
          const level = entry.level.toLowerCase() as ClientLogLevel;
          deps.metrics.clientLogEntries.inc({
            level,
            operation: operationLabel(entry.operation),
            app_version,
          });
          deps.logger[PINO_LEVEL[level]](
            {
              log_source: 'client',
              user_hash,
              request_id: requestId,
              app_version: batch.app_version,
              platform: batch.platform,
              client_level: level,
              client_timestamp: entry.timestamp,
              correlation_id: entry.correlation_id,
              operation: entry.operation,
              ...(entry.context && { context: entry.context }),
              ...(entry.environment && { environment: entry.environment }),
              ...(entry.source && { source: entry.source }),
              ...(entry.error_chain && { error_chain: entry.error_chain }),
              ...(entry.performance_metrics && { performance_metrics: entry.performance_metrics }),
            },
            entry.message,
          );
        }
      });
      return batch.entries.length;
    },
  };
}
