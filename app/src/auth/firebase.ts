/**
 * Firebase ID tokens, verified by firebase-admin including the revocation
 * check. In local/test, firebase-admin talks to the Auth emulator when
 * FIREBASE_AUTH_EMULATOR_HOST is set (config refuses it when deployed).
 */
import { getApps, initializeApp, type App } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { DomainError } from '../domain-errors';
import type { AuthenticatedUser, TokenVerifier } from './types';

export const firebaseIssuer = (projectId: string): string => `https://securetoken.google.com/${projectId}`;

/** Codes firebase-admin uses when it could not reach Google (or the emulator): not the caller's fault. */
const UNAVAILABLE_CODES = new Set(['auth/internal-error', 'app/network-error', 'app/network-timeout']);

function firebaseApp(projectId: string): App {
  const name = `walk-service:${projectId}`;
  return getApps().find((app) => app.name === name) ?? initializeApp({ projectId }, name);
}

export function createFirebaseVerifier(projectId: string): TokenVerifier {
  const auth = getAuth(firebaseApp(projectId));
  return {
    issuer: firebaseIssuer(projectId),
    async verify(token: string): Promise<AuthenticatedUser> {
      try {
        const decoded = await auth.verifyIdToken(token, true);
        return {
          id: decoded.uid,
          email: typeof decoded.email === 'string' ? decoded.email : null,
          displayName: typeof decoded.name === 'string' ? decoded.name : null,
          via: 'firebase',
        };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) {
          throw DomainError.unavailable('token verification is unavailable, retry later', error);
        }
        throw DomainError.unauthenticated('the token is invalid, expired or revoked', error);
      }
    },
  };
}
