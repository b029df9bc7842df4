/**
 * Session access tokens: ES256 JWTs, 15 minutes, verified locally (no
 * database call). Header `{alg: ES256, kid, typ: at+jwt}`; claims iss, aud,
 * sub (user id), sid (session family id), jti, iat, exp.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, type JWTHeaderParameters } from 'jose';
import { DomainError } from '../domain-errors';
import type { Clock } from '../lifecycle';
import { type KeyRing, SIGNING_ALGORITHM } from './key-ring';

export const ACCESS_TOKEN_TTL_SECONDS = 900;
/** RFC 9068 media type; a Firebase ID token or any other JWT lacks it. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenOptions {
  readonly keyRing: KeyRing;
  readonly issuer: string;
  readonly audience: string;
  readonly clock: Clock;
}

export interface AccessTokenClaims {
  readonly userId: string;
  readonly sessionId: string;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly expiresIn: number;
}

/**
 * Tokens whose signature and claims were verified, by their exact text: a
 * client sends the same token for up to 15 minutes, and ES256 verification
 * was the service's largest cost after the socket writes (docs/adr/0151).
 * A hit is still checked for expiry here and for revocation by the verifier.
 */
export const VERIFIED_CACHE_SIZE = 10_000;

const unauthorized = (message: string, cause?: unknown) => DomainError.unauthenticated(message, cause);

export class AccessTokens {
  private readonly verified = new Map<string, AccessTokenClaims>();

  constructor(private readonly options: AccessTokenOptions) {}

  get issuer(): string {
    return this.options.issuer;
  }

  async issue(userId: string, sessionId: string): Promise<IssuedAccessToken> {
    const { keyRing, issuer, audience, clock } = this.options;
    const iat = Math.floor(clock.now().getTime() / 1000);
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: keyRing.signing.kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(userId)
      .setJti(randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(iat + ACCESS_TOKEN_TTL_SECONDS)
      .sign(keyRing.signing.privateKey);
    return { token, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
  }

  /** The token's claims; DomainError `unauthenticated` for anything forged, expired, foreign or malformed. */
  async verify(token: string): Promise<AccessTokenClaims> {
    const { keyRing, issuer, audience, clock } = this.options;
    const cached = this.verified.get(token);
    if (cached) {
      // jose's rule: expired when exp <= now (seconds)
      if (cached.expiresAt > Math.floor(clock.now().getTime() / 1000)) return cached;
      this.verified.delete(token);
    }
    const keyFor = (header: JWTHeaderParameters) => {
      const key = header.kid === undefined ? undefined : keyRing.verificationKey(header.kid);
      if (!key) throw unauthorized('the token was signed by an unknown key');
      return key;
    };
    let payload;
    try {
      ({ payload } = await jwtVerify(token, keyFor, {
        algorithms: [SIGNING_ALGORITHM],
        issuer,
        audience,
        typ: ACCESS_TOKEN_TYPE,
        currentDate: clock.now(),
        requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],
      }));
    } catch (error) {
      if (error instanceof DomainError) throw error;
      const code = (error as { code?: unknown }).code;
      throw unauthorized(
        code === 'ERR_JWT_EXPIRED' ? 'the access token has expired' : 'the access token is invalid',
        error,
      );
    }
    const { sub, sid, iat, exp } = payload;
    if (typeof sid !== 'string' || !sub || iat === undefined || exp === undefined) {
      throw unauthorized('the access token is invalid');
    }
    const claims = { userId: sub, sessionId: sid, issuedAt: iat, expiresAt: exp };
    // oldest first out (Map keeps insertion order)
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return claims;
  }
}
