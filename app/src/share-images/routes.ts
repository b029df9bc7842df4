/** HTTP for share images: POST enqueues, GET reports. Parse, call the service, shape the answer. */
import { Router, type Request } from 'express';
import { context, propagation } from '@opentelemetry/api';
import { currentUser, requireAuth, type TokenVerifier } from '../auth';
import type { HttpComponent } from '../http/component';
import { BEARER_AUTH, errorResponse, jsonResponse, type OpenAPIRegistry } from '../http/openapi';
import { parseOrThrow } from '../http/validation';
import {
  ShareImageAcceptedSchema,
  ShareImageJobParamsSchema,
  ShareImageJobSchema,
  ShareImageParamsSchema,
  ShareImageRequestSchema,
} from './schemas';
import type { ShareImagesService } from './service';

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The request's W3C trace context, stored on the job so the worker's span
 * links to it: the active span's (tracing on), else the caller's header.
 */
function traceparentOf(req: Request): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  const candidate = carrier.traceparent ?? req.headers.traceparent;
  return typeof candidate === 'string' && TRACEPARENT.test(candidate) ? candidate : null;
}

export interface ShareImagesRoutesDeps {
  readonly service: ShareImagesService;
  readonly verifiers: readonly TokenVerifier[];
}

export function shareImagesComponent({ service, verifiers }: ShareImagesRoutesDeps): HttpComponent {
  const router = Router();
  const auth = requireAuth(verifiers);

  router.post('/v1/walks/:id/share-images', auth, async (req, res) => {
    const { id } = parseOrThrow(ShareImageParamsSchema, req.params);
    const { template } = parseOrThrow(ShareImageRequestSchema, req.body ?? {});
    const { job } = await service.enqueue(currentUser(req), id, template, traceparentOf(req));
    res.setHeader('Location', `/v1/share-image-jobs/${job.job_id}`);
    res.status(202).json({ job_id: job.job_id, status: job.status });
  });

  router.get('/v1/share-image-jobs/:id', auth, async (req, res) => {
    const { id } = parseOrThrow(ShareImageJobParamsSchema, req.params);
    res.setHeader('Cache-Control', 'private, no-store');
    res.json(await service.get(currentUser(req), id));
  });

  return { router, registerOpenApi };
}

const common = {
  401: errorResponse('UNAUTHORIZED: missing, malformed, expired, forged or revoked token'),
  503: errorResponse('UNAVAILABLE: the database is down, or this environment has no image bucket'),
};

function registerOpenApi(registry: OpenAPIRegistry): void {
  const security = [{ [BEARER_AUTH]: [] }];
  registry.registerPath({
    method: 'post',
    path: '/v1/walks/{id}/share-images',
    operationId: 'createShareImage',
    summary:
      "Render the walk's share image: one job per walk version and template (a repeat returns the same job while it is in flight or its image exists; a failed or expired job starts over under a new id)",
    security,
    request: {
      params: ShareImageParamsSchema,
      body: { required: false, content: { 'application/json': { schema: ShareImageRequestSchema } } },
    },
    responses: {
      202: {
        ...jsonResponse(
          ShareImageAcceptedSchema,
          'The job: new, the existing one for this walk version, or a failed or expired one started over',
        ),
        headers: { Location: { schema: { type: 'string' } } },
      },
      400: errorResponse('INVALID_REQUEST: unknown template or bad walk id'),
      404: errorResponse('NOT_FOUND (also for a walk of another user)'),
      ...common,
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/v1/share-image-jobs/{id}',
    operationId: 'getShareImageJob',
    summary: "A share-image job's state; the image's signed URL once it succeeded, while the image exists",
    security,
    request: { params: ShareImageJobParamsSchema },
    responses: {
      200: jsonResponse(ShareImageJobSchema, 'The job'),
      400: errorResponse('INVALID_REQUEST: the id is not a UUID'),
      404: errorResponse('NOT_FOUND (also for a job of another user)'),
      ...common,
    },
  });
}
