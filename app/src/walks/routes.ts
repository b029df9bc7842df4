/** HTTP for walks: parse, call the service, shape the answer. No SQL, no rules. */
import { Router, type Request, type Response } from 'express';
import { currentUser, requireAuth, type TokenVerifier } from '../auth';
import type { HttpComponent } from '../http/component';
import { AppError } from '../http/errors';
import { BEARER_AUTH, errorResponse, jsonResponse, type OpenAPIRegistry } from '../http/openapi';
import { parseOrThrow } from '../http/validation';
import {
  DEFAULT_PAGE_SIZE,
  IfMatchHeaderSchema,
  ListQuerySchema,
  SERVER_SET_FIELDS,
  type Walk,
  WalkInputSchema,
  WalkListSchema,
  WalkParamsSchema,
  WalkSchema,
} from './schemas';
import type { Precondition, WalksService } from './service';

/** PostgreSQL `integer`, the type of walks.version. */
const MAX_VERSION = 2_147_483_647;
/** One list element of If-Match (RFC 9110, 8.8.3): optional W/, then a quoted opaque tag; then a comma or the end. */
const ENTITY_TAG = /[ \t]*(?:(W\/)?"([\x21\x23-\x7e\x80-\xff]*)")?[ \t]*(?:,|$)/y;
const VERSION = /^(?:0|[1-9]\d*)$/;

const invalidIfMatch = (issue: string, message: string) => AppError.invalid('If-Match', issue, message);

/**
 * `*` or a list of entity tags (RFC 9110, 13.1.1). If-Match uses the strong
 * comparison: a weak tag (`W/"3"`) or a tag that is not one of our versions
 * never matches, so it ends in 412, not 400. A header that is not a list of
 * entity tags, or a version beyond what the database stores, is 400.
 */
export function parseIfMatch(header: string | undefined): Precondition | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return { any: true };
  const versions: number[] = [];
  let tags = 0;
  ENTITY_TAG.lastIndex = 0;
  while (ENTITY_TAG.lastIndex < header.length) {
    const at = ENTITY_TAG.lastIndex;
    const match = ENTITY_TAG.exec(header);
    if (!match || ENTITY_TAG.lastIndex === at) break;
    const [, weak, opaque] = match;
    if (opaque === undefined) continue; // an empty list element
    tags += 1;
    if (weak || !VERSION.test(opaque)) continue;
    const version = Number(opaque);
    if (version > MAX_VERSION) {
      throw invalidIfMatch('out_of_range', `If-Match versions are at most ${MAX_VERSION}`);
    }
    versions.push(version);
  }
  if (ENTITY_TAG.lastIndex < header.length || tags === 0) {
    throw invalidIfMatch('invalid_format', 'If-Match must be "*" or a quoted version such as "3"');
  }
  return { versions };
}

/**
 * The body without the fields the server sets (API.md: ignored on input), its
 * thumbnail URL in the form the walk stores (a walk as read may be sent back).
 */
function walkBody(req: Request, storedThumbnailUrl: (url: string) => string): unknown {
  const body: unknown = req.body;
  if (body === undefined) throw AppError.invalid('body', 'required', 'a JSON body is required');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw AppError.invalid('body', 'invalid_type', 'the body must be a JSON object');
  }
  const rest: Record<string, unknown> = { ...body };
  for (const field of SERVER_SET_FIELDS) delete rest[field];
  if (typeof rest.thumbnail_image_url === 'string')
    rest.thumbnail_image_url = storedThumbnailUrl(rest.thumbnail_image_url);
  return rest;
}

const walkId = (req: Request) => parseOrThrow(WalkParamsSchema, req.params).id;

function sendWalk(res: Response, status: number, walk: Walk): void {
  res.status(status).setHeader('ETag', `"${walk.version}"`).json(walk);
}

export interface WalksRoutesDeps {
  readonly service: WalksService;
  readonly verifiers: readonly TokenVerifier[];
}

