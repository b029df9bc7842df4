/**
 * What `npm run migrate:firestore` shows while it works: progress on stderr
 * by default (pages, documents, rate, quarantined), failures in plain words,
 * and Ctrl-C during --verify ends it with the documented exit code 3.
 */
import { initializeApp, type App } from 'firebase-admin/app';
import { Firestore, getFirestore } from 'firebase-admin/firestore';
import { main } from '../../src/firestore-migration/cli';
import { closeFirebaseApp } from '../../src/firestore-migration/close-firebase';
import { describeFailure, progressReporter } from '../../src/firestore-migration/progress';
import { createTestDatabase, harnessValue, type TestDatabase } from '../harness';
import { EMULATOR_PROJECT_ID, startFirestoreEmulator, type FirestoreEmulator } from './firestore-emulator';
import { seedFixtures } from './seed';

jest.setTimeout(120_000);

let emulator: FirestoreEmulator;
let app: App;
let database: TestDatabase;

beforeAll(async () => {
  [emulator, database] = await Promise.all([startFirestoreEmulator(), createTestDatabase()]);
  process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
  process.env.METADATA_SERVER_DETECTION = 'none';
  app = initializeApp({ projectId: EMULATOR_PROJECT_ID }, 'cli-progress-test');
  await seedFixtures(getFirestore(app));
});
afterAll(async () => {
  await Promise.allSettled([app && closeFirebaseApp(app), database?.drop()]);
  await emulator?.stop();
});

const env = (databaseUrl = database.url): Record<string, string> => ({
  DATABASE_URL: databaseUrl,
  FIREBASE_PROJECT_ID: EMULATOR_PROJECT_ID,
  FIRESTORE_EMULATOR_HOST: emulator.host,
  // the run's Auth emulator (global setup exports it for firebase-admin too)
  FIREBASE_AUTH_EMULATOR_HOST: harnessValue('emulatorHost'),
  LOG_LEVEL: 'info',
});

async function run(argv: string[], options: { databaseUrl?: string; signal?: AbortSignal } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(
    argv,
    env(options.databaseUrl),
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
    options.signal,
  );
  return { code, stdout, stderr };
}

it('counts pages, documents, rate and quarantined in one line per page', () => {
  const lines: string[] = [];
  let now = 0;
  const progress = progressReporter(
    (line) => lines.push(line),
    () => now,
  );
  now = 2000;
  progress('page migrated', { phase: 'walks', documents: 100, counts: { walks: { quarantined: 2 } } });
  now = 4000;
  progress('page migrated', { phase: 'walks', documents: 60, counts: { walks: { quarantined: 3 } } });
  expect(lines).toEqual([
    'walks: page migrated; 1 page, 100 documents, 50 documents/s, 2 quarantined\n',
    'walks: page migrated; 2 pages, 160 documents, 40 documents/s, 3 quarantined\n',
  ]);
});

it('shows progress on stderr by default and keeps stdout for the JSON report', async () => {
  const { code, stdout, stderr } = await run(['--page-size', '3']);
  expect(code).toBe(0);
  expect(() => JSON.parse(stdout)).not.toThrow();
  expect(stderr).toMatch(/^walks: page migrated; 1 page, 3 documents, \d+ documents\/s, \d+ quarantined$/m);
  expect(stderr).toMatch(/^consents: page migrated; \d+ pages/m);
  expect(stderr).toMatch(/^run finished: \d+ pages, \d+ documents in [\d.]+ s$/m);
});

it('ends --verify at once on Ctrl-C with exit 3, saying nothing changed', async () => {
  const controller = new AbortController();
  controller.abort();
  const { code, stderr } = await run(['--verify'], { signal: controller.signal });
  expect(code).toBe(3);
  expect(stderr).toContain('verify stopped before it finished');
});

it('ends its Firestore client before it returns, also after Ctrl-C (deleteApp alone leaves the channels open)', async () => {
  const terminate = jest.spyOn(Firestore.prototype, 'terminate');
  try {
    const controller = new AbortController();
    controller.abort();
    expect((await run(['--verify'], { signal: controller.signal })).code).toBe(3);
    expect((await run(['--dry-run', '--page-size', '3'])).code).toBe(0);
    expect(terminate).toHaveBeenCalledTimes(2);
  } finally {
    terminate.mockRestore();
  }
});

it('says in words when PostgreSQL cannot be reached', async () => {
  const { code, stderr } = await run(['--dry-run'], { databaseUrl: 'postgres://nobody@127.0.0.1:1/none' });
  expect(code).toBe(1);
  expect(stderr).toMatch(/^migrate:firestore failed: cannot reach PostgreSQL at DATABASE_URL/m);
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(
    describeFailure(Object.assign(new Error('relation "walks" does not exist'), { code: '42P01' })),
  ).toMatch(/run npm run migrate first/);
});

it('asks before a run that writes from a real project, and refuses without a terminal unless --yes', async () => {
  let stderr = '';
  const { FIRESTORE_EMULATOR_HOST: _emulator, FIREBASE_AUTH_EMULATOR_HOST: _auth, ...real } = env();
  const code = await main(['--page-size', '3'], real, { stdout: () => {}, stderr: (t) => (stderr += t) });
  expect(code).toBe(2);
  expect(stderr).toMatch(/copy walks and consents from Firestore project demo-tekutoko .* add --yes/);
});

it.each([
  [
    'the Firestore emulator without the Auth emulator',
    'FIREBASE_AUTH_EMULATOR_HOST',
    'FIRESTORE_EMULATOR_HOST',
  ],
  [
    'the Auth emulator without the Firestore emulator',
    'FIRESTORE_EMULATOR_HOST',
    'FIREBASE_AUTH_EMULATOR_HOST',
  ],
])(
  'refuses %s before reading anything: one line naming both variables, exit 2',
  async (_what, missing, kept) => {
    let stderr = '';
    const { [missing]: _gone, ...half } = env();
    const code = await main(['--dry-run'], half, { stdout: () => {}, stderr: (t) => (stderr += t) });
    expect({ code, stderr }).toEqual({
      code: 2,
      stderr: expect.stringMatching(
        new RegExp(`^config error: ${missing}: must be set with ${kept}=\\S+ .*\n$`),
      ),
    });
  },
);
