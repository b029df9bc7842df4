/** Consents as zod schemas: validation of POST /v1/consents and the OpenAPI document. */
import { z } from 'zod';
import { PolicyVersionSchema } from '../policies/schemas';

export const CONSENT_TYPES = ['initial', 'update', 'withdrawal'] as const;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

const device = (description: string) =>
  z.string().min(1).max(32).nullable().default(null).meta({ description });

export const ConsentIdSchema = z
  .string()
  .regex(/^[0-9A-Za-z_-]{1,64}$/, 'must be 1–64 letters, digits, "_" or "-"')
  .meta({
    description: 'Chosen by the app (e.g. a UUID); a retried POST with the same id records nothing new',
    example: '6f1c2a7e-3b9d-4c55-8f0e-2d7a1b9c4e10',
  });

export const ConsentInputSchema = z
  .object({
    id: ConsentIdSchema,
    policy_version: PolicyVersionSchema.meta({ description: 'A published policy version' }),
    consent_type: z.enum(CONSENT_TYPES).meta({
      description: 'initial (first consent), update (a newer version), withdrawal (consent withdrawn)',
    }),
    consented_at: z.iso
      .datetime({ offset: true })
      .optional()
      .meta({
        description:
          'When the user decided (RFC 3339), for a consent sent late from an offline device; ' +
          'at most 30 days old and not in the future. Default: when the server receives it. ' +
          'Consents and withdrawals are ordered by it.',
        example: '2026-11-22T06:00:00Z',
      }),
    device_platform: device('e.g. iOS'),
    device_os_version: device('e.g. 18.2'),
    device_app_version: device('e.g. 1.4.0'),
  })
  .strict()
  .meta({ id: 'ConsentInput' });
export type ConsentInput = z.output<typeof ConsentInputSchema>;

export const ConsentSchema = z
  .object({
    id: z.string(),
    policy_version: z.string(),
    consent_type: z.enum(CONSENT_TYPES),
    consented_at: z
      .string()
      .meta({ description: 'RFC 3339: the time the app sent, else when the server received it' }),
    device_platform: z.string().nullable(),
    device_os_version: z.string().nullable(),
    device_app_version: z.string().nullable(),
  })
  .meta({ id: 'Consent' });
export type Consent = z.output<typeof ConsentSchema>;

export const ConsentListSchema = z
  .object({ consents: z.array(ConsentSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'ConsentList' });

export const ConsentListQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional(),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const ConsentStatusSchema = z
  .object({
    current_policy_version: z.string().nullable().meta({ description: 'null while no policy is in effect' }),
    consented_version: z.string().nullable().meta({
      description:
        'The newest version consented to since the last withdrawal (by effective date); null when none',
    }),
    needs_consent: z.boolean().meta({
      description: 'true when a policy is in effect and the consented version is older, or there is none',
    }),
  })
  .meta({ id: 'ConsentStatus' });
export type ConsentStatus = z.output<typeof ConsentStatusSchema>;
