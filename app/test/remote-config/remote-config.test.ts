/** GET /v1/config with templates, and `npm run remote-config`: real PostgreSQL and emulator tokens. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { inBackendCohort } from '../../src/appconfig/rollout';
import { runCommand } from '../../src/cli';
import type { Clock } from '../../src/lifecycle';
import { REMOTE_CONFIG_COMMAND, remoteConfigMain } from '../../src/remote-config/cli';
import { publishTemplate, TEMPLATE_REFRESH_MS } from '../../src/remote-config/service';
import {
  apiClient,
  createTestDatabase,
  emulatorUser,
  startTestApp,
  type EmulatorUser,
  type TestApp,
  type TestDatabase,
} from '../harness';

let db: TestDatabase;
let app: TestApp;
let user: EmulatorUser;
let now = new Date();
const clock: Clock = { now: () => now };
/** Past the replicas' template refresh: the next request reads the database. */
const propagate = () => (now = new Date(now.getTime() + TEMPLATE_REFRESH_MS + 1));
const dir = mkdtempSync(path.join(tmpdir(), 'remote-config-'));

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp({ db, env: { ROLLOUT_PERCENT: '50' }, deps: (deps) => ({ ...deps, clock }) });
  user = await emulatorUser();
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

async function cli(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCommand(
    REMOTE_CONFIG_COMMAND,
    [...args, '--database-url', db.url],
    (parsed) => remoteConfigMain(parsed, (line) => void (stdout += `${line}\n`)),
    { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t) },
  );
  return { code, stdout, stderr };
}

function file(name: string, template: unknown): string {
  const target = path.join(dir, name);
  writeFileSync(target, stringify(template));
  return target;
}

const getConfig = (query = '', headers: Record<string, string> = {}) =>
  apiClient(app.url, user.authorization).get(`/v1/config${query}`, { headers });

const served = async (version: string, result: string) =>
  (await app.deps.metrics.registry.getSingleMetric('config_served_total')!.get()).values.find(
    (v) => v.labels.template_version === version && v.labels.result === result,
  )?.value ?? 0;

const V1 = {
  conditions: [
    { name: 'new_ios', platforms: ['ios'], min_app_version: '1.4' },
    { name: 'test_env', environments: ['test'] },
    { name: 'prod_only', environments: ['prod'] },
  ],
  parameters: {
    daily_step_goal: {
      type: 'number',
      default_value: 5000,
      conditional_values: [
        { condition: 'prod_only', value: 1 },
        { condition: 'new_ios', value: 8000 },
      ],
    },
    welcome_text: {
      type: 'string',
      default_value: 'ようこそ',
      conditional_values: [{ condition: 'test_env', value: 'test' }],
    },
    map_style: { type: 'json', default_value: { theme: 'light', zoom: 15 } },
  },
};

describe('GET /v1/config', () => {
  it('answers the cohort as before, version 0 and only backend_cohort while nothing is published', async () => {
    const res = await getConfig();
    expect(res.status).toBe(200);
    const cohort = inBackendCohort(user.uid, 50);
    expect(res.body).toEqual({
      backend_cohort: cohort,
      rollout_percent: 50,
      template_version: 0,
      parameters: { backend_cohort: cohort },
    });
    expect(res.headers.get('etag')).toMatch(/^"[\w-]{27}"$/);
  });

  it('resolves the published template for the caller (environment, platform, app version)', async () => {
    const published = await cli(
      'publish',
      file('v1.yml', V1),
      '--base-version',
      '0',
      '--description',
      'first',
    );
    expect([published.code, published.stderr]).toEqual([0, '']);
    propagate();
    const plain = await getConfig();
    expect(plain.body.template_version).toBe(1);
    expect(plain.body.parameters).toEqual({
      backend_cohort: inBackendCohort(user.uid, 50),
      daily_step_goal: 5000,
      welcome_text: 'test',
      map_style: { theme: 'light', zoom: 15 },
    });
    expect((await getConfig('?platform=ios&app_version=1.4.0')).body.parameters.daily_step_goal).toBe(8000);
    expect((await getConfig('?platform=ios&app_version=1.3.9')).body.parameters.daily_step_goal).toBe(5000);
    expect((await getConfig('?platform=android&app_version=2.0')).body.parameters.daily_step_goal).toBe(5000);
    const bad = await getConfig('?platform=windows');
    expect([bad.status, bad.body.error.details[0].field]).toEqual([400, 'platform']);
    expect((await getConfig('?app_version=latest')).status).toBe(400);
  });

  it('answers 304 while the answer is unchanged, 200 with a new ETag after a publish, and counts both', async () => {
    const first = await getConfig();
    const etag = first.headers.get('etag')!;
    const before304 = await served('1', '304');
    const again = await getConfig('', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(await served('1', '304')).toBe(before304 + 1);
    // a different platform is a different answer
    expect((await getConfig('?platform=ios&app_version=1.4', { 'if-none-match': etag })).status).toBe(200);

    const v2 = {
      ...V1,
      parameters: { ...V1.parameters, map_style: { type: 'json', default_value: { theme: 'dark' } } },
    };
    expect((await cli('publish', file('v2.yml', v2), '--base-version', '1')).code).toBe(0);
    // until the refresh interval passes a replica keeps serving the version it read
    expect((await getConfig('', { 'if-none-match': etag })).status).toBe(304);
    propagate();
    const changed = await getConfig('', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.body.template_version).toBe(2);
    expect(changed.body.parameters.map_style).toEqual({ theme: 'dark' });
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(await served('2', '200')).toBeGreaterThanOrEqual(1);
  });

  it('keeps serving the last template read while the database is unreachable', async () => {
    const before = await getConfig();
    propagate();
    const broken = await startTestApp({
      db,
      env: { ROLLOUT_PERCENT: '50', DB_CONNECTION_TIMEOUT_MS: '200' },
      deps: (deps) => ({ ...deps, clock }),
    });
    try {
      const client = apiClient(broken.url, user.authorization);
      expect((await client.get('/v1/config')).body.template_version).toBe(before.body.template_version);
      propagate();
      await broken.deps.pool.end();
      const res = await client.get('/v1/config');
      expect(res.status).toBe(200);
      expect(res.body).toEqual(before.body);
    } finally {
      await broken.server.close();
    }
  });
});

describe('a stored version this code no longer accepts', () => {
  it('never turns GET /v1/config into a 500: the cohort answer stays, the error is logged', async () => {
    // A separate database: the version stays there (history is immutable).
    const other = await createTestDatabase();
    try {
      await other.pool.query(
        `INSERT INTO config_templates (version, template) VALUES (1, '{"parameters": {"x": {"type": "color"}}, "conditions": []}')`,
      );
      const app = await startTestApp({ db: other, env: { ROLLOUT_PERCENT: '100' } });
      try {
        const res = await apiClient(app.url, user.authorization).get('/v1/config');
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ backend_cohort: true, template_version: 0 });
      } finally {
        await app.server.close();
      }
    } finally {
      await other.drop();
    }
  });
});

