/**
 * Refresh tokens: 256 random bits, base64url, opaque to the client. Only the
 * SHA-256 of a token is stored; with 256 bits of entropy a plain hash is
 * enough (no salt or slow hash: nobody can enumerate the input space).
 */
import { createHash, randomBytes } from 'node:crypto';

export const REFRESH_TOKEN_BYTES = 32;
/** base64url of 32 bytes, no padding. */
export const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newRefreshToken(): string {
  return randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
}

export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}
