import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness';

/** The JSON body, typed loosely: tests assert on it field by field. */
const json = (res: Response) => res.json() as Promise<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any

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

describe('operational endpoints', () => {
  it('GET /healthz answers ok', async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers ready when the database is migrated', async () => {
    const res = await fetch(`${app.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ status: 'ready' });
  });

  it('GET /readyz answers 503 migrations_pending when a shipped migration is not applied', async () => {
    const lagging = await startTestApp({
      db,
      deps: (deps) => ({ ...deps, shippedMigrations: [...deps.shippedMigrations, '9999_not_applied'] }),
    });
    try {
      const res = await fetch(`${lagging.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await json(res)).toEqual({ status: 'not_ready', reason: 'migrations_pending' });
    } finally {
      await lagging.close();
    }
  });

  it('GET /readyz answers 503 shutting_down once shutdown begins', async () => {
    const stopping = await startTestApp({ db });
    try {
      stopping.deps.lifecycle.beginShutdown('test');
      const res = await fetch(`${stopping.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await json(res)).toEqual({ status: 'not_ready', reason: 'shutting_down' });
    } finally {
      await stopping.close();
    }
  });
});

describe('HTTP conventions', () => {
  it('answers unknown routes with 404 in the error envelope', async () => {
    const res = await fetch(`${app.url}/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await json(res);
    expect(body).toEqual({
      error: { code: 'NOT_FOUND', message: expect.any(String), request_id: res.headers.get('x-request-id') },
    });
  });

  it.each(['/v1/walks/%ZZ', '/v1/walks/%E0%A4%A', '/nope/%ZZ', '/v1/%ZZ'])(
    'answers %s (invalid percent-encoding or no route) with a 4xx in the error envelope, never 5xx',
    async (path) => {
      const res = await fetch(`${app.url}${path}`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const body = await json(res);
      expect(body.error.request_id).toBe(res.headers.get('x-request-id'));
      if (path.startsWith('/v1/walks/')) {
        expect(res.status).toBe(400);
        expect(body.error).toMatchObject({
          code: 'INVALID_REQUEST',
          details: [{ field: 'path', issue: 'invalid_encoding' }],
        });
      }
    },
  );

  it('echoes a sane X-Request-Id and replaces an insane one', async () => {
    const mine = await fetch(`${app.url}/healthz`, { headers: { 'x-request-id': 'abc-12345678' } });
    expect(mine.headers.get('x-request-id')).toBe('abc-12345678');
    const insane = await fetch(`${app.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(insane.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const none = await fetch(`${app.url}/healthz`);
    expect(none.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets helmet security headers', async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('answers 415 for a body that is not application/json', async () => {
    const res = await fetch(`${app.url}/v1/walks`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(res.status).toBe(415);
    expect((await json(res)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 413 for a JSON body over 2 MiB, and over 4 MiB for a walk write', async () => {
    const over = (mib: number) =>
      JSON.stringify({ title: 'x', polyline_data: 'a'.repeat(mib * 1024 * 1024) });
    const post = (path: string, body: string) =>
      fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const walk = await post('/v1/walks', over(4));
    expect(walk.status).toBe(413);
    expect((await json(walk)).error).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      message: expect.stringContaining('4 MiB'),
    });
    const login = await post('/v1/sessions/login', over(2));
    expect(login.status).toBe(413);
    expect((await json(login)).error.message).toContain('2 MiB');
  });

  it('answers 400 INVALID_REQUEST for malformed JSON', async () => {
    const res = await fetch(`${app.url}/v1/walks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"title": ',
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.code).toBe('INVALID_REQUEST');
    expect(body.error.details).toEqual([{ field: 'body', issue: 'invalid_json' }]);
  });

  it('serves an OpenAPI 3.1 document', async () => {
    const res = await fetch(`${app.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = await json(res);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz']));
  });
});

describe('unexpected errors', () => {
  it('answer 500 INTERNAL_ERROR without internals, and are logged with their stack', async () => {
    const broken = await startTestApp({
      db,
      deps: (deps) => ({
        ...deps,
        verifiers: {
          firebase: {
            issuer: deps.verifiers.firebase.issuer,
            verify: async () => {
              throw new Error('relation "secret_table" does not exist');
            },
          },
        },
      }),
    });
    try {
      const claims = Buffer.from(JSON.stringify({ iss: broken.deps.verifiers.firebase.issuer })).toString(
        'base64url',
      );
      const res = await fetch(`${broken.url}/v1/walks`, {
        headers: { authorization: `Bearer e30.${claims}.x` },
      });
      expect(res.status).toBe(500);
      const body = await json(res);
      expect(body).toEqual({
        error: {
          code: 'INTERNAL_ERROR',
          message: 'internal error',
          request_id: res.headers.get('x-request-id'),
        },
      });
      expect(JSON.stringify(body)).not.toContain('secret_table');
      const logged = broken.logLines().find((line) => line.includes('unhandled error'));
      expect(logged).toContain('secret_table');
      expect(JSON.parse(logged!)).toMatchObject({ severity: 'ERROR', err: { stack: expect.any(String) } });
      // the process keeps serving
      expect((await fetch(`${broken.url}/healthz`)).status).toBe(200);
    } finally {
      await broken.close();
    }
  });
});
