import { apiClient, createTestDatabase, type TestDatabase } from '../harness';
import { generateSigningJwk } from '../../src/sessions';
import { counterValue, startSessionsApp, type SessionsTestApp } from './helpers';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function withApp(env: Record<string, string>, work: (app: SessionsTestApp) => Promise<void>) {
  const app = await startSessionsApp({ db, keys: [generateSigningJwk()], env });
  try {
    await work(app);
  } finally {
    await app.close();
  }
}

const from = (address: string) => ({ headers: { 'x-forwarded-for': address } });

describe('rate limiting of login and refresh per client address', () => {
  it('answers 429 RATE_LIMITED with Retry-After once an address exceeds the login limit', async () => {
    await withApp({ SESSION_LOGIN_RATE_LIMIT: '3', TRUST_PROXY: '1' }, async (app) => {
      const client = apiClient(app.url);
      for (let i = 0; i < 3; i++) {
        expect(
          (await client.post('/v1/sessions/login', { id_token: 'bad' }, from('203.0.113.7'))).status,
        ).toBe(401);
      }
      const limited = await client.post('/v1/sessions/login', { id_token: 'bad' }, from('203.0.113.7'));
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(limited.body).toEqual({
        error: {
          code: 'RATE_LIMITED',
          message: expect.any(String),
          request_id: limited.headers.get('x-request-id'),
        },
      });
      expect(await counterValue(app.deps.metrics.sessionLogins, { result: 'rate_limited' })).toBe(1);
      // behind one trusting proxy (TRUST_PROXY=1) another client address has its own budget
      expect(
        (await client.post('/v1/sessions/login', { id_token: 'bad' }, from('198.51.100.9'))).status,
      ).toBe(401);
    });
  });

  it('limits refresh separately', async () => {
    await withApp({ SESSION_REFRESH_RATE_LIMIT: '2' }, async (app) => {
      const client = apiClient(app.url);
      const body = { refresh_token: 'C'.repeat(43) };
      expect((await client.post('/v1/sessions/refresh', body)).status).toBe(401);
      expect((await client.post('/v1/sessions/refresh', body)).status).toBe(401);
      expect((await client.post('/v1/sessions/refresh', body)).status).toBe(429);
      expect(await counterValue(app.deps.metrics.sessionRefreshes, { result: 'rate_limited' })).toBe(1);
      // login has its own budget
      expect((await client.post('/v1/sessions/login', { id_token: 'bad' })).status).toBe(401);
    });
  });

  it('ignores X-Forwarded-For when no proxy is trusted, so a client cannot spoof its way out', async () => {
    await withApp({ SESSION_LOGIN_RATE_LIMIT: '2', TRUST_PROXY: '0' }, async (app) => {
      const client = apiClient(app.url);
      expect((await client.post('/v1/sessions/login', { id_token: 'bad' }, from('192.0.2.1'))).status).toBe(
        401,
      );
      expect((await client.post('/v1/sessions/login', { id_token: 'bad' }, from('192.0.2.2'))).status).toBe(
        401,
      );
      expect((await client.post('/v1/sessions/login', { id_token: 'bad' }, from('192.0.2.3'))).status).toBe(
        429,
      );
    });
  });
});
