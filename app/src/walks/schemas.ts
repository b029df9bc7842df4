/**
 * The walk resource of API.md as zod schemas: they validate requests and
 * generate the OpenAPI document, so the two cannot drift apart.
 */
import { z } from 'zod';

export const WALK_STATUSES = ['not_started', 'in_progress', 'paused', 'completed'] as const;
export const MAX_LOCATIONS = 10_000;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
const INT32_MAX = 2_147_483_647;

/** Text as PostgreSQL stores it: no NUL characters, length counted in characters (code points). */
function text(min: number, max: number | undefined) {
  return z
    .string()
    .superRefine((value, ctx) => {
      if (value.includes('\u0000')) {
        ctx.addIssue({
          code: 'custom',
          message: 'must not contain NUL characters',
          params: { issue: 'invalid_characters' },
        });
        return;
      }
      if (min === 0 && max === undefined) return;
      const length = [...value].length;
      if (length < min)
        ctx.addIssue({
          code: 'too_small',
          minimum: min,
          origin: 'string',
          inclusive: true,
          input: value,
          message: '',
        });
      if (max !== undefined && length > max) {
        ctx.addIssue({
          code: 'too_big',
          maximum: max,
          origin: 'string',
          inclusive: true,
          input: value,
          message: '',
        });
      }
    })
    .meta({ ...(min > 0 && { minLength: min }), ...(max !== undefined && { maxLength: max }) });
}

/**
 * An RFC 3339 time in UTC with exactly six fractional digits, the precision
 * PostgreSQL keeps (and Firestore stores): digits beyond the sixth are cut, as
 * Firestore cuts them. Every timestamp the service writes or returns has this form.
 */
export function toUtcMicros(value: string): string {
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(value);
  if (!match) throw new Error(`not an RFC 3339 date-time: ${value}`);
  const [, whole, fraction = '', offset] = match;
  const seconds = new Date(`${whole}${offset!.toUpperCase()}`).toISOString().slice(0, 19);
  return `${seconds}.${fraction.slice(0, 6).padEnd(6, '0')}Z`;
}

const timestamp = z.iso
  .datetime({ offset: true })
  .transform(toUtcMicros)
  .meta({ description: 'RFC 3339 date-time', example: '2026-11-22T06:00:00Z' });

/**
 * CoreLocation reports an unknown accuracy, speed or course as a negative
 * number (-1); the API and the database say "unknown" with null, and only null.
 */
const unknownIfNegative = z
  .number()
  .nullable()
  .default(null)
  .transform((value) => (value !== null && value < 0 ? null : value))
  .meta({ description: "null when unknown; a negative value (CoreLocation's -1) is taken as unknown" });

/** An https URL in the normal form PostgreSQL's check expects (scheme lower case, no spaces around it). */
const httpsUrl = z
  .url({ protocol: /^https$/, error: 'must be an https URL' })
  .max(2048)
  .transform((value) => new URL(value).href)
  .pipe(z.string().max(2048).startsWith('https://'));

export const WalkIdSchema = z.uuid().meta({
  description: 'Walk id (UUID; the app may choose it)',
  example: '3f0c1f4e-8a59-4b1f-9a0e-6f2b0a9f8c11',
});

export const LocationSchema = z
  .object({
    sequence_number: z.number().int().min(0).max(INT32_MAX),
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    altitude: z.number().nullable().default(null),
    timestamp,
    horizontal_accuracy: unknownIfNegative,
    vertical_accuracy: unknownIfNegative,
    speed: unknownIfNegative,
    course: unknownIfNegative,
  })
  .strict()
  .meta({ id: 'Location' });

const locations = z
  .array(LocationSchema)
  .max(MAX_LOCATIONS)
  .superRefine((items, ctx) => {
    const seen = new Set<number>();
    items.forEach((item, index) => {
      if (seen.has(item.sequence_number)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'sequence_number'],
          message: 'repeats an earlier sequence_number',
          params: { issue: 'duplicate' },
        });
      }
      seen.add(item.sequence_number);
    });
  })
  .optional()
  .meta({
    description: `Ordered by sequence_number; at most ${MAX_LOCATIONS}. Omitted on PUT: the stored locations are kept; [] clears them`,
  });

/** Fields the server sets; accepted on input (a client may send back what it read) and ignored. */
export const SERVER_SET_FIELDS = ['user_id', 'version', 'created_at', 'updated_at'] as const;

const ignored = (schema: z.ZodType) =>
  schema
    .optional()
    .meta({ description: 'Set by the server; ignored on input (a walk as read may be sent back)' });

/**
 * Declared so the document says the truth (the object is closed, yet these
 * may be sent back as read); the route removes them before validation.
 */
