/**
 * A batch of the app's log entries (its `EnhancedVibeLogEntry`, encoded with
 * snake_case keys like every body of this API). Fields the service does not
 * know are dropped, not rejected: the app's entries carry more than we keep.
 */
import { z } from 'zod';

export const CLIENT_LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'critical'] as const;
export type ClientLogLevel = (typeof CLIENT_LOG_LEVELS)[number];

/** Bounds of one batch; the body limit is enforced before parsing (app.ts). */
export const MAX_ENTRIES_PER_BATCH = 100;
export const MAX_ENTRY_BYTES = 16 * 1024;
export const CLIENT_LOG_BODY_LIMIT = '512kb';
const MAX_MAP_KEYS = 50;

const shortText = (max: number) => z.string().max(max);
/** A string map, as the app's `[String: String]`. */
const stringMap = z
  .record(z.string().max(64), z.string().max(1024))
  .refine((map) => Object.keys(map).length <= MAX_MAP_KEYS, {
    message: `must have at most ${MAX_MAP_KEYS} keys`,
    params: { issue: 'too_many' },
  });

const SourceSchema = z.object({
  file_name: shortText(256).optional(),
  function_name: shortText(256).optional(),
  line_number: z.number().int().min(0).optional(),
  module_name: shortText(128).optional(),
});

const ErrorChainSchema = z.object({
  root_cause: shortText(1024),
  error_sequence: z
    .array(
      z.object({
        timestamp: shortText(64).optional(),
        error_type: shortText(256),
        error_message: shortText(2048),
        context: stringMap.optional(),
      }),
    )
    .max(20)
    .optional(),
  recovery_attempts: z.number().int().min(0).max(1000).optional(),
  final_outcome: shortText(256).optional(),
});

const PerformanceMetricsSchema = z.object({
  execution_time: z.number().min(0).optional(),
  memory_usage: z.number().int().min(0).optional(),
  cpu_usage: z.number().min(0).optional(),
  network_latency: z.number().min(0).optional(),
  battery_drain: z.number().optional(),
});

/** The app sends its level in upper case (`WARNING`); either case is accepted. */
const LevelSchema = z.enum([
  ...CLIENT_LOG_LEVELS,
  ...(CLIENT_LOG_LEVELS.map((l) => l.toUpperCase()) as Uppercase<ClientLogLevel>[]),
]);

export const ClientLogEntrySchema = z
  .object({
    timestamp: z.iso.datetime({ offset: true }),
    level: LevelSchema,
    correlation_id: shortText(128),
    operation: shortText(128),
    message: shortText(4096),
    context: stringMap.optional(),
    environment: stringMap.optional(),
    source: SourceSchema.optional(),
    error_chain: ErrorChainSchema.optional(),
    performance_metrics: PerformanceMetricsSchema.optional(),
  })
  .meta({ id: 'ClientLogEntry' });

export const ClientLogBatchSchema = z
  .object({
    app_version: z
      .string()
      .regex(/^\d{1,4}(\.\d{1,4}){1,3}([-+][0-9A-Za-z.-]{1,32})?$/, 'must be a version like 1.4.2'),
    platform: z.enum(['ios', 'android']),
    entries: z.array(ClientLogEntrySchema).min(1).max(MAX_ENTRIES_PER_BATCH),
  })
  .meta({
    id: 'ClientLogBatch',
    example: {
      app_version: '1.4.2',
      platform: 'ios',
      entries: [
        {
          timestamp: '2026-05-01T09:30:12.345Z',
          level: 'ERROR',
          correlation_id: '4c0a1f0e-8b0e-4a58-9d4e-2f6f1f1f0a11',
          operation: 'saveWalk',
          message: 'walk upload failed',
          context: { walk_id: '6f1c…', http_status: '503' },
          environment: { os_version: '18.4', device: 'iPhone15,2' },
        },
      ],
    },
  });

export type ClientLogBatch = z.output<typeof ClientLogBatchSchema>;
export type ClientLogEntry = z.output<typeof ClientLogEntrySchema>;

export const ClientLogReceiptSchema = z
  .object({ accepted: z.number().int().min(0).meta({ description: 'entries accepted' }) })
  .meta({ id: 'ClientLogReceipt' });
