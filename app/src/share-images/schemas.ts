/** The share-image resources as zod schemas (validation and the OpenAPI document). */
import { z } from 'zod';
import { WalkIdSchema } from '../walks/schemas';
import { DEFAULT_TEMPLATE, TEMPLATE_NAMES } from './templates';

export const ShareImageRequestSchema = z
  .object({
    template: z
      .enum(TEMPLATE_NAMES)
      .default(DEFAULT_TEMPLATE)
      .meta({ description: `Layout: story (1080×1920, the default) or square (1080×1080)` }),
  })
  .strict();

export const ShareImageParamsSchema = z.object({ id: WalkIdSchema });

export const ShareImageJobParamsSchema = z.object({
  id: z.uuid().meta({ description: 'Share-image job id', example: '0b8e8f0e-2c7d-4c57-9a4b-0f3c3d1b2a10' }),
});

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;

export const ShareImageJobSchema = z
  .object({
    job_id: z.uuid(),
    walk_id: z.uuid(),
    template: z.enum(TEMPLATE_NAMES),
    status: z.enum(JOB_STATUSES),
    attempts: z.number().int().min(0).meta({ description: 'Render attempts started so far' }),
    created_at: z.string().meta({ description: 'RFC 3339, UTC, microseconds' }),
    image_url: z.url().optional().meta({
      description: 'Signed GET URL of the JPEG (status succeeded); valid until expires_at',
    }),
    expires_at: z.string().optional().meta({ description: 'When image_url stops working (RFC 3339)' }),
    error_code: z.string().optional().meta({
      description:
        'Why the last attempt failed (status failed, or queued for a retry): walk_changed, walk_gone, unknown_template, render_failed, storage_failed, lease_expired; image_expired: the job succeeded but its image has been deleted (age rule), POST again for a new one; worker_stopped (queued): released on a worker shutdown, the attempt not counted',
    }),
  })
  .meta({ id: 'ShareImageJob' });

export const ShareImageAcceptedSchema = z
  .object({ job_id: z.uuid(), status: z.enum(JOB_STATUSES) })
  .meta({ id: 'ShareImageAccepted' });
