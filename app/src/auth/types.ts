/** Who a request acts for, and the verifiers that establish it. */

export interface AuthenticatedUser {
  /** Firebase UID; users.id. */
  readonly id: string;
  readonly email: string | null;
  readonly displayName: string | null;
  /** Which kind of token proved it. */
  readonly via: 'firebase' | 'session';
  /** The session the access token belongs to (session tokens only). */
  readonly sessionId?: string;
}

/**
 * Verifies one kind of bearer token. Must throw a DomainError of kind
 * `unauthenticated` for a bad token and `unavailable` when it cannot decide right now.
 */
export interface TokenVerifier {
  /** The `iss` claim of the tokens this verifier accepts; requests are routed by it. */
  readonly issuer: string;
  verify(token: string): Promise<AuthenticatedUser>;
}

/** Session access tokens (the sessions component implements it; verified without a database call). */
export type AccessTokenVerifier = TokenVerifier;
