/** The walks contract of API.md, end to end against PostgreSQL and the Auth emulator. */
import { randomUUID } from 'node:crypto';
import { apiClient, emulatorUser, useTestApp, type ApiClient, type EmulatorUser } from './harness';

const { app, db } = useTestApp();
let alice: EmulatorUser;
let bob: EmulatorUser;
let asAlice: ApiClient;
let asBob: ApiClient;

beforeAll(async () => {
  [alice, bob] = await Promise.all([emulatorUser({ displayName: 'Alice' }), emulatorUser()]);
  asAlice = apiClient(app.url, alice.authorization);
  asBob = apiClient(app.url, bob.authorization);
});

const location = (sequence: number, overrides: Record<string, unknown> = {}) => ({
  sequence_number: sequence,
  latitude: 35.68 + sequence / 1000,
  longitude: 139.76,
  altitude: 40.1,
  timestamp: new Date(Date.UTC(2026, 10, 22, 6, 0, sequence)).toISOString().replace('Z', '000Z'),
  horizontal_accuracy: 5,
  vertical_accuracy: 3,
  speed: 1.3,
  course: 90,
  ...overrides,
});

const completedWalk = (overrides: Record<string, unknown> = {}) => ({
  title: 'Morning walk',
  description: 'along the river',
  status: 'completed',
  start_time: '2026-11-22T06:00:00Z',
  end_time: '2026-11-22T06:45:00Z',
  paused_at: null,
  total_paused_duration: 30,
  total_distance: 3120.5,
  total_steps: 4100,
  polyline_data: 'abc',
  thumbnail_image_url: 'https://cdn.tekutoko.example/t.png',
  locations: [location(0), location(1), location(2)],
  ...overrides,
});

describe('authentication', () => {
  it('refuses a request without a token', async () => {
    const res = await apiClient(app.url).get('/v1/walks');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });

  it.each([
    ['a non-Bearer scheme', 'Basic abc'],
    ['a token that is not a JWT', 'Bearer not-a-jwt'],
    ['a JWT from an unknown issuer', `Bearer ${fakeJwt({ iss: 'https://evil.example', sub: 'x' })}`],
    [
      'a Firebase-shaped token for another project',
      `Bearer ${fakeJwt({ iss: 'https://securetoken.google.com/demo-other', aud: 'demo-other', sub: 'x' })}`,
    ],
  ])('refuses %s', async (_what, authorization) => {
    const res = await apiClient(app.url, authorization).get('/v1/walks');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });

  it('refuses an expired Firebase ID token', async () => {
    const [, payload] = alice.idToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const expired = fakeJwt({ ...claims, iat: claims.iat - 7200, exp: claims.iat - 3600 });
    const res = await apiClient(app.url, `Bearer ${expired}`).get('/v1/walks');
    expect(res.status).toBe(401);
  });

  it('creates the user row on first write with the token profile', async () => {
    await asAlice.post('/v1/walks', completedWalk()).then((r) => expect(r.status).toBe(201));
    const { rows } = await db.pool.query('SELECT id, email, display_name FROM users WHERE id = $1', [
      alice.uid,
    ]);
    expect(rows).toEqual([{ id: alice.uid, email: alice.email, display_name: 'Alice' }]);
  });
});

/** An unsigned JWT (alg none), the shape the emulator issues. */
function fakeJwt(claims: Record<string, unknown>): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
}

