/** What an HTTP client library expects beyond the happy path (issue 23, item 7). */
import { randomUUID } from 'node:crypto';
import { createTestDatabase, emulatorUser, startTestApp, type TestApp, type TestDatabase } from './harness';

let db: TestDatabase;
let app: TestApp;
let firebase: string;
let session: string;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp({ db });
  const user = await emulatorUser();
  firebase = user.authorization;
  const login = await fetch(`${app.url}/v1/sessions/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id_token: user.idToken }),
  });
  session = `Bearer ${((await login.json()) as { access_token: string }).access_token}`;
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const call = (method: string, path: string, init: { auth?: string; body?: unknown } = {}) =>
  fetch(`${app.url}${path}`, {
    method,
    headers: {
      ...(init.auth ? { authorization: init.auth } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });

describe('405 Method Not Allowed', () => {
  it.each([
    ['DELETE', '/v1/walks', 'GET, HEAD, POST'],
    ['PATCH', `/v1/walks/${randomUUID()}`, 'DELETE, GET, HEAD, PUT'],
    ['GET', '/v1/sessions/login', 'POST'],
    ['POST', '/healthz', 'GET, HEAD'],
  ])('%s %s answers 405 with Allow: %s', async (method, path, allow) => {
    const res = await call(method, path, { auth: session });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('leaves unknown paths at 404', async () => {
    expect((await call('DELETE', '/v1/nothing-here')).status).toBe(404);
  });
});

it('a 401 carries WWW-Authenticate: Bearer', async () => {
  for (const res of [
    await call('GET', '/v1/walks'),
    await call('GET', '/v1/walks', { auth: 'Bearer not-a-jwt' }),
    await call('POST', '/v1/sessions/logout'),
  ]) {
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
  }
});

it('an enum validation error lists the allowed values', async () => {
  const res = await call('POST', '/v1/walks', { auth: session, body: { title: 'x', status: 'done' } });
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { message: string; details: { field: string }[] } };
  expect(body.error.message).toBe('status must be one of not_started, in_progress, paused, completed');
  expect(body.error.details[0]!.field).toBe('status');
});

it('logging out with a Firebase ID token says a session access token is needed', async () => {
  const res = await call('POST', '/v1/sessions/logout', { auth: firebase });
  expect(res.status).toBe(401);
  const body = (await res.json()) as { error: { message: string } };
  expect(body.error.message).toMatch(/session access token, not a Firebase ID token/);
});

it('serialises every JSON body the same way (compact, as JSON.stringify writes it)', async () => {
  const created = await call('POST', '/v1/walks', {
    auth: session,
    body: {
      title: 'Loop',
      locations: [0, 1].map((i) => ({
        sequence_number: i,
        latitude: 35.6 + i / 100,
        longitude: 139.7,
        timestamp: '2026-11-22T06:00:00Z',
      })),
    },
  });
  const id = ((await created.clone().json()) as { id: string }).id;
  const bodies = [
    created,
    await call('GET', `/v1/walks/${id}`, { auth: session }),
    await call('GET', '/v1/walks', { auth: session }),
    await call('GET', '/v1/config', { auth: session }),
    await call('GET', '/healthz'),
    await call('GET', '/v1/walks'),
  ];
  for (const res of bodies) {
    const text = await res.text();
    expect({ url: res.url, text }).toEqual({ url: res.url, text: JSON.stringify(JSON.parse(text)) });
  }
});
