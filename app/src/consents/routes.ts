/** POST/GET /v1/consents and GET /v1/consents/status: the caller's own consents only. */
import { Router } from 'express';
import { currentUser, requireAuth, type TokenVerifier } from '../auth';
import type { HttpComponent } from '../http/component';
import { BEARER_AUTH, errorResponse, jsonResponse, type OpenAPIRegistry } from '../http/openapi';
import { parseOrThrow } from '../http/validation';
import {
  ConsentInputSchema,
  ConsentListQuerySchema,
  ConsentListSchema,
  ConsentSchema,
  ConsentStatusSchema,
  DEFAULT_PAGE_SIZE,
} from './schemas';
import type { ConsentsService } from './service';

export interface ConsentsRoutesDeps {
  readonly service: ConsentsService;
  readonly verifiers: readonly TokenVerifier[];
}

export function consentsComponent({ service, verifiers }: ConsentsRoutesDeps): HttpComponent {
  const router = Router();
  const auth = requireAuth(verifiers);

  router.post('/v1/consents', auth, async (req, res) => {
    const { consent, created } = await service.record(
      currentUser(req),
      parseOrThrow(ConsentInputSchema, req.body),
    );
    res.status(created ? 201 : 200).json(consent);
  });
  router.get('/v1/consents', auth, async (req, res) => {
    const query = parseOrThrow(ConsentListQuerySchema, req.query);
    res.setHeader('Cache-Control', 'private, no-store');
    res.json(await service.list(currentUser(req), query.limit ?? DEFAULT_PAGE_SIZE, query.cursor));
  });
  router.get('/v1/consents/status', auth, async (req, res) => {
    res.setHeader('Cache-Control', 'private, no-store');
    res.json(await service.status(currentUser(req)));
  });
  return { router, registerOpenApi };
}

const common = {
  401: errorResponse('UNAUTHORIZED: missing, malformed, expired, forged or revoked token'),
  503: errorResponse('UNAVAILABLE: the database is down; retry after Retry-After seconds'),
};

function registerOpenApi(registry: OpenAPIRegistry): void {
  const security = [{ [BEARER_AUTH]: [] }];
  registry.registerPath({
    method: 'post',
    path: '/v1/consents',
    operationId: 'recordConsent',
    summary: "Record one consent (or its withdrawal) for the caller; idempotent on the app's id",
    security,
    request: { body: { required: true, content: { 'application/json': { schema: ConsentInputSchema } } } },
    responses: {
      201: jsonResponse(ConsentSchema, 'Recorded'),
      200: jsonResponse(ConsentSchema, 'Already recorded with this id and content (a retry); nothing new'),
      400: errorResponse('INVALID_REQUEST: a field is invalid, or policy_version is not published'),
      409: errorResponse('CONFLICT: this id was recorded with different content'),
      ...common,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/consents',
    operationId: 'listConsents',
    summary: "The caller's consents and withdrawals, newest first",
    security,
    request: { query: ConsentListQuerySchema },
    responses: {
      200: jsonResponse(ConsentListSchema, 'A page of consents'),
      400: errorResponse('INVALID_REQUEST: limit or cursor is invalid'),
      ...common,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/consents/status',
    operationId: 'getConsentStatus',
    summary: 'Whether the caller must consent to the current policy',
    security,
    responses: { 200: jsonResponse(ConsentStatusSchema, 'The consent status'), ...common },
  });
}