export function walksComponent({ service, verifiers }: WalksRoutesDeps): HttpComponent {
  const router = Router();
  const auth = requireAuth(verifiers);

  router.get('/v1/walks', auth, async (req, res) => {
    const query = parseOrThrow(ListQuerySchema, req.query);
    res.json(await service.list(currentUser(req), query.limit ?? DEFAULT_PAGE_SIZE, query.cursor));
  });

  router.post('/v1/walks', auth, async (req, res) => {
    const walk = await service.create(
      currentUser(req),
      parseOrThrow(WalkInputSchema, walkBody(req, service.storedThumbnailUrl)),
    );
    res.setHeader('Location', `/v1/walks/${walk.id}`);
    sendWalk(res, 201, walk);
  });

  router.get('/v1/walks/:id', auth, async (req, res) => {
    const walk = await service.get(currentUser(req), walkId(req));
    res.status(200).setHeader('ETag', `"${walk.version}"`).type('application/json').send(walk.json);
  });

  router.put('/v1/walks/:id', auth, async (req, res) => {
    const id = walkId(req);
    const precondition = parseIfMatch(req.headers['if-match']);
    const input = parseOrThrow(WalkInputSchema, walkBody(req, service.storedThumbnailUrl));
    const { walk, created } = await service.put(currentUser(req), id, input, precondition);
    if (created) res.setHeader('Location', `/v1/walks/${walk.id}`);
    sendWalk(res, created ? 201 : 200, walk);
  });

  router.delete('/v1/walks/:id', auth, async (req, res) => {
    await service.remove(currentUser(req), walkId(req), parseIfMatch(req.headers['if-match']));
    res.status(204).end();
  });

  return { router, registerOpenApi: (registry) => registerWalksOpenApi(registry) };
}

const etag = { ETag: { description: 'The walk version, quoted', schema: { type: 'string' as const } } };
const common = {
  400: errorResponse('INVALID_REQUEST: a field is missing, of the wrong type or out of range'),
  401: errorResponse('UNAUTHORIZED: missing, malformed, expired, forged or revoked token'),
  503: errorResponse('UNAVAILABLE: the database is down; retry after Retry-After seconds'),
};

function registerWalksOpenApi(registry: OpenAPIRegistry): void {
  const security = [{ [BEARER_AUTH]: [] }];
  const params = WalkParamsSchema;
  const body = { required: true, content: { 'application/json': { schema: WalkInputSchema } } };
  registry.registerPath({
    method: 'get',
    path: '/v1/walks',
    operationId: 'listWalks',
    summary: "The caller's walks, newest start_time first (created_at when there is none); no locations",
    security,
    request: { query: ListQuerySchema },
    responses: { 200: jsonResponse(WalkListSchema, 'A page of walks'), ...common },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/walks',
    operationId: 'createWalk',
    summary: 'Create a walk; the client may choose its id',
    security,
    request: { body },
    responses: {
      201: {
        ...jsonResponse(WalkSchema, 'Created'),
        headers: { ...etag, Location: { schema: { type: 'string' } } },
      },
      409: errorResponse('CONFLICT: a walk with this id exists'),
      ...common,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/walks/{id}',
    operationId: 'getWalk',
    summary: 'One walk with its locations',
    security,
    request: { params },
    responses: {
      200: { ...jsonResponse(WalkSchema, 'The walk'), headers: etag },
      404: errorResponse('NOT_FOUND (also for a walk of another user)'),
      ...common,
    },
  });
  registry.registerPath({
    method: 'put',
    path: '/v1/walks/{id}',
    operationId: 'putWalk',
    summary: 'Create or replace the whole walk (idempotent)',
    security,
    request: {
      params,
      headers: IfMatchHeaderSchema,
      body,
    },
    responses: {
      200: { ...jsonResponse(WalkSchema, 'Replaced (or unchanged)'), headers: etag },
      201: { ...jsonResponse(WalkSchema, 'Created'), headers: etag },
      404: errorResponse('NOT_FOUND: the id belongs to another user (without If-Match)'),
      412: errorResponse(
        'PRECONDITION_FAILED: If-Match is stale, weak, or names a walk the caller does not have; nothing changed',
      ),
      ...common,
    },
  });
  registry.registerPath({
    method: 'delete',
    path: '/v1/walks/{id}',
    operationId: 'deleteWalk',
    summary: 'Delete a walk and its locations',
    security,
    request: { params, headers: IfMatchHeaderSchema },
    responses: {
      204: { description: 'Deleted' },
      404: errorResponse('NOT_FOUND'),
      412: errorResponse('PRECONDITION_FAILED'),
      ...common,
    },
  });
}
