/** POST /v1/client-logs against the real app, PostgreSQL and Auth emulator; the log lines it writes. */
import { CLIENT_OPERATIONS, MAX_APP_VERSION_LABELS } from '../src/client-logs/labels';
import { MAX_ENTRIES_PER_BATCH } from '../src/client-logs/schemas';
import { scrub, scrubText } from '../src/client-logs/scrub';
import { clientUserHash } from '../src/client-logs/service';
import {
  apiClient,
  createTestDatabase,
  emulatorUser,
  startTestApp,
  type EmulatorUser,
  type TestApp,
  type TestDatabase,
} from './harness';
import { counterValue } from './sessions/helpers';

let db: TestDatabase;
let app: TestApp;
let alice: EmulatorUser;
let bob: EmulatorUser;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp({ db, env: { CLIENT_LOG_RATE_LIMIT: '1000', LOG_LEVEL: 'debug' } });
  [alice, bob] = await Promise.all([emulatorUser(), emulatorUser()]);
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

let sequence = 0;
function entry(overrides: Record<string, unknown> = {}) {
  sequence += 1;
  return {
    timestamp: '2026-05-01T09:30:12.345Z',
    level: 'INFO',
    correlation_id: `corr-${sequence}-${Math.random().toString(36).slice(2)}`,
    operation: 'walkSave',
    message: 'saved',
    ...overrides,
  };
}
const batch = (entries: unknown[], extra: Record<string, unknown> = {}) => ({
  app_version: '1.4.2',
  platform: 'ios',
  entries,
  ...extra,
});

