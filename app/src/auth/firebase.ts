/**
 * Firebase ID tokens, verified by firebase-admin including the revocation
 * check. In local/test, firebase-admin talks to the Auth emulator when
 * FIREBASE_AUTH_EMULATOR_HOST is set (config refuses it when deployed).
 */
import type { Agent } from 'node:http';
import { getApps, initializeApp, type App } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { DomainError } from '../domain-errors';
import type { AuthenticatedUser, TokenVerifier } from './types';

export const firebaseIssuer = (projectId: string): string => `https://securetoken.google.com/${projectId}`;

/** Codes firebase-admin uses when it could not reach Google (or the emulator): not the caller's fault. */
const UNAVAILABLE_CODES = new Set(['auth/internal-error', 'app/network-error', 'app/network-timeout']);
/**
 * firebase-admin reports a failure to fetch Google's public keys as
 * auth/argument-error with this message (utils/jwt.js, UrlKeyFetcher): the
 * token is refused either way; 503 tells the client to retry, not to sign in again.
 */
const KEY_FETCH_FAILED =
  /fetching public keys|Error fetching|ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|socket hang up/i;

export interface FirebaseVerifierOptions {
  /**
   * The agent firebase-admin uses for Google's public keys and the revocation
   * check (AppOptions.httpAgent); the default reaches Google directly.
   */
  readonly httpAgent?: Agent;
}

let customAgentApps = 0;

function firebaseApp(projectId: string, httpAgent: Agent | undefined): App {
  if (httpAgent) {
    customAgentApps += 1;
    return initializeApp({ projectId, httpAgent }, `walk-service:${projectId}:agent-${customAgentApps}`);
  }
  const name = `walk-service:${projectId}`;
  return getApps().find((app) => app.name === name) ?? initializeApp({ projectId }, name);
}

export function createFirebaseVerifier(
  projectId: string,
  options: FirebaseVerifierOptions = {},
): TokenVerifier {
  const auth = getAuth(firebaseApp(projectId, options.httpAgent));
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
        const message = String((error as { message?: unknown }).message);
        if (
          typeof code === 'string' &&
          (UNAVAILABLE_CODES.has(code) || (code === 'auth/argument-error' && KEY_FETCH_FAILED.test(message)))
        ) {
          throw DomainError.unavailable('token verification is unavailable, retry later', error);
        }
        throw DomainError.unauthenticated('the token is invalid, expired or revoked', error);
      }
    },
  };
}
