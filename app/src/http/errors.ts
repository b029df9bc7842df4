/**
 * One error type for everything the service answers with a non-2xx status,
 * one mapping from code to status, one envelope (API.md, "Errors"). The
 * domain's errors (domain-errors.ts) are mapped here, at the edge.
 */
import type { ErrorRequestHandler, Response } from 'express';
import { isDatabaseUnavailable } from '../db/pool';
import { DomainError, type DomainErrorKind } from '../domain-errors';

export const ERROR_STATUS = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetail {
  readonly field: string;
  readonly issue: string;
}

export interface AppErrorOptions {
  readonly details?: readonly ErrorDetail[];
  /** Seconds, sent as Retry-After (429, 503). */
  readonly retryAfterSeconds?: number;
  readonly cause?: unknown;
}

/** An expected ("operational") failure with a code from API.md; its message is safe to show the caller. */
export class AppError extends Error {
  readonly details: readonly ErrorDetail[] | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static invalid(field: string, issue: string, message: string): AppError {
    return new AppError('INVALID_REQUEST', message, { details: [{ field, issue }] });
  }

  static notFound(what = 'resource'): AppError {
    return new AppError('NOT_FOUND', `${what} not found`);
  }

  static unavailable(
    message = 'the service is temporarily unavailable, retry later',
    cause?: unknown,
  ): AppError {
    return new AppError('UNAVAILABLE', message, { retryAfterSeconds: 5, cause });
  }
}

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; details?: ErrorDetail[]; request_id: string };
}

export function sendError(res: Response, error: AppError, requestId: string): void {
  if (error.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(error.retryAfterSeconds));
  // RFC 9110 §15.5.2: a 401 names the scheme to use (RFC 6750: Bearer)
  if (error.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="walk-service"');
  const body: ErrorEnvelope = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.details ? { details: [...error.details] } : {}),
      request_id: requestId,
    },
  };
  res.status(error.status).json(body);
}

/** Errors raised by express.json() (body-parser) carry a `type`. */
function fromBodyParser(error: { type?: unknown; status?: unknown; limit?: unknown }): AppError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return AppError.invalid('body', 'invalid_json', 'request body is not valid JSON');
    case 'entity.too.large':
      return new AppError(
        'PAYLOAD_TOO_LARGE',
        `request body must be at most ${typeof error.limit === 'number' ? error.limit / 1_048_576 : 2} MiB (after Content-Encoding is decoded)`,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'request body must be UTF-8 application/json');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return AppError.invalid('body', 'incomplete', 'request body was incomplete');
    default:
      return undefined;
  }
}

const DOMAIN_CODES: Record<DomainErrorKind, ErrorCode> = {
  invalid: 'INVALID_REQUEST',
  not_found: 'NOT_FOUND',
  conflict: 'CONFLICT',
  precondition_failed: 'PRECONDITION_FAILED',
  unauthenticated: 'UNAUTHORIZED',
  unavailable: 'UNAVAILABLE',
};

function fromDomain(error: DomainError): AppError {
  const code = DOMAIN_CODES[error.kind];
  return new AppError(code, error.message, {
    cause: error.cause ?? error,
    ...(error.field !== undefined && { details: [{ field: error.field, issue: error.issue ?? 'invalid' }] }),
    ...(code === 'UNAVAILABLE' && { retryAfterSeconds: 5 }),
  });
}

/**
 * Errors Express's router raises before any handler runs carry an http-errors
 * style 4xx `status`; a path parameter that is not valid percent-encoding is
 * the one it raises today (router's decodeParam: 400 URIError).
 */
function fromRouter(error: { status?: unknown; name?: unknown }): AppError | undefined {
  if (error.name === 'URIError' && error.status === 400) {
    return AppError.invalid('path', 'invalid_encoding', 'the request path is not valid percent-encoding');
  }
  return undefined;
}

/** SQLSTATEs that mean the input was refused by a CHECK or type rule the validation did not catch. */
const INPUT_SQLSTATES = new Set(['22001', '22003', '22007', '22008', '22021', '22P02', '22P05', '23514']);

/** Turns anything thrown into an AppError; `undefined` for a programmer error (500, logged with its stack). */
export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof DomainError) return fromDomain(error);
  if (error && typeof error === 'object') {
    const parsed = fromBodyParser(error as { type?: unknown }) ?? fromRouter(error);
    if (parsed) return parsed;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && INPUT_SQLSTATES.has(code)) {
      return AppError.invalid('body', 'rejected', 'the request contains a value the service cannot store');
    }
  }
  if (isDatabaseUnavailable(error))
    return AppError.unavailable('the database is unavailable, retry later', error);
  return undefined;
}

export const INTERNAL_ERROR = new AppError('INTERNAL_ERROR', 'internal error');

/** The single error handler: maps, logs once, answers in the envelope. */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const mapped = toAppError(error);
  if (!mapped) req.log.error({ err: error }, 'unhandled error');
  else if (mapped.status >= 500)
    req.log.warn({ err: mapped.cause ?? mapped, code: mapped.code }, mapped.message);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendError(res, mapped ?? INTERNAL_ERROR, req.requestId);
};
