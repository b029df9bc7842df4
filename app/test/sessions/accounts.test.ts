import { createTestDatabase, deleteEmulatorUser, emulatorUser, type TestDatabase } from '../harness';
import { generateSigningJwk } from '../../src/sessions';
import {
  authenticatedStatus,
  emulatorAdmin,
  FakeClock,
  login,
  refresh,
  startSessionsApp,
  type SessionsTestApp,
} from './helpers';

let db: TestDatabase;
let app: SessionsTestApp;
const keys = [generateSigningJwk()];

beforeAll(async () => {
  db = await createTestDatabase();
  // sessions opened "a few seconds ago", so a Firebase revocation made now is later than the login
  app = await startSessionsApp({ db, keys, clock: new FakeClock(new Date(Date.now() - 5000)) });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const reasonOf = async (userId: string) =>
  (await db.pool.query('SELECT revoked_reason FROM session_families WHERE user_id = $1', [userId])).rows.map(
    (row) => row.revoked_reason,
  );

describe('the Firebase account behind a session, checked at refresh', () => {
  it('ends the sessions of a user disabled in Firebase', async () => {
    const user = await emulatorUser();
    const session = (await login(app, user.idToken)).body;
    await emulatorAdmin().updateUser(user.uid, { disabled: true });
    const res = await refresh(app, session.refresh_token);
    expect(res.status).toBe(401);
    expect(await reasonOf(user.uid)).toEqual(['account_disabled']);
    expect(await authenticatedStatus(app, session.access_token)).toBe(401);
  });

  it('ends the sessions of a user deleted in Firebase', async () => {
    const user = await emulatorUser();
    const session = (await login(app, user.idToken)).body;
    await deleteEmulatorUser(user.uid);
    expect((await refresh(app, session.refresh_token)).status).toBe(401);
    expect(await reasonOf(user.uid)).toEqual(['account_disabled']);
  });

  it("ends sessions opened before the user's Firebase tokens were revoked", async () => {
    const user = await emulatorUser();
    const session = (await login(app, user.idToken)).body;
    await emulatorAdmin().revokeRefreshTokens(user.uid);
    expect((await refresh(app, session.refresh_token)).status).toBe(401);
    expect(await reasonOf(user.uid)).toEqual(['account_revoked']);
  });

  it('keeps refreshing when Firebase cannot be asked (an outage must not sign everyone out)', async () => {
    const outage = await startSessionsApp({
      db,
      keys,
      accounts: { standing: async () => ({ kind: 'unknown', error: new Error('connect ECONNREFUSED') }) },
    });
    try {
      const user = await emulatorUser();
      const session = (await login(outage, user.idToken)).body;
      expect((await refresh(outage, session.refresh_token)).status).toBe(200);
      expect(outage.logLines().join('\n')).toContain('could not check the account in Firebase');
    } finally {
      await outage.close();
    }
  });
});
