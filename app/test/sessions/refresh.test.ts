import { apiClient, emulatorUser } from '../harness';
import { SESSION_POLICY } from '../../src/sessions';
import { authenticatedStatus, counterValue, login, MINUTE_MS, refresh, useSessionsApp } from './helpers';

const DAY_MS = 24 * 60 * MINUTE_MS;

const { app, db } = useSessionsApp();

async function newSession() {
  const user = await emulatorUser();
  const res = await login(app, user.idToken);
  expect(res.status).toBe(201);
  return { user, session: res.body };
}

const familyOf = async (userId: string) =>
  (
    await db.pool.query('SELECT id, revoked_at, revoked_reason FROM session_families WHERE user_id = $1', [
      userId,
    ])
  ).rows;

describe('POST /v1/sessions/refresh', () => {
  it('rotates: a new pair in the login shape, and the old refresh token is retired', async () => {
    const { user, session } = await newSession();
    app.clock.advance(10 * MINUTE_MS);
    const res = await refresh(app, session.refresh_token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, user: { id: user.uid } });
    expect(res.body.refresh_token).not.toBe(session.refresh_token);
    expect(res.body.access_token).not.toBe(session.access_token);
    expect(await authenticatedStatus(app, res.body.access_token)).toBe(200);
    // the new token works once more; the family is the same
    const next = await refresh(app, res.body.refresh_token);
    expect(next.status).toBe(200);
    expect(await familyOf(user.uid)).toHaveLength(1);
  });

  it('treats a retired token presented again as theft: 401 and the whole family revoked', async () => {
    const { user, session } = await newSession();
    const rotated = await refresh(app, session.refresh_token);
    const reuseBefore = await counterValue(app.deps.metrics.sessionRefreshTokenReuse);

    const replay = await refresh(app, session.refresh_token);
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('UNAUTHORIZED');
    expect(await counterValue(app.deps.metrics.sessionRefreshTokenReuse)).toBe(reuseBefore + 1);
    expect(await familyOf(user.uid)).toEqual([
      { id: expect.any(String), revoked_at: expect.any(Date), revoked_reason: 'reuse' },
    ]);
    // every token of the family is dead: the thief's (or the client's) newer refresh token and its access tokens
    expect((await refresh(app, rotated.body.refresh_token)).status).toBe(401);
    expect(await authenticatedStatus(app, rotated.body.access_token)).toBe(401);
    expect(await authenticatedStatus(app, session.access_token)).toBe(401);
    // other sessions of the same user are untouched
    const other = await login(app, (await emulatorUser({ email: user.email })).idToken);
    expect((await refresh(app, other.body.refresh_token)).status).toBe(200);
    expect(app.logLines().join('\n')).toContain('refresh token reuse detected');
  });

  it('lets exactly one of concurrent refreshes with the same token win', async () => {
    const { user, session } = await newSession();
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(app, session.refresh_token)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 401, 401, 401, 401]);
    // the losers presented a token that had just been used: by the contract that is reuse, and the family ends
    expect(await familyOf(user.uid)).toEqual([expect.objectContaining({ revoked_reason: 'reuse' })]);
  });

  it('refuses an unknown, malformed or empty refresh token', async () => {
    const unknown = await refresh(app, 'A'.repeat(43));
    expect(unknown.status).toBe(401);
    expect((await refresh(app, 'not a token')).status).toBe(401);
    const empty = await apiClient(app.url).post('/v1/sessions/refresh', { refresh_token: '' });
    expect(empty.status).toBe(400);
  });

  it('refuses an expired refresh token (idle longer than its lifetime), by the injected clock', async () => {
    const { session } = await newSession();
    app.clock.advance(SESSION_POLICY.refreshTokenTtlMs + 1000);
    const res = await refresh(app, session.refresh_token);
    expect(res.status).toBe(401);
    expect(res.body.error.message).toMatch(/expired/);
  });

  it('never extends a family beyond its absolute lifetime', async () => {
    const { session } = await newSession();
    let token = session.refresh_token;
    const step = 10 * DAY_MS;
    for (let elapsed = step; elapsed < SESSION_POLICY.familyLifetimeMs; elapsed += step) {
      app.clock.advance(step);
      const res = await refresh(app, token);
      expect(res.status).toBe(200);
      token = res.body.refresh_token;
    }
    app.clock.advance(step);
    expect((await refresh(app, token)).status).toBe(401);
  });

  it('prunes expired tokens and dead families on later writes', async () => {
    const { user, session } = await newSession();
    await refresh(app, session.refresh_token);
    app.clock.advance(SESSION_POLICY.familyLifetimeMs + SESSION_POLICY.deadFamilyRetentionMs + DAY_MS);
    await newSession(); // a write: triggers one pruning round
    expect(await familyOf(user.uid)).toEqual([]);
    const { rows } = await db.pool.query(
      'SELECT count(*)::int AS n FROM session_refresh_tokens WHERE expires_at < $1',
      [app.clock.now()],
    );
    expect(rows[0].n).toBe(0);
  });

  it('counts refreshes by result', async () => {
    const { session } = await newSession();
    const success = await counterValue(app.deps.metrics.sessionRefreshes, { result: 'success' });
    const invalid = await counterValue(app.deps.metrics.sessionRefreshes, { result: 'invalid_token' });
    const reuse = await counterValue(app.deps.metrics.sessionRefreshes, { result: 'reuse' });
    await refresh(app, session.refresh_token);
    await refresh(app, session.refresh_token);
    await refresh(app, 'B'.repeat(43));
    expect(await counterValue(app.deps.metrics.sessionRefreshes, { result: 'success' })).toBe(success + 1);
    expect(await counterValue(app.deps.metrics.sessionRefreshes, { result: 'reuse' })).toBe(reuse + 1);
    expect(await counterValue(app.deps.metrics.sessionRefreshes, { result: 'invalid_token' })).toBe(
      invalid + 1,
    );
  });
});
