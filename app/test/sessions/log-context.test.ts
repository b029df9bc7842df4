/** Every log line written while serving a request carries its request id, whichever logger writes it. */
import { apiClient, emulatorUser } from '../harness';
import { emulatorAdmin, login, useSessionsApp } from './helpers';

const { app } = useSessionsApp();

type Line = Record<string, unknown> & { message: string };

/** Refreshes with this X-Request-Id; returns the status and the log lines written meanwhile. */
async function refreshLogged(refreshToken: string, requestId: string) {
  const before = app.logLines().length;
  const res = await apiClient(app.url).post(
    '/v1/sessions/refresh',
    { refresh_token: refreshToken },
    { headers: { 'x-request-id': requestId } },
  );
  await new Promise((resolve) => setImmediate(resolve)); // the access log is written on 'finish'
  const lines = app
    .logLines()
    .slice(before)
    .map((line) => JSON.parse(line) as Line);
  return { status: res.status, lines };
}

describe('log lines of a request', () => {
  it('carry the request id when a refresh token is reused (the domain logs through the root logger)', async () => {
    const session = (await login(app, (await emulatorUser()).idToken)).body;
    expect((await refreshLogged(session.refresh_token, 'req-rotate-0001')).status).toBe(200);
    const { status, lines } = await refreshLogged(session.refresh_token, 'req-reuse-00001');
    expect(status).toBe(401);
    expect(lines.map((l) => l.message)).toContain('refresh token reuse detected; session family revoked');
    for (const line of lines)
      expect([line.message, line.request_id]).toEqual([line.message, 'req-reuse-00001']);
  });

  it('carry the request id when a session ends because the Firebase account was disabled', async () => {
    const user = await emulatorUser();
    const session = (await login(app, user.idToken)).body;
    await emulatorAdmin().updateUser(user.uid, { disabled: true });
    const { status, lines } = await refreshLogged(session.refresh_token, 'req-disabled-001');
    expect(status).toBe(401);
    expect(lines.map((l) => l.message)).toContain(
      'session revoked: the Firebase account is disabled, deleted or signed out',
    );
    for (const line of lines)
      expect([line.message, line.request_id]).toEqual([line.message, 'req-disabled-001']);
  });

  it('keep concurrent requests apart', async () => {
    const sessions = await Promise.all(
      Array.from({ length: 4 }, async () => (await login(app, (await emulatorUser()).idToken)).body),
    );
    await Promise.all(sessions.map((s, i) => refreshLogged(s.refresh_token, `req-first-${i}-000`)));
    const before = app.logLines().length;
    const ids = sessions.map((_, i) => `req-concurrent-${i}`);
    await Promise.all(
      sessions.map((s, i) =>
        apiClient(app.url).post(
          '/v1/sessions/refresh',
          { refresh_token: s.refresh_token },
          { headers: { 'x-request-id': ids[i]! } },
        ),
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
    const reuse = app
      .logLines()
      .slice(before)
      .map((line) => JSON.parse(line) as Line)
      .filter((line) => line.message.startsWith('refresh token reuse detected'));
    expect(reuse.map((line) => line.request_id).sort()).toEqual(ids);
    // each line names the family of the token its own request presented
    const familyOf = new Map(reuse.map((line) => [line.request_id, line.session_id]));
    expect(new Set(familyOf.values()).size).toBe(4);
  });
});
