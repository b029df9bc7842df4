/** Users of the run's Firebase Auth emulator, with real (emulator-signed) ID tokens. */
import { randomBytes } from 'node:crypto';
import { emulatorIdToken } from '../../dev/auth-emulator';
import { harnessValue } from './env';

export interface EmulatorUser {
  readonly uid: string;
  readonly email: string;
  readonly idToken: string;
  /** `Authorization` header value for this user. */
  readonly authorization: string;
}

export async function emulatorUser(
  options: { email?: string; displayName?: string } = {},
): Promise<EmulatorUser> {
  const email = options.email ?? `user-${randomBytes(6).toString('hex')}@example.com`;
  const { uid, idToken } = await emulatorIdToken(
    harnessValue('emulatorHost'),
    email,
    'test-password',
    options.displayName,
  );
  return { uid, email, idToken, authorization: `Bearer ${idToken}` };
}

/** Deletes an emulator user, so its ID tokens fail the revocation check. */
export async function deleteEmulatorUser(uid: string): Promise<void> {
  const host = harnessValue('emulatorHost');
  const project = harnessValue('projectId');
  const res = await fetch(
    `http://${host}/identitytoolkit.googleapis.com/v1/projects/${project}/accounts:delete`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer owner' },
      body: JSON.stringify({ localId: uid }),
    },
  );
  if (!res.ok) throw new Error(`could not delete emulator user ${uid}: ${res.status}`);
}