describe('POST /v1/walks', () => {
  it('creates a walk: 201, Location, ETag "1", server-set fields', async () => {
    const res = await asAlice.post('/v1/walks', completedWalk());
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/v1/walks/${res.body.id}`);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      user_id: alice.uid,
      ...completedWalk(),
      start_time: '2026-11-22T06:00:00.000000Z',
      end_time: '2026-11-22T06:45:00.000000Z',
      version: 1,
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
  });

  it('keeps a client-chosen id and ignores server-set fields on input', async () => {
    const id = randomUUID();
    const res = await asAlice.post('/v1/walks', {
      ...completedWalk(),
      id,
      user_id: 'someone-else',
      version: 99,
      created_at: '2000-01-01T00:00:00Z',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id, user_id: alice.uid, version: 1 });
    expect(res.body.created_at).not.toBe('2000-01-01T00:00:00.000Z');
  });

  it('answers 409 for an id that exists, whoever owns it', async () => {
    const id = randomUUID();
    expect((await asAlice.post('/v1/walks', { ...completedWalk(), id })).status).toBe(201);
    const again = await asAlice.post('/v1/walks', { ...completedWalk(), id });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
    expect((await asBob.post('/v1/walks', { ...completedWalk(), id })).status).toBe(409);
  });

  it('applies defaults for omitted optional fields', async () => {
    const res = await asAlice.post('/v1/walks', { title: 'Just a title' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      description: '',
      status: 'not_started',
      start_time: null,
      end_time: null,
      total_steps: 0,
      locations: [],
    });
  });
});

describe('GET /v1/walks/{id}', () => {
  it('returns the walk with its locations in sequence order and its ETag', async () => {
    const created = await asAlice.post(
      '/v1/walks',
      completedWalk({ locations: [location(2), location(0), location(1)] }),
    );
    const res = await asAlice.get(`/v1/walks/${created.body.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body.locations.map((l: { sequence_number: number }) => l.sequence_number)).toEqual([0, 1, 2]);
    expect(res.body.locations[0]).toEqual(location(0));
    expect(res.body).toEqual(created.body);
  });

  it("answers 404 for another user's walk and for an unknown id", async () => {
    const created = await asAlice.post('/v1/walks', completedWalk());
    const other = await asBob.get(`/v1/walks/${created.body.id}`);
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('NOT_FOUND');
    expect((await asAlice.get(`/v1/walks/${randomUUID()}`)).status).toBe(404);
  });

  it('answers 400 naming the id for a non-UUID id', async () => {
    const res = await asAlice.get('/v1/walks/not-a-uuid');
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ field: 'id', issue: 'invalid_format' }]);
  });
});

