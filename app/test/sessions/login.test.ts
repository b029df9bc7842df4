import { apiClient, deleteEmulatorUser, emulatorUser } from '../harness';
import { authenticatedStatus, counterValue, emulatorAdmin, login, useSessionsApp } from './helpers';

const { app, db } = useSessionsApp();

describe('POST /v1/sessions/login', () => {
  it('trades a Firebase ID token for a session and upserts the user row', async () => {
    const user = await emulatorUser({ displayName: 'Aiko' });
    const res = await login(app, user.idToken);

    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      refresh_token: expect.stringMatching(/^[\w-]{43}$/),
      token_type: 'Bearer',
      expires_in: 900,
      user: { id: user.uid, email: user.email, display_name: 'Aiko' },
    });
    const { rows } = await db.pool.query('SELECT email, display_name FROM users WHERE id = $1', [user.uid]);
    expect(rows).toEqual([{ email: user.email, display_name: 'Aiko' }]);
    // the access token opens the walk endpoints
    expect(await authenticatedStatus(app, res.body.access_token)).toBe(200);
    expect(await counterValue(app.deps.metrics.sessionLogins, { result: 'success' })).toBeGreaterThanOrEqual(
      1,
    );
  });

  it('updates email and display name on a later login', async () => {
    const user = await emulatorUser({ displayName: 'Before' });
    expect((await login(app, user.idToken)).status).toBe(201);
    await emulatorAdmin().updateUser(user.uid, { displayName: 'After' });
    const again = await emulatorUser({ email: user.email }); // signs in again: a token with the new name
    const res = await login(app, again.idToken);
    expect(res.status).toBe(201);
    expect(res.body.user.display_name).toBe('After');
    const { rows } = await db.pool.query('SELECT display_name FROM users WHERE id = $1', [user.uid]);
    expect(rows[0].display_name).toBe('After');
  });

  it('stores the refresh token only as a SHA-256 hash', async () => {
    const user = await emulatorUser();
    const res = await login(app, user.idToken);
    const { rows } = await db.pool.query(
      `SELECT t.token_hash FROM session_refresh_tokens t JOIN session_families f ON f.id = t.family_id
        WHERE f.user_id = $1`,
      [user.uid],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toHaveLength(32);
    expect(rows[0].token_hash.toString('base64url')).not.toBe(res.body.refresh_token);
  });

  it('refuses the ID token of a disabled user', async () => {
    const user = await emulatorUser();
    await emulatorAdmin().updateUser(user.uid, { disabled: true });
    const before = await counterValue(app.deps.metrics.sessionLogins, { result: 'invalid_token' });
    const res = await login(app, user.idToken);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
    expect(await counterValue(app.deps.metrics.sessionLogins, { result: 'invalid_token' })).toBe(before + 1);
    const { rowCount } = await db.pool.query('SELECT 1 FROM users WHERE id = $1', [user.uid]);
    expect(rowCount).toBe(0);
  });

  it('refuses the ID token of a deleted user', async () => {
    const user = await emulatorUser();
    await deleteEmulatorUser(user.uid);
    const res = await login(app, user.idToken);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });

  it('refuses a forged ID token and a session access token in place of an ID token', async () => {
    const user = await emulatorUser();
    const forged = `${user.idToken.slice(0, -4)}AAAA`;
    expect((await login(app, forged)).status).toBe(401);
    const session = await login(app, user.idToken);
    expect((await login(app, session.body.access_token)).status).toBe(401);
  });

  it('answers 400 for a missing or malformed body, naming the field', async () => {
    const client = apiClient(app.url);
    const missing = await client.post('/v1/sessions/login', {});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'INVALID_REQUEST', details: [{ field: 'id_token' }] });
    const extra = await client.post('/v1/sessions/login', { id_token: 'x', password: 'y' });
    expect(extra.status).toBe(400);
    const noBody = await client.call('POST', '/v1/sessions/login');
    expect(noBody.status).toBe(400);
  });

  it('never writes a token to the log', async () => {
    const user = await emulatorUser();
    const res = await login(app, user.idToken);
    const log = app.logLines().join('\n');
    expect(log).toContain('session opened');
    for (const secret of [user.idToken, res.body.access_token, res.body.refresh_token]) {
      expect(log).not.toContain(secret);
    }
  });
});

describe('bearer tokens on the walk endpoints', () => {
  it('accepts a Firebase ID token as well as a session access token', async () => {
    const user = await emulatorUser();
    expect(await authenticatedStatus(app, user.idToken)).toBe(200);
  });
});

describe('OpenAPI', () => {
  it('documents the four session paths', async () => {
    const { body: doc } = await apiClient(app.url).get('/openapi.json');
    for (const path of ['login', 'refresh', 'logout', 'logout-all']) {
      expect(doc.paths[`/v1/sessions/${path}`]?.post).toBeDefined();
    }
    expect(doc.paths['/v1/sessions/logout'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components.schemas.Session.required).toEqual(
      expect.arrayContaining(['access_token', 'refresh_token', 'token_type', 'expires_in', 'user']),
    );
  });
});
