/**
 * The owners of migrated documents as Firebase Auth knows them: how they sign
 * in and since when (copied into `users`), or gone (the account was deleted).
 * firebase-admin reads FIREBASE_AUTH_EMULATOR_HOST itself.
 */
import type { Auth } from 'firebase-admin/auth';
import type { AuthUser } from './repository';

/** getUsers takes at most 100 identifiers per call (https://firebase.google.com/docs/auth/admin/manage-users#bulk_retrieve_user_data). */
const GET_USERS_MAX = 100;

/** Looks users up once per run; null means the account does not exist. */
export function authDirectory(auth: Auth) {
  const known = new Map<string, AuthUser | null>();
  return {
    async lookup(ids: readonly string[]): Promise<Map<string, AuthUser | null>> {
      const missing = [...new Set(ids)].filter((id) => !known.has(id));
      for (let i = 0; i < missing.length; i += GET_USERS_MAX) {
        const batch = missing.slice(i, i + GET_USERS_MAX);
        const result = await auth.getUsers(batch.map((uid) => ({ uid })));
        for (const user of result.users) {
          known.set(user.uid, {
            id: user.uid,
            authProvider: user.providerData[0]?.providerId ?? null,
            createdAt: new Date(user.metadata.creationTime),
          });
        }
        for (const uid of batch) if (!known.has(uid)) known.set(uid, null);
      }
      return new Map(ids.map((id) => [id, known.get(id) ?? null]));
    },
  };
}

export type AuthDirectory = ReturnType<typeof authDirectory>;
