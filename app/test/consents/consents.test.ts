/** POST/GET /v1/consents and /v1/consents/status against real PostgreSQL and Auth emulator tokens. */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../src/lifecycle';
import {
  apiClient,
  createTestDatabase,
  emulatorUser,
  startTestApp,
  type ApiClient,
  type EmulatorUser,
  type TestApp,
  type TestDatabase,
} from '../harness';
import { policyFile, publish } from '../policies/helpers';

const HOUR = 3_600_000;
let db: TestDatabase;
let app: TestApp;
let now = new Date();
const clock: Clock = { now: () => now };
const tick = () => (now = new Date(now.getTime() + 1000));

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp({ db, deps: (deps) => ({ ...deps, clock }) });
  await publish(db.url, policyFile('1.0', new Date(Date.now() + 1000)));
  now = new Date(Date.now() + 2000);
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

async function newUser(): Promise<{ user: EmulatorUser; client: ApiClient }> {
  const user = await emulatorUser();
  return { user, client: apiClient(app.url, user.authorization) };
}

const consent = (overrides: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  policy_version: '1.0',
  consent_type: 'initial',
  device_platform: 'iOS',
  device_os_version: '18.2',
  device_app_version: '1.4.0',
  ...overrides,
});

const recorded = async (type: string) =>
  (await app.deps.metrics.registry.getSingleMetric('consents_recorded_total')!.get()).values.find(
    (v) => v.labels.consent_type === type,
  )?.value ?? 0;

describe('POST /v1/consents', () => {
  it('records a consent once: a retry answers 200 with the stored one and records nothing', async () => {
    const { user, client } = await newUser();
    const before = await recorded('initial');
    const body = consent();
    const first = await client.post('/v1/consents', body);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      ...body,
      consented_at: now.toISOString().replace('Z', '000Z'),
    });
    tick();
    const retry = await client.post('/v1/consents', body);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM consents WHERE user_id = $1', [
      user.uid,
    ]);
    expect(rows[0].n).toBe(1);
    expect(await recorded('initial')).toBe(before + 1);
  });

  it('records concurrent retries of one consent exactly once', async () => {
    const { user, client } = await newUser();
    const body = consent();
    const answers = await Promise.all(Array.from({ length: 6 }, () => client.post('/v1/consents', body)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM consents WHERE user_id = $1', [
      user.uid,
    ]);
    expect(rows[0].n).toBe(1);
  });

  it('refuses the same id with different content (409), keeping the first', async () => {
    const { client } = await newUser();
    const body = consent();
    expect((await client.post('/v1/consents', body)).status).toBe(201);
    const changed = await client.post('/v1/consents', { ...body, consent_type: 'update' });
    expect(changed.status).toBe(409);
    expect(changed.body.error.code).toBe('CONFLICT');
    expect((await client.get('/v1/consents')).body.consents).toHaveLength(1);
  });

  it('refuses an unpublished policy_version and invalid fields, naming them', async () => {
    const { client } = await newUser();
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ policy_version: '9.9' }, 'policy_version', 'unknown_version'],
      [{ consent_type: 'maybe' }, 'consent_type', 'invalid_value'],
      [{ device_platform: 'x'.repeat(33) }, 'device_platform', 'too_long'],
      [{ id: 'has space' }, 'id', 'invalid_format'],
      [{ extra: 1 }, 'extra', 'unknown_field'],
      [{ id: undefined }, 'id', 'required'],
    ];
    for (const [overrides, field, issue] of cases) {
      const res = await client.post('/v1/consents', consent(overrides));
      expect([res.status, res.body.error.details[0]]).toEqual([400, { field, issue }]);
    }
    expect((await client.get('/v1/consents')).body.consents).toEqual([]);
  });

  it('requires a valid token', async () => {
    expect((await apiClient(app.url).post('/v1/consents', consent())).status).toBe(401);
    expect((await apiClient(app.url, 'Bearer x.y.z').get('/v1/consents/status')).status).toBe(401);
    expect((await apiClient(app.url).get('/v1/consents')).status).toBe(401);
  });
});

