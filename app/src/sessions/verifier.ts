/** The AccessTokenVerifier the bearer-token middleware routes session tokens to: signature and claims, then the revocation list. */
import type { AccessTokenVerifier, AuthenticatedUser } from '../auth';
import { DomainError } from '../domain-errors';
import type { AccessTokens } from './access-tokens';
import type { RevokedSessions } from './revoked-sessions';

export function createAccessTokenVerifier(
  accessTokens: AccessTokens,
  revokedSessions: RevokedSessions,
): AccessTokenVerifier {
  return {
    issuer: accessTokens.issuer,
    async verify(token: string): Promise<AuthenticatedUser> {
      const claims = await accessTokens.verify(token);
      if (revokedSessions.isRevoked(claims.sessionId)) {
        throw DomainError.unauthenticated('the session has been revoked');
      }
      // Access tokens carry no personal data; email and name live in the users row.
      return {
        id: claims.userId,
        email: null,
        displayName: null,
        via: 'session',
        sessionId: claims.sessionId,
      };
    },
  };
}