/** The client lines written so far, parsed. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- log lines are asserted field by field
function clientLines(on: TestApp = app): any[] {
  return on
    .logLines()
    .map((line) => JSON.parse(line))
    .filter((line) => line.log_source === 'client');
}
const lineOf = (correlationId: string, on: TestApp = app) =>
  clientLines(on).find((l) => l.correlation_id === correlationId);

describe('POST /v1/client-logs', () => {
  it('accepts a batch with 202, writes one line per entry with the hashed user and drops unknown fields', async () => {
    const entries = [
      entry({
        level: 'ERROR',
        context: { walk_id: 'w-1', http_status: '503' },
        environment: { os_version: '18.4' },
        source: { file_name: 'WalkRepository.swift', line_number: 42, function_name: 'save()' },
        error_chain: {
          root_cause: 'timeout',
          error_sequence: [{ error_type: 'URLError', error_message: 'timed out' }],
        },
        performance_metrics: { execution_time: 1.25 },
        human_note: 'dropped',
        ai_todo: 'dropped',
      }),
      entry({ level: 'debug', operation: 'locationUpdate' }),
    ];
    const res = await apiClient(app.url, alice.authorization).post(
      '/v1/client-logs',
      batch(entries, { extra: 1 }),
    );
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ accepted: 2 });

    const line = lineOf(entries[0]!.correlation_id);
    expect(line).toMatchObject({
      severity: 'ERROR',
      message: 'saved',
      user_hash: clientUserHash(alice.uid),
      request_id: res.headers.get('x-request-id'),
      app_version: '1.4.2',
      platform: 'ios',
      client_level: 'error',
      client_timestamp: '2026-05-01T09:30:12.345Z',
      operation: 'walkSave',
      context: { walk_id: 'w-1', http_status: '503' },
      environment: { os_version: '18.4' },
      source: { file_name: 'WalkRepository.swift', line_number: 42, function_name: 'save()' },
      error_chain: { root_cause: 'timeout' },
      performance_metrics: { execution_time: 1.25 },
    });
    expect(line).not.toHaveProperty('human_note');
    expect(line).not.toHaveProperty('ai_todo');
    expect(line).not.toHaveProperty('user_id');
    expect(JSON.stringify(clientLines())).not.toContain(alice.uid);
    expect(lineOf(entries[1]!.correlation_id).severity).toBe('DEBUG');
    expect(
      await counterValue(app.deps.metrics.clientLogEntries, {
        level: 'error',
        operation: 'walkSave',
        app_version: '1.4.2',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('rejects bad batches with 400 naming the field, and writes none of their entries', async () => {
    const client = apiClient(app.url, alice.authorization);
    const before = clientLines().length;
    const invalidBefore = await counterValue(app.deps.metrics.clientLogBatches, { result: 'invalid' });
    const cases: [unknown, string][] = [
      [batch([]), 'entries'],
      [batch(Array.from({ length: MAX_ENTRIES_PER_BATCH + 1 }, () => entry())), 'entries'],
      [batch([entry(), entry({ level: 'loud' })]), 'entries.1.level'],
      [batch([entry({ timestamp: 'yesterday' })]), 'entries.0.timestamp'],
      [batch([entry()], { app_version: 'latest' }), 'app_version'],
      [batch([entry({ context: { n: 1 } })]), 'entries.0.context.n'],
      // under the body limit, over the entry limit once stored
      [
        batch([
          entry({
            message: 'x'.repeat(4000),
            context: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, 'v'.repeat(1000)])),
          }),
        ]),
        'entries.0',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await client.post('/v1/client-logs', body);
      expect({ field, status: res.status }).toEqual({ field, status: 400 });
      expect(res.body.error.code).toBe('INVALID_REQUEST');
      expect(res.body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    expect(clientLines().length).toBe(before);
    expect(await counterValue(app.deps.metrics.clientLogBatches, { result: 'invalid' })).toBe(
      invalidBefore + cases.length,
    );
  });

  it('answers 413 for a body over the batch limit and 401 without a valid token', async () => {
    const huge = batch([entry({ message: 'y'.repeat(600 * 1024) })]);
    expect((await apiClient(app.url, alice.authorization).post('/v1/client-logs', huge)).status).toBe(413);
    expect((await apiClient(app.url).post('/v1/client-logs', batch([entry()]))).status).toBe(401);
    expect(
      (await apiClient(app.url, 'Bearer not.a.token').post('/v1/client-logs', batch([entry()]))).status,
    ).toBe(401);
  });

  it('scrubs tokens, e-mail addresses, claimed identities and precise coordinates before writing', async () => {
    const jwt = alice.idToken;
    const e = entry({
      message: `login failed for ${alice.email} with Bearer ${jwt} at 35.681236, 139.767125`,
      context: {
        latitude: '35.681236',
        lng: '139.767125',
        refresh_token: 'C'.repeat(43),
        note: `token=${'D'.repeat(43)}; other@example.org`,
        user_id: bob.uid,
      },
      error_chain: { root_cause: `401 for ${jwt}` },
    });
    const res = await apiClient(app.url, alice.authorization).post('/v1/client-logs', batch([e]));
    expect(res.status).toBe(202);
    const raw = app.logLines().find((l) => l.includes(e.correlation_id))!;
    for (const secret of [
      jwt,
      alice.email,
      'other@example.org',
      'C'.repeat(43),
      'D'.repeat(43),
      bob.uid,
      '681236',
      '767125',
    ])
      expect(raw).not.toContain(secret);
    const line = JSON.parse(raw);
    expect(line.message).toBe('login failed for [EMAIL] with Bearer [REDACTED] at 35.68, 139.77');
    expect(line.context).toEqual({
      latitude: '35.68',
      lng: '139.77',
      refresh_token: '[REDACTED]',
      note: 'token=[REDACTED]; [EMAIL]',
      user_id: '[REDACTED]',
    });
    expect(line.error_chain.root_cause).toBe('401 for [REDACTED]');
  });

  it('keeps the configured coordinate precision', async () => {
    const precise = await startTestApp({ db, env: { CLIENT_LOG_COORDINATE_DECIMALS: '4' } });
    try {
      const e = entry({ context: { latitude: '35.681236' }, message: 'at lat=35.681236 lon=139.767125' });
      expect(
        (await apiClient(precise.url, alice.authorization).post('/v1/client-logs', batch([e]))).status,
      ).toBe(202);
      const line = lineOf(e.correlation_id, precise);
      expect(line.context.latitude).toBe('35.6812');
      expect(line.message).toBe('at lat=35.6812 lon=139.7671');
    } finally {
      await precise.close();
    }
  });

  it('attributes each batch to its own sender, even when batches interleave', async () => {
    const sent = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const user = i % 2 === 0 ? alice : bob;
        const entries = [entry({ context: { user_id: (user === alice ? bob : alice).uid } }), entry()];
        const res = await apiClient(app.url, user.authorization).post('/v1/client-logs', batch(entries));
        expect(res.status).toBe(202);
        return { user, entries };
      }),
    );
    for (const { user, entries } of sent) {
      for (const e of entries) expect(lineOf(e.correlation_id).user_hash).toBe(clientUserHash(user.uid));
    }
    expect(clientUserHash(alice.uid)).not.toBe(clientUserHash(bob.uid));
  });

  it('rate-limits per user with 429 and Retry-After; another user keeps their budget', async () => {
    const limited = await startTestApp({ db, env: { CLIENT_LOG_RATE_LIMIT: '2', LOG_LEVEL: 'warn' } });
    try {
      const asAlice = apiClient(limited.url, alice.authorization);
      expect((await asAlice.post('/v1/client-logs', batch([entry()]))).status).toBe(202);
      expect((await asAlice.post('/v1/client-logs', batch([entry()]))).status).toBe(202);
      const res = await asAlice.post('/v1/client-logs', batch([entry()]));
      expect(res.status).toBe(429);
      expect(res.body.error.code).toBe('RATE_LIMITED');
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(await counterValue(limited.deps.metrics.clientLogBatches, { result: 'rate_limited' })).toBe(1);
      expect(
        (await apiClient(limited.url, bob.authorization).post('/v1/client-logs', batch([entry()]))).status,
      ).toBe(202);
    } finally {
      await limited.close();
    }
  });

  it('keeps metric label values bounded under adversarial operation names and app versions', async () => {
    const fresh = await startTestApp({ db, env: { CLIENT_LOG_RATE_LIMIT: '1000', LOG_LEVEL: 'warn' } });
    try {
      const client = apiClient(fresh.url, alice.authorization);
      for (let v = 0; v < MAX_APP_VERSION_LABELS + 15; v++) {
        const entries = Array.from({ length: MAX_ENTRIES_PER_BATCH }, (_, i) =>
          entry({
            operation:
              i % 2 ? `evil-${v}-${i}-${Math.random()}` : CLIENT_OPERATIONS[i % CLIENT_OPERATIONS.length],
          }),
        );
        expect(
          (await client.post('/v1/client-logs', batch(entries, { app_version: `9.${v}.0-evil${v}` }))).status,
        ).toBe(202);
      }
      const { values } = await fresh.deps.metrics.clientLogEntries.get();
      const operations = new Set(values.map((x) => x.labels.operation));
      const versions = new Set(values.map((x) => x.labels.app_version));
      expect(
        [...operations].every(
          (op) => op === 'other' || (CLIENT_OPERATIONS as readonly unknown[]).includes(op),
        ),
      ).toBe(true);
      expect(operations.has('other')).toBe(true);
      expect(versions.size).toBe(MAX_APP_VERSION_LABELS + 1); // the first N, then `other`
      expect(versions.has('other')).toBe(true);
      expect([...versions].some((v) => String(v).includes('evil'))).toBe(false);
      expect(values.length).toBeLessThanOrEqual(
        5 * (CLIENT_OPERATIONS.length + 1) * (MAX_APP_VERSION_LABELS + 1),
      );
    } finally {
      await fresh.close();
    }
  });

  it('is in the OpenAPI document with bearer auth and its statuses', async () => {
    const res = await apiClient(app.url).get('/openapi.json');
    const operation = res.body.paths['/v1/client-logs'].post;
    expect(operation.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(operation.responses).sort()).toEqual(['202', '400', '401', '413', '429']);
    expect(res.body.components.schemas.ClientLogBatch.required).toEqual([
      'app_version',
      'platform',
      'entries',
    ]);
  });
});

describe('scrub', () => {
  const options = { coordinateDecimals: 2 };
  it('leaves ordinary text and coarse numbers alone', () => {
    expect(scrubText('walk 3 of 10 saved in 1.5, 2.5 s', options)).toBe('walk 3 of 10 saved in 1.5, 2.5 s');
    expect(scrub({ steps: 1234, latitude: 35.681236 }, options)).toEqual({ steps: 1234, latitude: 35.68 });
  });
  it('redacts values under secret-looking keys whatever they contain', () => {
    expect(scrub({ api_key: 'abc', Authorization: 'x', nested: { password: 'p' } }, options)).toEqual({
      api_key: '[REDACTED]',
      Authorization: '[REDACTED]',
      nested: { password: '[REDACTED]' },
    });
  });
});
