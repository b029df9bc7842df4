/** Cross-cutting middleware: request id and trace, access log and RED metrics, media-type guard, 404. */
import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import type { Request, RequestHandler } from 'express';
import { type Logger, traceLogFields, withLogFields } from '../observability/logger';
import { traceExemplar, type Metrics } from '../observability/metrics';
import { AppError } from './errors';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/;
const CLOUD_TRACE = /^([\da-f]{32})(?:\/(\d+))?(?:;o=([01]))?/;

/** The caller's trace, for logs while tracing is off (with tracing on, the active span's ids win). */
function traceOf(req: Request): { traceId: string; spanId?: string; sampled?: boolean } | undefined {
  const traceparent = TRACEPARENT.exec(String(req.headers.traceparent ?? ''));
  if (traceparent?.[1])
    return {
      traceId: traceparent[1],
      spanId: traceparent[2],
      sampled: (parseInt(traceparent[3]!, 16) & 1) === 1,
    };
  const cloud = CLOUD_TRACE.exec(String(req.headers['x-cloud-trace-context'] ?? ''));
  if (cloud?.[1])
    return { traceId: cloud[1], spanId: cloud[2], ...(cloud[3] && { sampled: cloud[3] === '1' }) };
  return undefined;
}

/**
 * X-Request-Id (the caller's when sane); the rest of the request runs with it
 * and the Cloud Trace fields on every log line, whichever logger writes it.
 */
export function requestContext(logger: Logger, googleCloudProject: string | undefined): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    req.requestId = typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', req.requestId);
    const trace = traceOf(req);
    req.log = logger;
    withLogFields(
      {
        request_id: req.requestId,
        ...(trace && traceLogFields(googleCloudProject, trace.traceId, trace.spanId, trace.sampled)),
      },
      next,
    );
  };
}

/** The matched route template, never the raw path (bounded label cardinality). */
export function routeTemplate(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : 'unmatched';
}

/** The method and full route template of every route a router serves (what routeTemplate labels). */
export function routesOf(router: { stack: readonly unknown[] }): { method: string; route: string }[] {
  return router.stack.flatMap((layer) => {
    const route = (layer as { route?: { path?: unknown; methods?: Record<string, boolean> } }).route;
    if (!route) return [];
    const paths = (Array.isArray(route.path) ? route.path : [route.path]).filter(
      (p): p is string => typeof p === 'string',
    );
    const methods = Object.keys(route.methods ?? {}).filter((m) => m !== '_all');
    return paths.flatMap((path) => methods.map((m) => ({ method: m.toUpperCase(), route: path })));
  });
}

/**
 * One access-log line and the RED metrics per request, when the response is
 * done; the latency observation carries the request's sampled trace as its
 * exemplar (`googleCloudProject` names the project that holds the trace).
 */
export function accessLogAndMetrics(metrics: Metrics, googleCloudProject?: string): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const span = trace.getActiveSpan(); // the server span, while the request's context is current
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const labels = { method: req.method, route: routeTemplate(req), status_code: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      const exemplarLabels = traceExemplar(span, googleCloudProject);
      metrics.httpDuration.observe({ labels, value: seconds, ...(exemplarLabels && { exemplarLabels }) });
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      req.log[level](
        {
          route: labels.route,
          status: res.statusCode,
          duration_ms: Math.round(seconds * 10_000) / 10,
          httpRequest: {
            requestMethod: req.method,
            requestUrl: req.path,
            status: res.statusCode,
            latency: `${seconds.toFixed(6)}s`,
            userAgent: req.headers['user-agent'],
            remoteIp: req.ip,
          },
        },
        `${req.method} ${labels.route} ${res.statusCode}`,
      );
    });
    next();
  };
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** 415 for a body that is not application/json (a missing body is left to the route). */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody =
    Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (METHODS_WITH_BODY.has(req.method) && hasBody && !req.is('application/json')) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'request body must be application/json');
  }
  next();
};

export interface KnownRoute {
  readonly method: string;
  /** OpenAPI template, e.g. `/v1/walks/{id}`. */
  readonly path: string;
}

/**
 * 405 with `Allow` for a path the service serves under other methods (RFC
 * 9110 §15.5.6); anything else falls through to 404. `routes` is read once,
 * at the first request, after every component has registered.
 */
export function methodNotAllowed(routes: () => readonly KnownRoute[]): RequestHandler {
  let matchers: { pattern: RegExp; methods: string[] }[] | undefined;
  const build = () => {
    const byPath = new Map<string, Set<string>>();
    for (const route of routes()) {
      const methods = byPath.get(route.path) ?? new Set<string>();
      methods.add(route.method.toUpperCase());
      if (route.method.toUpperCase() === 'GET') methods.add('HEAD'); // Express answers HEAD with GET
      byPath.set(route.path, methods);
    }
    return [...byPath.entries()].map(([path, methods]) => ({
      pattern: new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
      methods: [...methods].sort(),
    }));
  };
  return (req, res, next) => {
    matchers ??= build();
    const known = matchers.find((m) => m.pattern.test(req.path));
    if (!known || known.methods.includes(req.method)) {
      next();
      return;
    }
    res.setHeader('Allow', known.methods.join(', '));
    throw new AppError(
      'METHOD_NOT_ALLOWED',
      `${req.method} is not allowed on ${req.path}; use ${known.methods.join(', ')}`,
    );
  };
}

export const notFound: RequestHandler = (req) => {
  throw new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`);
};