describe('GET /v1/consents', () => {
  it('lists only the caller’s consents, newest first, in pages; the same id is separate per user', async () => {
    const a = await newUser();
    const b = await newUser();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      tick();
      const body = consent({ consent_type: i === 0 ? 'initial' : 'update' });
      ids.push(body.id);
      expect((await a.client.post('/v1/consents', body)).status).toBe(201);
    }
    // b reuses a's id: a consent of its own, a's untouched
    expect((await b.client.post('/v1/consents', consent({ id: ids[0] }))).status).toBe(201);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await a.client.get(`/v1/consents${query}`);
      expect(page.status).toBe(200);
      expect(page.body.consents.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.consents.map((c: { id: string }) => c.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const ofB = await b.client.get('/v1/consents');
    expect(ofB.body.consents.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
    expect(JSON.stringify(ofB.body)).not.toContain(a.user.uid);

    const bad = await a.client.get('/v1/consents?cursor=bm9wZQ');
    expect([bad.status, bad.body.error.details[0].field]).toEqual([400, 'cursor']);
    expect((await a.client.get('/v1/consents?limit=101')).status).toBe(400);
  });

  it('loses the consents with the account (ON DELETE CASCADE)', async () => {
    const { user, client } = await newUser();
    await client.post('/v1/consents', consent());
    await db.pool.query('DELETE FROM users WHERE id = $1', [user.uid]);
    const { rows } = await db.pool.query('SELECT 1 FROM consents WHERE user_id = $1', [user.uid]);
    expect(rows).toEqual([]);
  });
});

describe('GET /v1/consents/status', () => {
  it('follows consents, a new version at its effective date, consent ahead of it, and withdrawal', async () => {
    const { client } = await newUser();
    const status = async () => (await client.get('/v1/consents/status')).body;
    expect(await status()).toEqual({
      current_policy_version: '1.0',
      consented_version: null,
      needs_consent: true,
    });

    tick();
    await client.post('/v1/consents', consent());
    expect(await status()).toEqual({
      current_policy_version: '1.0',
      consented_version: '1.0',
      needs_consent: false,
    });

    const effective = new Date(now.getTime() + HOUR);
    await publish(db.url, policyFile('2.0', effective));
    expect((await status()).needs_consent).toBe(false);
    now = new Date(effective.getTime() + 1000);
    expect(await status()).toEqual({
      current_policy_version: '2.0',
      consented_version: '1.0',
      needs_consent: true,
    });

    tick();
    await client.post('/v1/consents', consent({ policy_version: '2.0', consent_type: 'update' }));
    expect(await status()).toEqual({
      current_policy_version: '2.0',
      consented_version: '2.0',
      needs_consent: false,
    });

    // an older consent replayed later (an offline queue) does not undo the newer one
    tick();
    await client.post('/v1/consents', consent());
    expect((await status()).consented_version).toBe('2.0');

    tick();
    const withdrawal = await client.post(
      '/v1/consents',
      consent({ policy_version: '2.0', consent_type: 'withdrawal' }),
    );
    expect(withdrawal.status).toBe(201);
    expect(await status()).toEqual({
      current_policy_version: '2.0',
      consented_version: null,
      needs_consent: true,
    });
    const history = (await client.get('/v1/consents')).body.consents.map(
      (c: { consent_type: string }) => c.consent_type,
    );
    expect(history).toEqual(['withdrawal', 'initial', 'update', 'initial']);

    // consenting to a version published ahead of time satisfies the current one
    await publish(db.url, policyFile('3.0', new Date(Date.now() + 10 * HOUR)));
    tick();
    await client.post('/v1/consents', consent({ policy_version: '3.0', consent_type: 'update' }));
    expect(await status()).toEqual({
      current_policy_version: '2.0',
      consented_version: '3.0',
      needs_consent: false,
    });
  });

  it('orders a consent sent late from an offline device by when the user decided, not when it arrived', async () => {
    const { client } = await newUser();
    const status = async () => (await client.get('/v1/consents/status')).body;
    const decidedEarlier = new Date(now.getTime() - HOUR).toISOString();
    tick();
    await client.post('/v1/consents', consent({ policy_version: '2.0', consent_type: 'withdrawal' }));
    tick();
    // decided an hour before the withdrawal, delivered after it: the withdrawal stands
    const late = await client.post(
      '/v1/consents',
      consent({ policy_version: '2.0', consented_at: decidedEarlier }),
    );
    expect(late.status).toBe(201);
    expect(late.body.consented_at).toBe(decidedEarlier.replace(/Z$/, '000Z'));
    expect((await status()).needs_consent).toBe(true);
    tick();
    await client.post('/v1/consents', consent({ policy_version: '2.0', consent_type: 'update' }));
    expect((await status()).needs_consent).toBe(false);

    const future = await client.post(
      '/v1/consents',
      consent({ consented_at: new Date(now.getTime() + HOUR).toISOString() }),
    );
    expect([future.status, future.body.error.details[0].field]).toEqual([400, 'consented_at']);
    const old = await client.post(
      '/v1/consents',
      consent({ consented_at: new Date(now.getTime() - 31 * 24 * HOUR).toISOString() }),
    );
    expect([old.status, old.body.error.details[0].issue]).toEqual([400, 'too_old']);
  });

  it('treats a consent to a version unknown here (migrated from Firestore) as older than the current one', async () => {
    const { user, client } = await newUser();
    await client.post('/v1/consents', consent());
    await db.pool.query(
      `INSERT INTO consents (user_id, consent_id, policy_version, consented_at, consent_type)
       VALUES ($1, 'firestoreAutoId000001', '0.1-legacy', now(), 'initial')`,
      [user.uid],
    );
    expect((await client.get('/v1/consents/status')).body.consented_version).toBe('1.0');

    const legacyOnly = await newUser();
    await db.pool.query(`INSERT INTO users (id) VALUES ($1)`, [legacyOnly.user.uid]);
    await db.pool.query(
      `INSERT INTO consents (user_id, consent_id, policy_version, consented_at, consent_type)
       VALUES ($1, 'firestoreAutoId000002', '0.1-legacy', now(), 'initial')`,
      [legacyOnly.user.uid],
    );
    expect((await legacyOnly.client.get('/v1/consents/status')).body).toMatchObject({
      consented_version: '0.1-legacy',
      needs_consent: true,
    });
  });
});