describe('PUT /v1/walks/{id}', () => {
  it('creates (201) then replaces (200), version +1 on each write', async () => {
    const id = randomUUID();
    const created = await asAlice.put(`/v1/walks/${id}`, completedWalk());
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/v1/walks/${id}`);
    expect(created.body.version).toBe(1);
    const replaced = await asAlice.put(
      `/v1/walks/${id}`,
      completedWalk({ title: 'Renamed', locations: [location(7)] }),
    );
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('etag')).toBe('"2"');
    expect(replaced.body).toMatchObject({
      title: 'Renamed',
      version: 2,
      created_at: created.body.created_at,
    });
    expect(replaced.body.locations).toEqual([location(7)]);
    const { rows } = await db.pool.query('SELECT sequence_number FROM walk_locations WHERE walk_id = $1', [
      id,
    ]);
    expect(rows).toEqual([{ sequence_number: 7 }]);
  });

  it('is idempotent: a retried PUT with the same body leaves the same state', async () => {
    const id = randomUUID();
    const first = await asAlice.put(`/v1/walks/${id}`, completedWalk());
    const retry = await asAlice.put(`/v1/walks/${id}`, completedWalk());
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect((await asAlice.get(`/v1/walks/${id}`)).body).toEqual(first.body);
  });

  it('honours If-Match: a stale version is 412 and changes nothing, the current one writes', async () => {
    const id = randomUUID();
    await asAlice.put(`/v1/walks/${id}`, completedWalk());
    await asAlice.put(`/v1/walks/${id}`, completedWalk({ title: 'v2' }));
    const stale = await asAlice.put(`/v1/walks/${id}`, completedWalk({ title: 'stale' }), {
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('PRECONDITION_FAILED');
    expect((await asAlice.get(`/v1/walks/${id}`)).body).toMatchObject({ title: 'v2', version: 2 });
    const fresh = await asAlice.put(`/v1/walks/${id}`, completedWalk({ title: 'v3' }), {
      headers: { 'if-match': '"2"' },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ title: 'v3', version: 3 });
  });

  it('answers 412 for If-Match on a walk that does not exist, and 400 for a malformed If-Match', async () => {
    const missing = await asAlice.put(`/v1/walks/${randomUUID()}`, completedWalk(), {
      headers: { 'if-match': '"1"' },
    });
    expect(missing.status).toBe(412);
    const malformed = await asAlice.put(`/v1/walks/${randomUUID()}`, completedWalk(), {
      headers: { 'if-match': '1' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details).toEqual([{ field: 'If-Match', issue: 'invalid_format' }]);
  });

  it("answers PUT with If-Match on another user's walk exactly as on a missing one", async () => {
    const id = randomUUID();
    await asAlice.put(`/v1/walks/${id}`, completedWalk());
    for (const ifMatch of ['"1"', '*']) {
      const theirs = await asBob.put(`/v1/walks/${id}`, completedWalk({ title: 'mine now' }), {
        headers: { 'if-match': ifMatch },
      });
      const missing = await asBob.put(`/v1/walks/${randomUUID()}`, completedWalk({ title: 'mine now' }), {
        headers: { 'if-match': ifMatch },
      });
      expect([theirs.status, theirs.body.error.code, theirs.body.error.message]).toEqual([
        missing.status,
        missing.body.error.code,
        missing.body.error.message,
      ]);
      expect(theirs.status).toBe(412);
    }
    expect((await asAlice.get(`/v1/walks/${id}`)).body).toMatchObject({ title: 'Morning walk', version: 1 });
  });

  it.each([
    ['a weak tag of the current version', 'W/"1"'],
    ['a list of weak tags', 'W/"1", W/"2"'],
    ['an opaque tag that is no version', '"abc"'],
    ['a version with a leading zero', '"01"'],
  ])('answers 412 for If-Match with %s (strong comparison, RFC 9110)', async (_what, ifMatch) => {
    const id = randomUUID();
    await asAlice.put(`/v1/walks/${id}`, completedWalk());
    const put = await asAlice.put(`/v1/walks/${id}`, completedWalk({ title: 'weak' }), {
      headers: { 'if-match': ifMatch },
    });
    expect(put.status).toBe(412);
    expect(put.body.error.code).toBe('PRECONDITION_FAILED');
    const del = await asAlice.delete(`/v1/walks/${id}`, { headers: { 'if-match': ifMatch } });
    expect(del.status).toBe(412);
    expect((await asAlice.get(`/v1/walks/${id}`)).body).toMatchObject({ title: 'Morning walk', version: 1 });
  });

  it('accepts a list with the current version among weak and foreign tags', async () => {
    const id = randomUUID();
    await asAlice.put(`/v1/walks/${id}`, completedWalk());
    const res = await asAlice.put(`/v1/walks/${id}`, completedWalk({ title: 'v2' }), {
      headers: { 'if-match': 'W/"1", "x,y", "7" , "1"' },
    });
    expect(res.status).toBe(200);
    expect(res.body.version).toBe(2);
  });

  it.each([
    ['PUT', '"2147483648"'],
    ['DELETE', '"2147483648"'],
    ['DELETE', '"99999999999999999999"'],
  ])(
    'answers %s with If-Match %s beyond the version range as 400 naming the header',
    async (method, ifMatch) => {
      const id = randomUUID();
      await asAlice.put(`/v1/walks/${id}`, completedWalk());
      const options = { headers: { 'if-match': ifMatch } };
      const res =
        method === 'PUT'
          ? await asAlice.put(`/v1/walks/${id}`, completedWalk(), options)
          : await asAlice.delete(`/v1/walks/${id}`, options);
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ field: 'If-Match', issue: 'out_of_range' }]);
    },
  );

  it.each(['1', '"1', 'W/1', '"1" "2"', ',', ''])(
    'answers 400 for the malformed If-Match %j',
    async (ifMatch) => {
      const res = await asAlice.put(`/v1/walks/${randomUUID()}`, completedWalk(), {
        headers: { 'if-match': ifMatch },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ field: 'If-Match', issue: 'invalid_format' }]);
    },
  );

  it("answers 404 for another user's walk and leaves it alone", async () => {
    const id = randomUUID();
    await asAlice.put(`/v1/walks/${id}`, completedWalk());
    const res = await asBob.put(`/v1/walks/${id}`, completedWalk({ title: 'mine now' }));
    expect(res.status).toBe(404);
    expect((await asAlice.get(`/v1/walks/${id}`)).body).toMatchObject({ title: 'Morning walk', version: 1 });
  });

  it('answers 400 when the body id differs from the path id', async () => {
    const res = await asAlice.put(`/v1/walks/${randomUUID()}`, completedWalk({ id: randomUUID() }));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ field: 'id', issue: 'mismatch' }]);
  });

  it('lets exactly one of many concurrent PUTs with the same If-Match win', async () => {
    const id = randomUUID();
    await asAlice.put(`/v1/walks/${id}`, completedWalk());
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        asAlice.put(`/v1/walks/${id}`, completedWalk({ title: `writer ${i}` }), {
          headers: { 'if-match': '"1"' },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
    const winner = results.find((r) => r.status === 200)!;
    expect((await asAlice.get(`/v1/walks/${id}`)).body).toMatchObject({
      title: winner.body.title,
      version: 2,
    });
  });

  it('creates exactly once when concurrent PUTs race to create the same id', async () => {
    const id = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 5 }, () => asAlice.put(`/v1/walks/${id}`, completedWalk())),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200)).toHaveLength(4);
    expect((await asAlice.get(`/v1/walks/${id}`)).body.version).toBe(1);
  });

  it('writes a walk and its locations atomically: a refused location leaves no trace', async () => {
    // A stricter rule than the API's, only in this test database, so the failure happens mid-transaction.
    await db.pool.query(
      'ALTER TABLE walk_locations ADD CONSTRAINT test_no_altitude_666 CHECK (altitude <> 666)',
    );
    try {
      const id = randomUUID();
      const refused = await asAlice.put(
        `/v1/walks/${id}`,
        completedWalk({ locations: [location(0), location(1, { altitude: 666 })] }),
      );
      expect(refused.status).toBe(400);
      expect((await db.pool.query('SELECT 1 FROM walks WHERE id = $1', [id])).rowCount).toBe(0);

      await asAlice.put(`/v1/walks/${id}`, completedWalk());
      const again = await asAlice.put(
        `/v1/walks/${id}`,
        completedWalk({ title: 'changed', locations: [location(5, { altitude: 666 })] }),
      );
      expect(again.status).toBe(400);
      const stored = await asAlice.get(`/v1/walks/${id}`);
      expect(stored.body).toMatchObject({ title: 'Morning walk', version: 1 });
      expect(stored.body.locations).toHaveLength(3);
    } finally {
      await db.pool.query('ALTER TABLE walk_locations DROP CONSTRAINT test_no_altitude_666');
    }
  });

  it('stores 10000 locations in one request', async () => {
    const id = randomUUID();
    const many = Array.from({ length: 10_000 }, (_, i) => location(i));
    const res = await asAlice.put(`/v1/walks/${id}`, completedWalk({ locations: many }));
    expect(res.status).toBe(201);
    expect(res.body.locations).toHaveLength(10_000);
  });
});

describe('DELETE /v1/walks/{id}', () => {
  it('deletes the walk and its locations; a second DELETE is 404', async () => {
    const created = await asAlice.post('/v1/walks', completedWalk());
    const id = created.body.id;
    const res = await asAlice.delete(`/v1/walks/${id}`);
    expect(res.status).toBe(204);
    expect((await db.pool.query('SELECT 1 FROM walk_locations WHERE walk_id = $1', [id])).rowCount).toBe(0);
    expect((await asAlice.get(`/v1/walks/${id}`)).status).toBe(404);
    expect((await asAlice.delete(`/v1/walks/${id}`)).status).toBe(404);
  });

  it("answers 404 for another user's walk and keeps it", async () => {
    const created = await asAlice.post('/v1/walks', completedWalk());
    expect((await asBob.delete(`/v1/walks/${created.body.id}`)).status).toBe(404);
    expect((await asAlice.get(`/v1/walks/${created.body.id}`)).status).toBe(200);
  });

  it('honours If-Match', async () => {
    const created = await asAlice.post('/v1/walks', completedWalk());
    const stale = await asAlice.delete(`/v1/walks/${created.body.id}`, { headers: { 'if-match': '"7"' } });
    expect(stale.status).toBe(412);
    const current = await asAlice.delete(`/v1/walks/${created.body.id}`, { headers: { 'if-match': '"1"' } });
    expect(current.status).toBe(204);
  });
});

describe('validation: every rule is 400 INVALID_REQUEST naming the field', () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ['title missing', { title: undefined }, 'title', 'required'],
    ['title empty', { title: '' }, 'title', 'empty'],
    ['title over 100 characters', { title: 'x'.repeat(101) }, 'title', 'too_long'],
    ['title of the wrong type', { title: 5 }, 'title', 'invalid_type'],
    ['title with NUL', { title: 'a\u0000b' }, 'title', 'invalid_characters'],
    ['description over 500 characters', { description: 'd'.repeat(501) }, 'description', 'too_long'],
    ['unknown status', { status: 'walking' }, 'status', 'invalid_value'],
    ['start_time not RFC 3339', { start_time: '22/11/2026' }, 'start_time', 'invalid_format'],
    ['start_time without a time zone', { start_time: '2026-11-22T06:00:00' }, 'start_time', 'invalid_format'],
    ['end_time before start_time', { end_time: '2026-11-22T05:00:00Z' }, 'end_time', 'before_start_time'],
    ['completed without end_time', { end_time: null }, 'end_time', 'required'],
    ['negative total_distance', { total_distance: -1 }, 'total_distance', 'too_small'],
    ['negative total_paused_duration', { total_paused_duration: -5 }, 'total_paused_duration', 'too_small'],
    ['fractional total_steps', { total_steps: 1.5 }, 'total_steps', 'invalid_type'],
    ['total_steps as a string', { total_steps: '10' }, 'total_steps', 'invalid_type'],
    [
      'thumbnail over http',
      { thumbnail_image_url: 'http://cdn.example/t.png' },
      'thumbnail_image_url',
      'invalid_format',
    ],
    ['an unknown field', { colour: 'red' }, 'colour', 'unknown_field'],
    [
      'latitude over 90',
      { locations: [location(0, { latitude: 90.5 })] },
      'locations.0.latitude',
      'too_large',
    ],
    [
      'longitude under -180',
      { locations: [location(0, { longitude: -181 })] },
      'locations.0.longitude',
      'too_small',
    ],
    [
      'a location without timestamp',
      { locations: [location(0, { timestamp: undefined })] },
      'locations.0.timestamp',
      'required',
    ],
    [
      'a negative sequence_number',
      { locations: [location(0, { sequence_number: -1 })] },
      'locations.0.sequence_number',
      'too_small',
    ],
    [
      'a repeated sequence_number',
      { locations: [location(0), location(0)] },
      'locations.1.sequence_number',
      'duplicate',
    ],
    [
      'an unknown location field',
      { locations: [location(0, { floor: 2 })] },
      'locations.0.floor',
      'unknown_field',
    ],
    ['locations not a list', { locations: {} }, 'locations', 'invalid_type'],
    ['a non-UUID id', { id: 'walk-1' }, 'id', 'invalid_format'],
  ];

  it.each(cases)('%s', async (_what, overrides, field, issue) => {
    const res = await asAlice.post('/v1/walks', completedWalk(overrides));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
    expect(res.body.error.details).toContainEqual({ field, issue });
    expect(res.body.error.message).toContain(field);
  });

  it('refuses more than 10000 locations', async () => {
    const many = Array.from({ length: 10_001 }, (_, i) => ({
      sequence_number: i,
      latitude: 0,
      longitude: 0,
      timestamp: '2026-11-22T06:00:00Z',
    }));
    const res = await asAlice.put(`/v1/walks/${randomUUID()}`, completedWalk({ locations: many }));
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual({ field: 'locations', issue: 'too_many' });
  });

  it('counts title length in characters, not UTF-16 units', async () => {
    const res = await asAlice.post('/v1/walks', completedWalk({ title: '🚶'.repeat(100) }));
    expect(res.status).toBe(201);
    expect((await asAlice.post('/v1/walks', completedWalk({ title: '🚶'.repeat(101) }))).status).toBe(400);
  });

  it.each([
    ['a JSON array', [1, 2]],
    ['a JSON string', '"walk"'],
  ])('refuses a body that is %s', async (_what, body) => {
    const res = await asAlice.call('POST', '/v1/walks', {
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_REQUEST');
  });

  it('refuses a PUT without a body', async () => {
    const res = await asAlice.put(`/v1/walks/${randomUUID()}`, undefined);
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ field: 'body', issue: 'required' }]);
  });
});
