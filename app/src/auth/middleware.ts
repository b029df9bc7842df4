/**
 * `Authorization: Bearer <token>`, routed by the token's `iss` claim to the
 * verifier for that issuer (Firebase ID tokens or session access tokens).
 * The claim is read unverified only to choose a verifier; the chosen one verifies everything.
 */
import type { RequestHandler } from 'express';
import { decodeJwt } from 'jose';
import { AppError } from '../http/errors';
import { addLogFields } from '../observability/logger';
import type { AuthenticatedUser, TokenVerifier } from './types';

const BEARER = /^Bearer ([A-Za-z0-9_\-.=]+)$/;

function unauthorized(message: string): AppError {
  return new AppError('UNAUTHORIZED', message);
}

export interface RequireAuthOptions {
  /** Issuers whose tokens are genuine but not accepted here, with what to tell the caller instead. */
  readonly refused?: readonly { readonly issuer: string; readonly message: string }[];
}

export function requireAuth(
  verifiers: readonly TokenVerifier[],
  options: RequireAuthOptions = {},
): RequestHandler {
  const byIssuer = new Map(verifiers.map((verifier) => [verifier.issuer, verifier]));
  return async (req, _res, next) => {
    const header = req.headers.authorization;
    if (!header) throw unauthorized('missing Authorization: Bearer token');
    const token = BEARER.exec(header.trim())?.[1];
    if (!token) throw unauthorized('Authorization must be "Bearer <token>"');
    let issuer: unknown;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw unauthorized('the token is not a well-formed JWT');
    }
    const verifier = typeof issuer === 'string' ? byIssuer.get(issuer) : undefined;
    if (!verifier) {
      const refused = options.refused?.find((r) => r.issuer === issuer);
      throw unauthorized(refused?.message ?? 'the token was not issued for this service');
    }
    req.user = await verifier.verify(token);
    addLogFields({ user_id: req.user.id });
    next();
  };
}

/** The authenticated user of a request behind requireAuth. */
export function currentUser(req: { user?: AuthenticatedUser }): AuthenticatedUser {
  if (!req.user) throw unauthorized('authentication required');
  return req.user;
}
