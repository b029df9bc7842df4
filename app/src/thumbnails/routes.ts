/** HTTP for thumbnail uploads: parse, call the service, shape the answer. */
import { Router } from 'express';
import { z } from 'zod';
import { currentUser, requireAuth, type TokenVerifier } from '../auth';
import type { HttpComponent } from '../http/component';
import { BEARER_AUTH, errorResponse, type OpenAPIRegistry } from '../http/openapi';
import { parseOrThrow } from '../http/validation';
import { WalkParamsSchema } from '../walks/schemas';
import { THUMBNAIL_TYPES, type ThumbnailType } from './images';
import type { ThumbnailsService } from './service';

export const UPLOAD_URL_PATH = '/v1/walks/:id/thumbnail/upload-url';
export const THUMBNAIL_PATH = '/v1/walks/:id/thumbnail';

const types = Object.keys(THUMBNAIL_TYPES) as [ThumbnailType, ...ThumbnailType[]];

export const UploadUrlRequestSchema = z
  .object({
    content_type: z.enum(types),
    content_length: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: 'Bytes the client will upload; narrows the signed range to it' }),
  })
  .strict()
  .meta({ id: 'ThumbnailUploadUrlRequest' });

export const UploadUrlSchema = z
  .object({
    url: z.string().meta({ description: 'V4 signed URL of one new object; send the bytes with PUT' }),
    method: z.literal('PUT'),
    headers: z.record(z.string(), z.string()).meta({
      description:
        'Send exactly these headers (signed): Content-Type, x-goog-content-length-range and x-goog-if-generation-match (0: the URL only creates the object, a second PUT is 412)',
    }),
    expires_at: z.string().meta({ description: 'When the URL stops working (RFC 3339)' }),
    object: z.string().meta({ description: 'The object name to confirm with PUT /v1/walks/{id}/thumbnail' }),
  })
  .meta({ id: 'ThumbnailUploadUrl' });

export const ConfirmRequestSchema = z
  .object({ object: z.string().min(1).max(1024) })
  .strict()
  .meta({ id: 'ThumbnailConfirmRequest' });

export const ConfirmedSchema = z
  .object({
    thumbnail_image_url: z.string().meta({ description: 'Short-lived signed GET URL of the new thumbnail' }),
    object: z.string(),
    version: z.number().int().meta({ description: "The walk's new version (also the ETag)" }),
  })
  .meta({ id: 'ThumbnailConfirmed' });

export interface ThumbnailsRoutesDeps {
  readonly service: ThumbnailsService;
  readonly verifiers: readonly TokenVerifier[];
}

export function thumbnailsComponent({ service, verifiers }: ThumbnailsRoutesDeps): HttpComponent {
  const router = Router();
  const auth = requireAuth(verifiers);

  router.post(UPLOAD_URL_PATH, auth, async (req, res) => {
    const { id } = parseOrThrow(WalkParamsSchema, req.params);
    const body = parseOrThrow(UploadUrlRequestSchema, req.body ?? {});
    res
      .status(200)
      .setHeader('Cache-Control', 'no-store')
      .json(await service.uploadUrl(currentUser(req), id, body));
  });

  router.put(THUMBNAIL_PATH, auth, async (req, res) => {
    const { id } = parseOrThrow(WalkParamsSchema, req.params);
    const { object } = parseOrThrow(ConfirmRequestSchema, req.body ?? {});
    const confirmed = await service.confirm(currentUser(req), id, object);
    res.status(200).setHeader('ETag', `"${confirmed.version}"`).json(confirmed);
  });

  return { router, registerOpenApi: registerThumbnailsOpenApi };
}

const common = {
  400: errorResponse('INVALID_REQUEST: a field is missing, of the wrong type or out of range'),
  401: errorResponse('UNAUTHORIZED: missing, malformed, expired, forged or revoked token'),
  404: errorResponse('NOT_FOUND (also for a walk of another user)'),
  503: errorResponse('UNAVAILABLE: the database or the image storage is down or not configured'),
};

function registerThumbnailsOpenApi(registry: OpenAPIRegistry): void {
  const security = [{ [BEARER_AUTH]: [] }];
  registry.registerPath({
    method: 'post',
    path: '/v1/walks/{id}/thumbnail/upload-url',
    operationId: 'createThumbnailUploadUrl',
    summary: "A signed URL to upload the walk's new thumbnail (JPEG or PNG, size bound by the signature)",
    security,
    request: {
      params: WalkParamsSchema,
      body: { required: true, content: { 'application/json': { schema: UploadUrlRequestSchema } } },
    },
    responses: {
      200: { description: 'The upload URL', content: { 'application/json': { schema: UploadUrlSchema } } },
      ...common,
    },
  });
  registry.registerPath({
    method: 'put',
    path: '/v1/walks/{id}/thumbnail',
    operationId: 'confirmThumbnail',
    summary:
      "Make the uploaded object the walk's thumbnail (the previous one and the walk's unconfirmed uploads are deleted)",
    security,
    request: {
      params: WalkParamsSchema,
      body: { required: true, content: { 'application/json': { schema: ConfirmRequestSchema } } },
    },
    responses: {
      200: {
        description: 'The thumbnail is set',
        headers: { ETag: { description: 'The walk version, quoted', schema: { type: 'string' as const } } },
        content: { 'application/json': { schema: ConfirmedSchema } },
      },
      ...common,
    },
  });
}
