/** GET /v1/config against the real app, PostgreSQL and Auth emulator. */
import { inBackendCohort } from '../../src/appconfig/rollout';
import {
  apiClient,
  createTestDatabase,
  emulatorUser,
  startTestApp,
  type EmulatorUser,
  type TestApp,
  type TestDatabase,
} from '../harness';

const WAVES = [0, 10, 50, 100];

let db: TestDatabase;
let apps: Map<number, TestApp>;
let users: EmulatorUser[];

beforeAll(async () => {
  db = await createTestDatabase();
  const started = await Promise.all(
    WAVES.map((percent) =>
      startTestApp({ db, env: { ROLLOUT_PERCENT: String(percent), LOG_LEVEL: 'warn' } }),
    ),
  );
  apps = new Map(WAVES.map((percent, i) => [percent, started[i]!]));
  users = await Promise.all(Array.from({ length: 8 }, () => emulatorUser()));
});
afterAll(async () => {
  await Promise.all([...(apps?.values() ?? [])].map((app) => app.close()));
  await db?.drop();
});

const configOf = async (percent: number, user: EmulatorUser) =>
  apiClient(apps.get(percent)!.url, user.authorization).get('/v1/config');

describe('GET /v1/config', () => {
  it("answers the user's cohort from the environment's rollout percentage", async () => {
    const user = users[0]!;
    const res = await configOf(50, user);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('private, no-cache');
    const cohort = inBackendCohort(user.uid, 50);
    expect(res.body).toEqual({
      backend_cohort: cohort,
      rollout_percent: 50,
      template_version: 0,
      parameters: { backend_cohort: cohort },
    });
  });

  it('never moves a user back out of the cohort as the waves go 0 → 10 → 50 → 100 %', async () => {
    for (const user of users) {
      const answers: boolean[] = [];
      for (const percent of WAVES) {
        const res = await configOf(percent, user);
        expect(res.status).toBe(200);
        expect(res.body.rollout_percent).toBe(percent);
        answers.push(res.body.backend_cohort);
      }
      expect(answers[0]).toBe(false);
      expect(answers[answers.length - 1]).toBe(true);
      const firstIn = answers.indexOf(true);
      expect(answers.slice(firstIn).every(Boolean)).toBe(true);
      // the same answer on every call
      expect((await configOf(10, user)).body.backend_cohort).toBe(answers[1]);
    }
  });

  it('requires authentication', async () => {
    const anonymous = await apiClient(apps.get(100)!.url).get('/v1/config');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('UNAUTHORIZED');
    const forged = await apiClient(apps.get(100)!.url, 'Bearer not.a.token').get('/v1/config');
    expect(forged.status).toBe(401);
  });

  it('is documented in the OpenAPI document with bearer auth', async () => {
    const res = await apiClient(apps.get(10)!.url).get('/openapi.json');
    const operation = res.body.paths['/v1/config'].get;
    expect(operation.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '401']));
    expect(res.body.components.schemas.AppConfig.required).toEqual([
      'backend_cohort',
      'rollout_percent',
      'template_version',
      'parameters',
    ]);
  });
});
