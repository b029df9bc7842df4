/** Request and response bodies of /v1/sessions (API.md, "Sessions"); the OpenAPI document is generated from them. */
import { z } from 'zod';
import { ACCESS_TOKEN_TTL_SECONDS } from './access-tokens';

/** JWTs are a few KB at most; anything larger is not a token. */
const MAX_TOKEN_LENGTH = 8192;

export const LoginRequestSchema = z
  .strictObject({
    id_token: z.string().min(1).max(MAX_TOKEN_LENGTH).describe('Firebase ID token of the signed-in user'),
  })
  .meta({ id: 'LoginRequest' });

export const RefreshRequestSchema = z
  .strictObject({
    refresh_token: z.string().min(1).max(256).describe('The refresh token of the last login or refresh'),
  })
  .meta({ id: 'RefreshRequest' });

export const SessionUserSchema = z
  .object({
    id: z.string().describe('Firebase UID'),
    email: z.string().nullable(),
    display_name: z.string().nullable(),
  })
  .meta({ id: 'SessionUser' });

export const SessionSchema = z
  .object({
    access_token: z.string().describe('JWT for Authorization: Bearer, valid for expires_in seconds'),
    refresh_token: z.string().describe('Opaque, single use: exchange it at /v1/sessions/refresh'),
    token_type: z.literal('Bearer'),
    expires_in: z.literal(ACCESS_TOKEN_TTL_SECONDS),
    user: SessionUserSchema,
  })
  .meta({ id: 'Session' });

export type SessionBody = z.infer<typeof SessionSchema>;