describe('npm run remote-config', () => {
  it('refuses a stale base version and an invalid template, writing nothing', async () => {
    const stale = await cli('publish', file('stale.yml', V1), '--base-version', '1');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/stale base version 1: the current version is 2/);
    const invalid = await cli(
      'publish',
      file('bad.yml', { parameters: { backend_cohort: { type: 'boolean', default_value: true } } }),
      '--base-version',
      '2',
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/parameters\.backend_cohort/);
    expect((await cli('publish', file('x.yml', V1))).code).toBe(2);
    const { rows } = await db.pool.query('SELECT max(version) AS v FROM config_templates');
    expect(rows[0].v).toBe(2);
  });

  it('lets exactly one of concurrent publishes on the same base win', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        publishTemplate(
          app.deps.pool,
          { parameters: { n: { type: 'number', default_value: i } } },
          { baseVersion: 2 },
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected'))
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/stale base version 2/);
    const { rows } = await db.pool.query('SELECT version FROM config_templates ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3]);
  });

  it('rolls back to N by publishing its content as a new version, and lists who, when and what', async () => {
    // Without the version the operator saw, a rollback could replace another operator's publish unseen.
    const unbased = await cli('rollback', '1');
    expect(unbased.code).toBe(2);
    expect(unbased.stderr).toMatch(/rollback needs --base-version/);
    const rolled = await cli('rollback', '1', '--base-version', '3');
    expect([rolled.code, rolled.stderr]).toEqual([0, '']);
    expect(rolled.stdout).toMatch(/published version 4 \(rollback to 1\)/);
    const { rows } = await db.pool.query(
      `SELECT (SELECT template FROM config_templates WHERE version = 4) = (SELECT template FROM config_templates WHERE version = 1) AS same`,
    );
    expect(rows[0].same).toBe(true);
    propagate();
    expect((await getConfig()).body).toMatchObject({
      template_version: 4,
      parameters: { map_style: { theme: 'light', zoom: 15 } },
    });

    const history = await cli('history', '--limit', '10');
    const versions = history.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(versions.map((v) => v.version)).toEqual([4, 3, 2, 1]);
    expect(versions[0]).toMatchObject({
      rollback_of: 1,
      description: 'rollback to version 1',
      published_by: expect.any(String),
      published_at: expect.stringMatching(/Z$/),
      changes: {
        parameters: { added: expect.arrayContaining(['daily_step_goal', 'map_style']), removed: ['n'] },
      },
    });
    expect(versions[2]).toMatchObject({
      changes: { parameters: { added: [], changed: ['map_style'], removed: [] } },
    });
    expect(versions[3].description).toBe('first');

    const get = await cli('get', '1');
    expect(get.stdout).toMatch(/^# version 1, published .* by /);
    expect(get.stdout).toContain('daily_step_goal:');
    expect((await cli('rollback', '99', '--base-version', '4')).stderr).toMatch(/version 99 not found/);
    expect((await cli('rollback', '1', '--base-version', '3')).stderr).toMatch(/stale base version 3/);
  });

  it('keeps history immutable and gapless in the database itself', async () => {
    await expect(
      db.pool.query(`UPDATE config_templates SET description = 'x' WHERE version = 1`),
    ).rejects.toThrow(/immutable/);
    await expect(
      db.pool.query(
        `INSERT INTO config_templates (version, template) VALUES (9, '{"parameters":{},"conditions":[]}')`,
      ),
    ).rejects.toThrow(/foreign key/);
  });
});
