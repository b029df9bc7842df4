import { apiClient, createTestDatabase, emulatorUser, type TestDatabase } from '../harness';
import { generateSigningJwk } from '../../src/sessions';
import { authenticatedStatus, login, refresh, startSessionsApp, type SessionsTestApp } from './helpers';

let db: TestDatabase;
let app: SessionsTestApp;
const keys = [generateSigningJwk()];

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startSessionsApp({ db, keys });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const post = (path: string, accessToken: string) =>
  apiClient(app.url, `Bearer ${accessToken}`).post(path, undefined);

describe('POST /v1/sessions/logout', () => {
  it('ends this session: its refresh token at once, its access token too', async () => {
    const user = await emulatorUser();
    const phone = (await login(app, user.idToken)).body;
    const tablet = (await login(app, user.idToken)).body;

    const res = await post('/v1/sessions/logout', phone.access_token);
    expect(res.status).toBe(204);
    expect((await refresh(app, phone.refresh_token)).status).toBe(401);
    expect(await authenticatedStatus(app, phone.access_token)).toBe(401);
    // the other device stays signed in
    expect(await authenticatedStatus(app, tablet.access_token)).toBe(200);
    expect((await refresh(app, tablet.refresh_token)).status).toBe(200);
  });

  it('needs a session access token', async () => {
    const user = await emulatorUser();
    expect((await apiClient(app.url).post('/v1/sessions/logout', undefined)).status).toBe(401);
    expect((await post('/v1/sessions/logout', user.idToken)).status).toBe(401);
  });
});

describe('POST /v1/sessions/logout-all', () => {
  it('ends every session of the user across devices, and only theirs', async () => {
    const user = await emulatorUser();
    const phone = (await login(app, user.idToken)).body;
    const tablet = (await login(app, user.idToken)).body;
    const someoneElse = (await login(app, (await emulatorUser()).idToken)).body;

    expect((await post('/v1/sessions/logout-all', phone.access_token)).status).toBe(204);
    for (const device of [phone, tablet]) {
      expect((await refresh(app, device.refresh_token)).status).toBe(401);
      expect(await authenticatedStatus(app, device.access_token)).toBe(401);
    }
    expect(await authenticatedStatus(app, someoneElse.access_token)).toBe(200);
    // signing in again opens a new, working session
    const again = (await login(app, (await emulatorUser({ email: user.email })).idToken)).body;
    expect(await authenticatedStatus(app, again.access_token)).toBe(200);
    const { rows } = await db.pool.query(
      "SELECT count(*)::int AS n FROM session_families WHERE user_id = $1 AND revoked_reason = 'logout_all'",
      [user.uid],
    );
    expect(rows[0].n).toBe(2);
  });

  it('reaches the access tokens on other replicas at their next sync of the revocation list', async () => {
    const other = await startSessionsApp({ db, keys, clock: app.clock });
    try {
      await other.sessions.revokedSessions.sync();
      const user = await emulatorUser();
      const phone = (await login(app, user.idToken)).body;
      const tablet = (await login(other, user.idToken)).body;
      expect(await authenticatedStatus(other, phone.access_token)).toBe(200);

      expect((await post('/v1/sessions/logout-all', phone.access_token)).status).toBe(204);
      // until it syncs, the other replica still trusts the signature (the bounded staleness)
      expect(await authenticatedStatus(other, tablet.access_token)).toBe(200);
      await other.sessions.revokedSessions.sync();
      expect(await authenticatedStatus(other, tablet.access_token)).toBe(401);
      expect(await authenticatedStatus(other, phone.access_token)).toBe(401);
    } finally {
      await other.close();
    }
  });
});
