/** GET /v1/policies/* and `npm run policy`: real PostgreSQL, the operator command as run. */
import type { Clock } from '../../src/lifecycle';
import { apiClient, createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../harness';
import { policyCli, policyFile, publish, writeYaml } from './helpers';

const HOUR = 3_600_000;
let db: TestDatabase;
let app: TestApp;
let now = new Date();
const clock: Clock = { now: () => now };

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp({ db, deps: (deps) => ({ ...deps, clock }) });
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

const anonymous = () => apiClient(app.url);

describe('policies', () => {
  it('answers 404 while no policy is in effect', async () => {
    const res = await anonymous().get('/v1/policies/current');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });

  it('switches the current version at effective_date, and caches no longer than until then', async () => {
    now = new Date();
    await publish(db.url, policyFile('1.0', new Date(now.getTime() + 1000)));
    await publish(db.url, policyFile('2.0', new Date(now.getTime() + 2 * HOUR)));
    now = new Date(now.getTime() + 2000);

    const first = await anonymous().get('/v1/policies/current');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      version: '1.0',
      privacy_policy: { ja: 'プライバシーポリシー 1.0', en: 'Privacy policy 1.0' },
      terms_of_service: { ja: '利用規約 1.0' },
    });
    expect(first.body.terms_of_service).not.toHaveProperty('en');
    expect(first.headers.get('etag')).toBe('"1.0"');
    const maxAge = Number(/max-age=(\d+)/.exec(first.headers.get('cache-control')!)![1]);
    expect(maxAge).toBeGreaterThan(2 * 3600 - 10);
    expect(maxAge).toBeLessThanOrEqual(2 * 3600);

    now = new Date(now.getTime() + 2 * HOUR);
    const second = await anonymous().get('/v1/policies/current');
    expect(second.body.version).toBe('2.0');
    expect(second.headers.get('cache-control')).toBe('public, max-age=86400');
  });

  it('answers 304 to If-None-Match with the current ETag, 200 once the version changed', async () => {
    const current = await anonymous().get('/v1/policies/current');
    const etag = current.headers.get('etag')!;
    const unchanged = await anonymous().get('/v1/policies/current', {
      headers: { 'if-none-match': `W/${etag}` },
    });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body).toBeUndefined();
    const stale = await anonymous().get('/v1/policies/current', { headers: { 'if-none-match': '"1.0"' } });
    expect(stale.status).toBe(200);
  });

  it('serves any published version, immutable and cacheable for a day, to anyone', async () => {
    const res = await apiClient(app.url, 'Bearer not.a.token').get('/v1/policies/1.0');
    expect(res.status).toBe(200);
    expect(res.body.version).toBe('1.0');
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400, immutable');
    const again = await anonymous().get('/v1/policies/1.0', { headers: { 'if-none-match': '"1.0"' } });
    expect(again.status).toBe(304);
    expect((await anonymous().get('/v1/policies/9.9')).status).toBe(404);
    const bad = await anonymous().get('/v1/policies/..%2Fx');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].field).toBe('version');
  });

  it('offers no write path over HTTP', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await anonymous().call(method, '/v1/policies/3.0', { body: policyFile('3.0', new Date()) });
      expect(res.status).toBe(405);
    }
  });
});

describe('npm run policy', () => {
  it('refuses a policy without Japanese text, naming the field, and writes nothing', async () => {
    const file = writeYaml('no-ja.yml', {
      ...policyFile('3.0', new Date(Date.now() + HOUR)),
      privacy_policy: { en: 'English only' },
    });
    const result = await policyCli(db.url, 'publish', file);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/privacy_policy\.ja/);
    expect((await db.pool.query(`SELECT 1 FROM policies WHERE version = '3.0'`)).rowCount).toBe(0);
  });

  it('refuses an effective date in the past unless --force', async () => {
    const past = policyFile('0.9', new Date(Date.now() - HOUR));
    const file = writeYaml('past.yml', past);
    const refused = await policyCli(db.url, 'publish', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/in the past.*--force/);
    const forced = await policyCli(db.url, 'publish', file, '--force');
    expect(forced.code).toBe(0);
    const { rows } = await db.pool.query(
      `SELECT backdated, published_by FROM policies WHERE version = '0.9'`,
    );
    expect(rows).toEqual([{ backdated: true, published_by: expect.any(String) }]);
  });

  it('never changes a published version: a second publish is refused, and the database refuses an UPDATE', async () => {
    const again = await policyCli(
      db.url,
      'publish',
      writeYaml('again.yml', policyFile('1.0', new Date(Date.now() + HOUR))),
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already published/);
    await expect(
      db.pool.query(`UPDATE policies SET privacy_policy_ja = 'x' WHERE version = '1.0'`),
    ).rejects.toThrow(/immutable/);
    await expect(db.pool.query(`DELETE FROM policies WHERE version = '1.0'`)).rejects.toThrow(/immutable/);
  });

  it('the database refuses what the command would (blank Japanese, a backdate not marked as one)', async () => {
    await expect(
      db.pool.query(
        `INSERT INTO policies (version, privacy_policy_ja, terms_of_service_ja, effective_date) VALUES ('x', ' ', 'y', now() + interval '1 day')`,
      ),
    ).rejects.toThrow(/check constraint/);
    await expect(
      db.pool.query(
        `INSERT INTO policies (version, privacy_policy_ja, terms_of_service_ja, effective_date) VALUES ('y', 'x', 'y', now() - interval '1 day')`,
      ),
    ).rejects.toThrow(/check constraint/);
  });

  it('lists versions and rejects a bad command line with exit 2', async () => {
    const list = await policyCli(db.url, 'list');
    expect(list.code).toBe(0);
    expect(
      list.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).version),
    ).toEqual(['2.0', '1.0', '0.9']);
    expect((await policyCli(db.url, 'delete', 'x')).code).toBe(2);
    expect((await policyCli(db.url, 'publish')).code).toBe(2);
  });

  it('says in words when another version already takes effect at the same time', async () => {
    const at = new Date(Date.now() + 5 * HOUR);
    expect((await policyCli(db.url, 'publish', writeYaml('a.yml', policyFile('7.0', at)))).code).toBe(0);
    const clash = await policyCli(db.url, 'publish', writeYaml('b.yml', policyFile('7.1', at)));
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/another version already takes effect at .*pick another effective_date/);
    expect(clash.stderr).not.toMatch(/duplicate key/);
  });
});