const serverSetInputFields = {
  user_id: ignored(z.string()),
  version: ignored(z.number().int()),
  created_at: ignored(timestamp),
  updated_at: ignored(timestamp),
} satisfies Record<(typeof SERVER_SET_FIELDS)[number], z.ZodType>;

export const WalkInputSchema = z
  .object({
    id: WalkIdSchema.optional(),
    title: text(1, 100),
    description: text(0, 500).default(''),
    status: z.enum(WALK_STATUSES).default('not_started'),
    start_time: timestamp.nullable().default(null),
    end_time: timestamp
      .nullable()
      .default(null)
      .meta({ description: '>= start_time; required when completed' }),
    paused_at: timestamp.nullable().default(null),
    total_paused_duration: z.number().min(0).default(0).meta({ description: 'seconds' }),
    total_distance: z.number().min(0).default(0).meta({ description: 'metres' }),
    total_steps: z.number().int().min(0).max(INT32_MAX).default(0),
    polyline_data: text(0, undefined).nullable().default(null),
    thumbnail_image_url: httpsUrl.nullable().default(null),
    locations,
    ...serverSetInputFields,
  })
  .strict()
  .superRefine((walk, ctx) => {
    if (walk.start_time && walk.end_time && Date.parse(walk.end_time) < Date.parse(walk.start_time)) {
      ctx.addIssue({
        code: 'custom',
        path: ['end_time'],
        message: 'must not be before start_time',
        params: { issue: 'before_start_time' },
      });
    }
    if (walk.status === 'completed' && !walk.end_time) {
      ctx.addIssue({
        code: 'custom',
        path: ['end_time'],
        message: 'is required when status is completed',
        params: { issue: 'required' },
      });
    }
  })
  .meta({
    id: 'WalkInput',
    description: `A whole walk as the app sends it; a field left out takes its default. ${SERVER_SET_FIELDS.join(', ')} may be sent (e.g. a walk as read) and are ignored; any other field is refused (400 unknown_field).`,
  });

export type WalkInput = z.output<typeof WalkInputSchema>;
export type LocationInput = z.output<typeof LocationSchema>;

/** A timestamp the service writes: RFC 3339 in UTC with milliseconds. */
const outputTimestamp = z.string().meta({ format: 'date-time', example: '2026-11-22T06:00:00.000Z' });

const walkOutputFields = {
  id: WalkIdSchema,
  user_id: z.string(),
  title: z.string(),
  description: z.string(),
  status: z.enum(WALK_STATUSES),
  start_time: outputTimestamp.nullable(),
  end_time: outputTimestamp.nullable(),
  paused_at: outputTimestamp.nullable(),
  total_paused_duration: z.number(),
  total_distance: z.number(),
  total_steps: z.number().int(),
  polyline_data: z.string().nullable(),
  thumbnail_image_url: z.string().nullable(),
  version: z.number().int().meta({ description: 'Increases by one on every write; the ETag' }),
  created_at: outputTimestamp,
  updated_at: outputTimestamp,
};

const LocationOutputSchema = z
  .object({
    sequence_number: z.number().int(),
    latitude: z.number(),
    longitude: z.number(),
    altitude: z.number().nullable(),
    timestamp: outputTimestamp,
    horizontal_accuracy: z.number().nullable(),
    vertical_accuracy: z.number().nullable(),
    speed: z.number().nullable(),
    course: z.number().nullable(),
  })
  .meta({ id: 'LocationOut' });

export const WalkSummarySchema = z.object(walkOutputFields).meta({ id: 'WalkSummary' });
export const WalkSchema = z
  .object({ ...walkOutputFields, locations: z.array(LocationOutputSchema) })
  .meta({ id: 'Walk' });
export const WalkListSchema = z
  .object({ walks: z.array(WalkSummarySchema), next_cursor: z.string().nullable() })
  .meta({ id: 'WalkList' });

export type Walk = z.infer<typeof WalkSchema>;
export type WalkSummary = z.infer<typeof WalkSummarySchema>;
export type Location = Walk['locations'][number];

export const ListQuerySchema = z
  .object({
    // A query value is text: only plain digits become a number, so `1e1` or `0x10` stay invalid.
    limit: z
      .preprocess(
        (value) => (typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value),
        z.number().int().min(1).max(MAX_PAGE_SIZE),
      )
      .optional()
      .meta({ description: `Page size, 1..${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}` }),
    cursor: z.string().min(1).max(512).optional().meta({ description: 'next_cursor of the previous page' }),
  })
  .strict();

export const WalkParamsSchema = z.object({ id: WalkIdSchema });

export const IfMatchHeaderSchema = z.object({
  'if-match': z.string().optional().meta({ description: 'Quoted version from the ETag, e.g. "3"' }),
});
