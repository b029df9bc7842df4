/**
 * The constraints a migrated walk must meet: the same ones the API enforces
 * on a PUT (API.md, "Walks"), applied to the mapped row.
 */
import { z } from 'zod';

const WALK_STATUSES = ['not_started', 'in_progress', 'paused', 'completed'] as const;

const locationConstraints = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
});

export const walkConstraintsSchema = z
  .object({
    id: z.uuid(),
    title: z.string().min(1).max(100),
    description: z.string().max(500),
    status: z.enum(WALK_STATUSES),
    start_time: z.date().nullable(),
    end_time: z.date().nullable(),
    total_paused_duration: z.number().min(0),
    total_distance: z.number().min(0),
    total_steps: z.number().int().min(0),
    thumbnail_image_url: z.url({ protocol: /^https$/ }).nullable(),
    locations: z.array(locationConstraints),
  })
  .refine((walk) => !walk.start_time || !walk.end_time || walk.end_time >= walk.start_time, {
    path: ['end_time'],
    message: 'end_time must not be before start_time',
  })
  .refine((walk) => walk.status !== 'completed' || walk.end_time !== null, {
    path: ['end_time'],
    message: 'end_time is required when status is completed',
  });
