/**
 * Remote configuration templates (issue 18, ADR 0231): typed parameters with
 * a default and conditional values, and named conditions on environment,
 * user percentage, minimum app version and platform. The operator's file is
 * validated with TemplateSchema before a version is published.
 */
import { z } from 'zod';
import { APP_ENVS } from '../config';

export const PLATFORMS = ['ios', 'android'] as const;
/** The cohort flag answered from ROLLOUT_PERCENT; a template may not define it. */
export const RESERVED_PARAMETERS = ['backend_cohort'] as const;
export const MAX_PARAMETERS = 200;
export const MAX_CONDITIONS = 100;
/** Bytes of a template as JSON: every /v1/config reads it. */
export const MAX_TEMPLATE_BYTES = 256 * 1024;

const NAME = /^[a-z][a-z0-9_]{0,63}$/;
const name = z.string().regex(NAME, 'must be 1–64 lower-case letters, digits or "_", starting with a letter');
export const AppVersionSchema = z
  .string()
  .regex(/^\d{1,6}(\.\d{1,6}){0,3}$/, 'must be a dotted version such as 1.4.0');

export const ConditionSchema = z
  .object({
    name,
    environments: z.array(z.enum(APP_ENVS)).min(1).optional(),
    /** Users whose stable bucket (the cohort's hash) is below this percentage. */
    percent: z.number().min(0).max(100).optional(),
    min_app_version: AppVersionSchema.optional(),
    platforms: z.array(z.enum(PLATFORMS)).min(1).optional(),
  })
  .strict();
export type Condition = z.output<typeof ConditionSchema>;

const JSON_VALUE = z.json();
const VALUE_TYPES = {
  boolean: z.boolean(),
  number: z.number(),
  string: z.string().max(10_000),
  json: JSON_VALUE,
} as const;
export type ParameterType = keyof typeof VALUE_TYPES;

function parameter<T extends ParameterType>(type: T) {
  const value = VALUE_TYPES[type];
  return z
    .object({
      type: z.literal(type),
      description: z.string().max(500).optional(),
      default_value: value,
      /** In order: the first whose condition holds gives the value. */
      conditional_values: z
        .array(z.object({ condition: name, value }).strict())
        .max(MAX_CONDITIONS)
        .default([]),
    })
    .strict();
}

export const ParameterSchema = z.discriminatedUnion('type', [
  parameter('boolean'),
  parameter('number'),
  parameter('string'),
  parameter('json'),
]);
export type Parameter = z.output<typeof ParameterSchema>;

export const TemplateSchema = z
  .object({
    conditions: z.array(ConditionSchema).max(MAX_CONDITIONS).default([]),
    parameters: z.record(name, ParameterSchema).default({}),
  })
  .strict()
  .superRefine((template, ctx) => {
    const conditions = new Set<string>();
    template.conditions.forEach((c, i) => {
      if (conditions.has(c.name))
        ctx.addIssue({
          code: 'custom',
          path: ['conditions', i, 'name'],
          message: `repeats condition ${c.name}`,
        });
      conditions.add(c.name);
    });
    const names = Object.keys(template.parameters);
    if (names.length > MAX_PARAMETERS)
      ctx.addIssue({ code: 'custom', path: ['parameters'], message: `at most ${MAX_PARAMETERS} parameters` });
    for (const [key, p] of Object.entries(template.parameters)) {
      if ((RESERVED_PARAMETERS as readonly string[]).includes(key))
        ctx.addIssue({
          code: 'custom',
          path: ['parameters', key],
          message: 'is reserved (answered from the environment rollout percentage)',
        });
      p.conditional_values.forEach((cv, i) => {
        if (!conditions.has(cv.condition))
          ctx.addIssue({
            code: 'custom',
            path: ['parameters', key, 'conditional_values', i, 'condition'],
            message: `names no condition of the template: ${cv.condition}`,
          });
      });
    }
    if (Buffer.byteLength(JSON.stringify(template)) > MAX_TEMPLATE_BYTES)
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `the template must be at most ${MAX_TEMPLATE_BYTES} bytes`,
      });
  });
export type Template = z.output<typeof TemplateSchema>;

export const EMPTY_TEMPLATE: Template = { conditions: [], parameters: {} };

/** GET /v1/config query: what the conditions on app version and platform compare with. */
export const ConfigQuerySchema = z
  .object({
    app_version: AppVersionSchema.optional().meta({
      description: 'The app version, for min_app_version conditions',
      example: '1.4.0',
    }),
    platform: z.enum(PLATFORMS).optional().meta({ description: 'For platform conditions' }),
  })
  .strict();
export type ConfigQuery = z.output<typeof ConfigQuerySchema>;
