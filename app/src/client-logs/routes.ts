/** POST /v1/client-logs: the app's log entries, validated, scrubbed, written and counted (docs/api.md). */
import { Router, type Request } from 'express';
import { rateLimit, type RateLimitInfo } from 'express-rate-limit';
import { currentUser, requireAuth, type TokenVerifier } from '../auth';
import type { HttpComponent } from '../http/component';
import { AppError } from '../http/errors';
import { BEARER_AUTH, errorResponse, type OpenAPIRegistry } from '../http/openapi';
import { parseOrThrow } from '../http/validation';
import type { Metrics } from '../observability/metrics';
import {
  ClientLogBatchSchema,
  ClientLogReceiptSchema,
  MAX_ENTRIES_PER_BATCH,
  MAX_ENTRY_BYTES,
  type ClientLogBatch,
} from './schemas';
import type { ClientLogService } from './service';

export const CLIENT_LOGS_PATH = '/v1/client-logs';

export interface ClientLogsComponentDeps {
  readonly service: ClientLogService;
  readonly verifiers: readonly TokenVerifier[];
  readonly metrics: Metrics;
  /** Batches per user per minute, per replica. */
  readonly batchesPerMinute: number;
}

/** Each entry as it will be written (unknown fields already dropped) within MAX_ENTRY_BYTES. */
function checkEntrySizes(batch: ClientLogBatch): void {
  batch.entries.forEach((entry, i) => {
    const bytes = Buffer.byteLength(JSON.stringify(entry));
    if (bytes > MAX_ENTRY_BYTES) {
      throw AppError.invalid(
        `entries.${i}`,
        'too_large',
        `entries.${i} is ${bytes} bytes of JSON; an entry may have at most ${MAX_ENTRY_BYTES}`,
      );
    }
  });
}

export function clientLogsComponent(deps: ClientLogsComponentDeps): HttpComponent {
  const { metrics } = deps;
  const router = Router();
  const perUser = rateLimit({
    windowMs: 60_000,
    limit: deps.batchesPerMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req) => currentUser(req).id,
    handler: (req, _res, next) => {
      metrics.clientLogBatches.inc({ result: 'rate_limited' });
      const resetTime = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime;
      const retryAfterSeconds = resetTime
        ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000))
        : 60;
      next(
        new AppError('RATE_LIMITED', 'too many log batches from this user; retry later', {
          retryAfterSeconds,
        }),
      );
    },
  });

  router.post(CLIENT_LOGS_PATH, requireAuth(deps.verifiers), perUser, (req, res) => {
    let batch: ClientLogBatch;
    try {
      batch = parseOrThrow(ClientLogBatchSchema, req.body ?? {});
      checkEntrySizes(batch);
    } catch (error) {
      metrics.clientLogBatches.inc({ result: 'invalid' });
      throw error;
    }
    const accepted = deps.service.ingest({ userId: currentUser(req).id, requestId: req.requestId }, batch);
    metrics.clientLogBatches.inc({ result: 'accepted' });
    res.status(202).json({ accepted });
  });

  return {
    router,
    registerOpenApi(registry: OpenAPIRegistry) {
      registry.registerPath({
        method: 'post',
        path: CLIENT_LOGS_PATH,
        operationId: 'postClientLogs',
        summary: "A batch of the app's log entries",
        description:
          `At most ${MAX_ENTRIES_PER_BATCH} entries of at most ${MAX_ENTRY_BYTES} bytes each. ` +
          'Unknown fields are dropped. Tokens, e-mail addresses and claimed identities are removed and ' +
          'coordinates rounded before an entry is written. A 400 means the batch will never be accepted: ' +
          'drop it; retry a 429 after Retry-After.',
        security: [{ [BEARER_AUTH]: [] }],
        request: {
          body: { required: true, content: { 'application/json': { schema: ClientLogBatchSchema } } },
        },
        responses: {
          202: {
            description: 'accepted; the entries are written asynchronously',
            content: { 'application/json': { schema: ClientLogReceiptSchema } },
          },
          400: errorResponse('malformed batch (too many entries, an entry too large, a bad field)'),
          401: errorResponse('missing, malformed, expired or revoked token'),
          413: errorResponse('body larger than the batch limit'),
          429: errorResponse('too many batches from this user (Retry-After says when to retry)'),
        },
      });
    },
  };
}
