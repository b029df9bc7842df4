/** POST /v1/sessions/{login,refresh,logout,logout-all}: parse, call the service, answer (API.md, "Sessions"). */
import { Router, type Request, type RequestHandler } from 'express';
import { rateLimit, type RateLimitInfo } from 'express-rate-limit';
import type { Counter } from 'prom-client';
import type { z } from 'zod';
import { currentUser, requireAuth, type AccessTokenVerifier, type TokenVerifier } from '../auth';
import type { HttpComponent } from '../http/component';
import { AppError, toAppError } from '../http/errors';
import { parseOrThrow } from '../http/validation';
import { BEARER_AUTH, errorResponse, type OpenAPIRegistry } from '../http/openapi';
import type { Metrics } from '../observability/metrics';
import { ACCESS_TOKEN_TTL_SECONDS } from './access-tokens';
import { LoginRequestSchema, RefreshRequestSchema, SessionSchema, type SessionBody } from './schemas';
import { RefreshRejected, type SessionGrant, type SessionService } from './service';

export interface RateLimits {
  /** Requests per client address per minute. */
  readonly loginPerMinute: number;
  readonly refreshPerMinute: number;
}

export interface SessionsComponentDeps {
  readonly service: SessionService;
  /** Verifies the ID token presented at login (revocation checked, disabled users refused). */
  readonly firebase: TokenVerifier;
  readonly accessTokens: AccessTokenVerifier;
  readonly metrics: Metrics;
  readonly rateLimits: RateLimits;
}

/** The result label of session_logins_total / session_refreshes_total for a failure. */
function failureResult(error: unknown): string {
  if (error instanceof RefreshRejected && error.reason === 'reuse') return 'reuse';
  const code = toAppError(error)?.code;
  if (code === 'UNAUTHORIZED') return 'invalid_token';
  if (code === 'INVALID_REQUEST') return 'invalid_request';
  return 'error';
}

async function counted<T>(counter: Counter<'result'>, work: () => Promise<T>): Promise<T> {
  try {
    const value = await work();
    counter.inc({ result: 'success' });
    return value;
  } catch (error) {
    counter.inc({ result: failureResult(error) });
    throw error;
  }
}

function sessionBody(grant: SessionGrant): SessionBody {
  return {
    access_token: grant.accessToken,
    refresh_token: grant.refreshToken,
    token_type: 'Bearer',
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
    user: { id: grant.user.id, email: grant.user.email, display_name: grant.user.displayName },
  };
}

/** Per client address (req.ip, so `trust proxy` decides which hop is the client), per replica. */
function perAddressLimit(limit: number, counter: Counter<'result'>): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (req, _res, next) => {
      counter.inc({ result: 'rate_limited' });
      const resetTime = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit?.resetTime;
      const retryAfterSeconds = resetTime
        ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000))
        : 60;
      next(
        new AppError('RATE_LIMITED', 'too many session requests from this address; retry later', {
          retryAfterSeconds,
        }),
      );
    },
  });
}

export function sessionsComponent(deps: SessionsComponentDeps): HttpComponent {
  const { service, metrics } = deps;
  const router = Router();
  const sessionAuth = requireAuth([deps.accessTokens], {
    refused: [
      {
        issuer: deps.firebase.issuer,
        message:
          'this needs a session access token, not a Firebase ID token: POST /v1/sessions/login trades one for the other',
      },
    ],
  });

  router.post(
    '/v1/sessions/login',
    perAddressLimit(deps.rateLimits.loginPerMinute, metrics.sessionLogins),
    async (req, res) => {
      const grant = await counted(metrics.sessionLogins, async () => {
        const { id_token } = parseOrThrow(LoginRequestSchema, req.body ?? {});
        const identity = await deps.firebase.verify(id_token);
        return service.login({ id: identity.id, email: identity.email, displayName: identity.displayName });
      });
      req.log.info({ user_id: grant.user.id, session_id: grant.sessionId }, 'session opened');
      res.status(201).json(sessionBody(grant));
    },
  );

  router.post(
    '/v1/sessions/refresh',
    perAddressLimit(deps.rateLimits.refreshPerMinute, metrics.sessionRefreshes),
    async (req, res) => {
      const grant = await counted(metrics.sessionRefreshes, async () => {
        const { refresh_token } = parseOrThrow(RefreshRequestSchema, req.body ?? {});
        return service.refresh(refresh_token);
      });
      res.status(200).json(sessionBody(grant));
    },
  );

  router.post('/v1/sessions/logout', sessionAuth, async (req, res) => {
    const user = currentUser(req);
    if (!user.sessionId) throw new AppError('UNAUTHORIZED', 'logout needs a session access token');
    await service.logout(user.id, user.sessionId);
    req.log.info({ session_id: user.sessionId }, 'session closed');
    res.status(204).end();
  });

  router.post('/v1/sessions/logout-all', sessionAuth, async (req, res) => {
    const user = currentUser(req);
    const revoked = await service.logoutAll(user.id);
    req.log.info({ sessions_revoked: revoked }, 'all sessions of the user closed');
    res.status(204).end();
  });

  return { router, registerOpenApi: registerSessionPaths };
}

function registerSessionPaths(registry: OpenAPIRegistry): void {
  const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });
  const limited = errorResponse('too many requests from this address (Retry-After says when to retry)');
  registry.registerPath({
    method: 'post',
    path: '/v1/sessions/login',
    operationId: 'login',
    security: [],
    summary: 'Trade a Firebase ID token for a session (access and refresh token)',
    request: { body: { required: true, ...json(LoginRequestSchema) } },
    responses: {
      201: { description: 'session opened; the user row is created or updated', ...json(SessionSchema) },
      400: errorResponse('malformed body'),
      401: errorResponse('the ID token is invalid, expired or revoked, or the user is disabled or deleted'),
      429: limited,
      503: errorResponse('Firebase or the database is unavailable'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/sessions/refresh',
    operationId: 'refreshSession',
    security: [],
    summary: 'Exchange a refresh token for a new pair; the old one stops working',
    description:
      'Presenting an already-used refresh token is treated as theft: 401, and every token of its session is revoked.',
    request: { body: { required: true, ...json(RefreshRequestSchema) } },
    responses: {
      200: { description: 'a new pair', ...json(SessionSchema) },
      400: errorResponse('malformed body'),
      401: errorResponse('unknown, expired, revoked or already-used refresh token'),
      429: limited,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/sessions/logout',
    operationId: 'logout',
    summary: 'End this session: its refresh tokens at once, its access tokens within seconds',
    security: [{ [BEARER_AUTH]: [] }],
    responses: {
      204: { description: 'session ended' },
      401: errorResponse('missing or invalid access token'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/sessions/logout-all',
    operationId: 'logoutAll',
    summary: 'End every session of the user: refresh tokens at once, access tokens within seconds',
    security: [{ [BEARER_AUTH]: [] }],
    responses: {
      204: { description: 'all sessions ended' },
      401: errorResponse('missing or invalid access token'),
    },
  });
}
