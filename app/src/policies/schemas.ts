/**
 * Policies as zod schemas: the operator's policy file (validated before
 * publishing) and the resource GET /v1/policies/* answers (OpenAPI).
 */
import { z } from 'zod';

/** Letters, digits, `.`, `_`, `-`; starts with a letter or digit (migration 0005 checks the same). */
export const PolicyVersionSchema = z
  .string()
  .regex(/^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$/, 'must be 1–64 letters, digits, ".", "_" or "-"')
  .refine((v) => v !== 'current', { message: 'must not be "current" (a path of its own)' })
  .meta({ description: 'Policy version, chosen by the operator', example: '2.0.0' });

const MAX_TEXT = 200_000;
const policyText = z
  .string()
  .max(MAX_TEXT)
  .refine((s) => s.trim().length > 0, { message: 'must not be blank', params: { issue: 'empty' } });

/** Japanese is required, English optional (the app falls back to Japanese). */
export const LocalizedTextSchema = z
  .object({ ja: policyText, en: policyText.optional() })
  .strict()
  .meta({ id: 'LocalizedText' });

export const PolicyFileSchema = z
  .object({
    version: PolicyVersionSchema,
    effective_date: z.iso.datetime({ offset: true }),
    privacy_policy: LocalizedTextSchema,
    terms_of_service: LocalizedTextSchema,
  })
  .strict();
export type PolicyFile = z.output<typeof PolicyFileSchema>;

export const PolicySchema = z
  .object({
    version: PolicyVersionSchema,
    privacy_policy: LocalizedTextSchema,
    terms_of_service: LocalizedTextSchema,
    effective_date: z.string().meta({ description: 'RFC 3339; from then on this version is current' }),
    published_at: z.string().meta({ description: 'RFC 3339' }),
  })
  .meta({ id: 'Policy' });
export type Policy = z.output<typeof PolicySchema>;

export const PolicyParamsSchema = z.object({ version: PolicyVersionSchema }).strict();
