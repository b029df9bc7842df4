/** The database goes away and comes back: 503 UNAVAILABLE meanwhile, recovery without a restart. */
import {
  apiClient,
  createTestDatabase,
  databaseUrl,
  emulatorUser,
  startTcpProxy,
  startTestApp,
  type TcpProxy,
  type TestApp,
  type TestDatabase,
} from './harness';

let db: TestDatabase;
let proxy: TcpProxy;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  const target = new URL(db.url);
  proxy = await startTcpProxy(target.hostname, Number(target.port));
  const viaProxy = new URL(db.url);
  viaProxy.port = String(proxy.port);
  app = await startTestApp({
    db: { ...db, url: databaseUrl(viaProxy.toString(), db.name) },
    env: { DB_CONNECTION_TIMEOUT_MS: '500' },
  });
});
afterAll(async () => {
  await app?.close();
  await proxy?.close();
  await db?.drop();
});

it('answers 503 with Retry-After while the database is down and recovers by itself', async () => {
  const user = await emulatorUser();
  const client = apiClient(app.url, user.authorization);
  const created = await client.post('/v1/walks', { title: 'before the outage' });
  expect(created.status).toBe(201);

  await proxy.down();
  const started = Date.now();
  for (const res of [
    await client.get(`/v1/walks/${created.body.id}`),
    await client.get('/v1/walks'),
    await client.put(`/v1/walks/${created.body.id}`, { title: 'during the outage' }),
  ]) {
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.body.error).toMatchObject({ code: 'UNAVAILABLE', request_id: expect.any(String) });
    expect(res.body.error.message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|postgres/i);
  }
  expect(Date.now() - started).toBeLessThan(5000); // answered, not hung
  const ready = await fetch(`${app.url}/readyz`);
  expect(ready.status).toBe(503);
  expect(await ready.json()).toEqual({ status: 'not_ready', reason: 'database_unavailable' });
  expect((await fetch(`${app.url}/healthz`)).status).toBe(200);

  await proxy.up();
  const after = await client.get(`/v1/walks/${created.body.id}`);
  expect(after.status).toBe(200);
  expect(after.body.title).toBe('before the outage');
  expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
  expect((await client.put(`/v1/walks/${created.body.id}`, { title: 'after the outage' })).status).toBe(200);
});

it('turns connections dropped mid-flight into 503, then serves again', async () => {
  const user = await emulatorUser();
  const client = apiClient(app.url, user.authorization);
  await client.get('/v1/walks'); // warm pooled connections
  await proxy.down();
  await proxy.up(); // the pooled connections are dead; new ones work
  const statuses = await Promise.all(
    Array.from({ length: 6 }, () => client.get('/v1/walks').then((r) => r.status)),
  );
  for (const status of statuses) expect([200, 503]).toContain(status);
  expect((await client.get('/v1/walks')).status).toBe(200);
});
