/**
 * The Firebase side of a session's user, asked at every refresh so that
 * disabling, deleting or revoking a user in Firebase also ends their
 * sessions here within one access-token lifetime.
 */
import { getApps, initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';

export type AccountStanding =
  | { readonly kind: 'active'; readonly tokensValidAfter: Date | undefined }
  | { readonly kind: 'disabled' }
  | { readonly kind: 'deleted' }
  /** Firebase could not be asked (network, outage): the caller decides. */
  | { readonly kind: 'unknown'; readonly error: unknown };

export interface FirebaseAccounts {
  standing(userId: string): Promise<AccountStanding>;
}

export function createFirebaseAccounts(projectId: string): FirebaseAccounts {
  const name = `walk-service-sessions:${projectId}`;
  const app = getApps().find((a) => a.name === name) ?? initializeApp({ projectId }, name);
  const auth = getAuth(app);
  return {
    async standing(userId) {
      try {
        const user = await auth.getUser(userId);
        if (user.disabled) return { kind: 'disabled' };
        const validAfter = user.tokensValidAfterTime ? new Date(user.tokensValidAfterTime) : undefined;
        return { kind: 'active', tokensValidAfter: validAfter };
      } catch (error) {
        if ((error as { code?: unknown }).code === 'auth/user-not-found') return { kind: 'deleted' };
        return { kind: 'unknown', error };
      }
    },
  };
}
