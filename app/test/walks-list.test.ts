/** GET /v1/walks: order, page size, opaque cursors stable under concurrent inserts, isolation. */
import { randomUUID } from 'node:crypto';
import {
  apiClient,
  createTestDatabase,
  deleteEmulatorUser,
  emulatorUser,
  startTestApp,
  type ApiClient,
  type TestApp,
  type TestDatabase,
} from './harness';

let db: TestDatabase;
let app: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp({ db });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

async function newUser(): Promise<ApiClient> {
  return apiClient(app.url, (await emulatorUser()).authorization);
}

const walkAt = (minute: number | null, title = `walk ${minute}`) => ({
  title,
  status: 'in_progress',
  start_time: minute === null ? null : new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
  locations: [{ sequence_number: 0, latitude: 1, longitude: 2, timestamp: '2026-01-01T00:00:00Z' }],
});

async function allPages(client: ApiClient, limit: number, between?: (page: number) => Promise<void>) {
  const seen: Array<{ id: string; title: string }> = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page += 1) {
    const query: string = `?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await client.get(`/v1/walks${query}`);
    expect(res.status).toBe(200);
    expect(res.body.walks.length).toBeLessThanOrEqual(limit);
    seen.push(...res.body.walks);
    cursor = res.body.next_cursor;
    if (!cursor) break;
    await between?.(page);
  }
  return seen;
}

it('lists newest start_time first, walks without one by created_at, without locations', async () => {
  const client = await newUser();
  for (const minute of [10, 30, 20])
    expect((await client.post('/v1/walks', walkAt(minute))).status).toBe(201);
  // no start_time: sorted by created_at (now, i.e. newer than 2026-01-01)
  await client.post('/v1/walks', walkAt(null, 'unstarted'));
  const res = await client.get('/v1/walks');
  expect(res.status).toBe(200);
  expect(res.body.walks.map((w: { title: string }) => w.title)).toEqual([
    'unstarted',
    'walk 30',
    'walk 20',
    'walk 10',
  ]);
  expect(res.body.next_cursor).toBeNull();
  for (const walk of res.body.walks) {
    expect(walk).not.toHaveProperty('locations');
    expect(walk).toMatchObject({ version: 1, user_id: expect.any(String) });
  }
});

it('pages with an opaque cursor, default page size 20', async () => {
  const client = await newUser();
  for (let i = 0; i < 23; i += 1) await client.post('/v1/walks', walkAt(i));
  const first = await client.get('/v1/walks');
  expect(first.body.walks).toHaveLength(20);
  expect(typeof first.body.next_cursor).toBe('string');
  const second = await client.get(`/v1/walks?cursor=${encodeURIComponent(first.body.next_cursor)}`);
  expect(second.body.walks).toHaveLength(3);
  expect(second.body.next_cursor).toBeNull();
  const titles = [...first.body.walks, ...second.body.walks].map((w: { title: string }) => w.title);
  expect(titles).toEqual(Array.from({ length: 23 }, (_, i) => `walk ${22 - i}`));
});

it('neither skips nor repeats walks when others are inserted between pages', async () => {
  const client = await newUser();
  const original = new Set<string>();
  for (let i = 0; i < 25; i += 1) original.add((await client.post('/v1/walks', walkAt(i % 5))).body.id);
  // same start_time for groups of five: the id breaks the tie
  const seen = await allPages(client, 4, async (page) => {
    // newer, older and equal sort keys, inserted while the client is paging
    await client.post('/v1/walks', walkAt(59, `inserted newer ${page}`));
    await client.post('/v1/walks', walkAt(2, `inserted tie ${page}`));
  });
  const seenIds = seen.map((w) => w.id);
  expect(new Set(seenIds).size).toBe(seenIds.length);
  for (const id of original) expect(seenIds).toContain(id);
  expect(seen.some((w) => w.title.startsWith('inserted newer'))).toBe(false);
});

it('answers 400 for a bad limit, a bad cursor or an unknown parameter', async () => {
  const client = await newUser();
  for (const [query, field] of [
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=1&limit=2', 'limit'],
    ['cursor=not-a-cursor', 'cursor'],
    [`cursor=${Buffer.from('{"t":"x","i":"y"}').toString('base64url')}`, 'cursor'],
    ['sort=asc', 'sort'],
  ] as const) {
    const res = await client.get(`/v1/walks?${query}`);
    expect({ query, status: res.status }).toEqual({ query, status: 400 });
    expect(res.body.error.details[0].field).toBe(field);
  }
  expect((await client.get('/v1/walks?limit=100')).status).toBe(200);
  expect((await client.get('/v1/walks?limit=1')).status).toBe(200);
});

it('isolates users: each lists, reads and changes only their own walks', async () => {
  const [a, b] = [await newUser(), await newUser()];
  const aWalk = (await a.post('/v1/walks', walkAt(1, 'a'))).body;
  const bWalk = (await b.post('/v1/walks', walkAt(1, 'b'))).body;
  expect((await a.get('/v1/walks')).body.walks.map((w: { id: string }) => w.id)).toEqual([aWalk.id]);
  expect((await b.get('/v1/walks')).body.walks.map((w: { id: string }) => w.id)).toEqual([bWalk.id]);
  // a cursor from a's listing shows b nothing of a's
  for (let i = 0; i < 3; i += 1) await a.post('/v1/walks', walkAt(10 + i, `a${i}`));
  const page = await a.get('/v1/walks?limit=1');
  const borrowed = await b.get(`/v1/walks?cursor=${encodeURIComponent(page.body.next_cursor)}`);
  expect(borrowed.body.walks.map((w: { id: string }) => w.id)).toEqual([bWalk.id]);
  expect((await b.get(`/v1/walks/${aWalk.id}`)).status).toBe(404);
  expect((await b.put(`/v1/walks/${aWalk.id}`, walkAt(2))).status).toBe(404);
  expect((await b.delete(`/v1/walks/${aWalk.id}`)).status).toBe(404);
  expect((await a.get(`/v1/walks/${aWalk.id}`)).body).toMatchObject({ title: 'a', version: 1 });
});

it('refuses the ID token of a deleted (revoked) user', async () => {
  const user = await emulatorUser();
  const client = apiClient(app.url, user.authorization);
  expect((await client.get('/v1/walks')).status).toBe(200);
  await deleteEmulatorUser(user.uid);
  const res = await client.get('/v1/walks');
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe('UNAUTHORIZED');
  expect((await client.put(`/v1/walks/${randomUUID()}`, walkAt(1))).status).toBe(401);
});
