/**
 * `npm run seed -- --firestore` gives the migration a dataset in the app's
 * real Firestore shape: run as a real process against walk-service and the
 * emulators, then `migrate:firestore` reads every document without a
 * quarantine, and the migrated walks, served by the API, equal the walks the
 * seed wrote through the API.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { emulatorIdToken } from '../../dev/auth-emulator';
import { apiClient, createTestDatabase, startTestApp, type TestApp, type TestDatabase } from '../harness';
import { startMigrationEnv, type MigrationEnv } from './migration-env';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../../..');
const EMAIL = 'walker@example.com';
const SEEDED_WALKS = 7;

let migration: MigrationEnv;
let seededDb: TestDatabase;
const apps: TestApp[] = [];

function runProcess(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Every walk of the user as the API serves it, by id. Without created_at and
 * updated_at: the API stamps them with its clock, the migration keeps the app's.
 */
async function walksServedBy(app: TestApp): Promise<Record<string, unknown>> {
  const { idToken } = await emulatorIdToken(
    migration.env().FIREBASE_AUTH_EMULATOR_HOST!,
    EMAIL,
    'local-password',
  );
  const login = await apiClient(app.url).post('/v1/sessions/login', { id_token: idToken });
  expect(login.status).toBe(201);
  const api = apiClient(app.url, `Bearer ${login.body.access_token}`);
  const list = await api.get('/v1/walks?limit=100');
  expect(list.status).toBe(200);
  const walks: Record<string, unknown> = {};
  for (const { id } of list.body.walks as Array<{ id: string }>) {
    const walk = await api.get(`/v1/walks/${id}`);
    expect(walk.status).toBe(200);
    const { created_at: created, updated_at: updated, ...rest } = walk.body as Record<string, unknown>;
    expect([typeof created, typeof updated]).toEqual(['string', 'string']);
    walks[id] = rest;
  }
  return walks;
}

beforeAll(async () => {
  [migration, seededDb] = await Promise.all([startMigrationEnv(), createTestDatabase()]);
});

afterAll(async () => {
  await Promise.allSettled(apps.map((app) => app.close()));
  await Promise.allSettled([seededDb?.drop(), migration?.close()]);
});

it('seeds the Firestore emulator with a dataset the migration takes whole, equal to what the API stores', async () => {
  const emulators = migration.env();
  const appEnv = { FIREBASE_AUTH_EMULATOR_HOST: emulators.FIREBASE_AUTH_EMULATOR_HOST! };
  const seededApp = await startTestApp({ db: seededDb, env: appEnv });
  apps.push(seededApp);

  const seed = await runProcess('npm', ['run', '--silent', 'seed', '--', '--firestore'], {
    ...process.env,
    PORT: new URL(seededApp.url).port,
    FIREBASE_AUTH_EMULATOR_HOST: emulators.FIREBASE_AUTH_EMULATOR_HOST!,
    FIRESTORE_EMULATOR_HOST: emulators.FIRESTORE_EMULATOR_HOST!,
  });
  expect({ code: seed.code, stderr: seed.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  expect(seed.stderr).toContain(`wrote ${SEEDED_WALKS} walks and a consent`);

  // the migrate command the seed prints, as printed (the database filled in), in a shell with none
  // of the variables set: it names every one it needs
  const printed = /^try: (.*)$/m.exec(seed.stderr)?.[1];
  expect(printed).toContain('npm run -s migrate:firestore -- --dry-run');
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(FIREBASE_|FIRESTORE_|DATABASE_URL$|METADATA_SERVER_DETECTION$)/.test(name),
    ),
  );
  const dryRun = await runProcess(
    'bash',
    ['-c', printed!.replace('<the PostgreSQL URL npm start printed>', migration.databaseUrl)],
    clean,
  );
  expect(dryRun.code).toBe(0);
  // progress lines and the summary only: no raw library warning (e.g. a metadata server probe)
  for (const line of dryRun.stderr.trim().split('\n'))
    expect(line).toMatch(/^(walks|consents): page migrated; |^dry-run finished: /);
  expect(JSON.parse(dryRun.stdout)).toMatchObject({
    completed: true,
    counts: {
      documents_read: { walks: SEEDED_WALKS, consents: 1 },
      walks: { inserted: SEEDED_WALKS, quarantined: 0 },
      consents: { inserted: 1, quarantined: 0 },
    },
  });

  const run = await migration.cli();
  expect(run.code).toBe(0);
  expect(run.report).toMatchObject({
    completed: true,
    counts: { walks: { inserted: SEEDED_WALKS, quarantined: 0 }, consents: { inserted: 1, quarantined: 0 } },
  });

  const migratedApp = await startTestApp({
    db: { url: migration.databaseUrl } as TestDatabase,
    env: appEnv,
  });
  apps.push(migratedApp);
  const [seeded, migrated] = await Promise.all([walksServedBy(seededApp), walksServedBy(migratedApp)]);
  expect(Object.keys(seeded)).toHaveLength(SEEDED_WALKS);
  expect(migrated).toEqual(seeded);
});
