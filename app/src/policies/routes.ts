/** GET /v1/policies/current and /v1/policies/{version}: public, cacheable, with ETag/304. */
import { Router, type Request, type Response } from 'express';
import type { HttpComponent } from '../http/component';
import { errorResponse, type OpenAPIRegistry } from '../http/openapi';
import { ifNoneMatchMatches } from '../http/conditional';
import { parseOrThrow } from '../http/validation';
import { PolicyParamsSchema, PolicySchema, type Policy } from './schemas';
import { MAX_CACHE_SECONDS, type PoliciesService } from './service';

/** A version's content never changes, so its version is a strong validator. */
function sendPolicy(req: Request, res: Response, policy: Policy, cacheControl: string): void {
  const etag = `"${policy.version}"`;
  res.setHeader('ETag', etag).setHeader('Cache-Control', cacheControl);
  if (ifNoneMatchMatches(req.headers['if-none-match'], etag)) {
    res.status(304).end();
    return;
  }
  res.json(policy);
}

export function policiesComponent({ service }: { service: PoliciesService }): HttpComponent {
  const router = Router();
  router.get('/v1/policies/current', async (req, res) => {
    const { policy, maxAgeSeconds } = await service.current();
    sendPolicy(req, res, policy, `public, max-age=${maxAgeSeconds}`);
  });
  router.get('/v1/policies/:version', async (req, res) => {
    const policy = await service.get(parseOrThrow(PolicyParamsSchema, req.params).version);
    sendPolicy(req, res, policy, `public, max-age=${MAX_CACHE_SECONDS}, immutable`);
  });
  return { router, registerOpenApi };
}

const headers = {
  ETag: { description: 'The policy version, quoted', schema: { type: 'string' as const } },
  'Cache-Control': {
    description: 'How long the app may keep the answer',
    schema: { type: 'string' as const },
  },
};
const responses = (what: string) => ({
  200: { description: what, headers, content: { 'application/json': { schema: PolicySchema } } },
  304: { description: 'Not modified: If-None-Match names this version', headers },
  503: errorResponse('UNAVAILABLE: the database is down; retry after Retry-After seconds'),
});

function registerOpenApi(registry: OpenAPIRegistry): void {
  registry.registerPath({
    method: 'get',
    path: '/v1/policies/current',
    operationId: 'getCurrentPolicy',
    summary: 'The privacy policy and terms in effect now (no sign-in needed)',
    description:
      'The published version with the latest effective_date not after now. max-age never reaches past ' +
      'the effective date of a version published ahead of time.',
    security: [],
    responses: {
      ...responses('The policy in effect'),
      404: errorResponse('NOT_FOUND: no policy in effect yet'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/policies/{version}',
    operationId: 'getPolicy',
    summary: 'One published policy version (immutable; no sign-in needed)',
    security: [],
    request: { params: PolicyParamsSchema },
    responses: {
      ...responses('The policy version'),
      400: errorResponse('INVALID_REQUEST: not a policy version'),
      404: errorResponse('NOT_FOUND: no such version'),
    },
  });
}
