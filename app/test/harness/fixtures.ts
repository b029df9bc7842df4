/**
 * The set-up most API test files share, as one call at the file's top level:
 * a fresh database and the app on it, created in beforeAll and closed in afterAll.
 */
import { createTestDatabase, type TestDatabase } from './database';
import { startTestApp, type TestApp, type TestAppOptions } from './app';

/**
 * A stand-in for an object beforeAll creates, so a test file can name it at
 * its top level (`const { app } = useTestApp()`); using it earlier throws.
 */
export function lateBound<T extends object>(what: string): { readonly ref: T; set(value: T): void } {
  let target: T | undefined;
  const real = (): T => {
    if (!target) throw new Error(`${what} is used before beforeAll has created it`);
    return target;
  };
  const ref = new Proxy({} as T, {
    get: (_, key) => Reflect.get(real(), key),
    has: (_, key) => Reflect.has(real(), key),
  });
  return {
    ref,
    set: (value) => void (target = value),
  };
}

export interface AppFixture<A extends TestApp = TestApp> {
  readonly db: TestDatabase;
  readonly app: A;
}

/** Registers beforeAll/afterAll for a fresh database and an app `start` builds on it. */
export function useApp<A extends TestApp>(start: (db: TestDatabase) => Promise<A>): AppFixture<A> {
  const db = lateBound<TestDatabase>('the test database');
  const app = lateBound<A>('the test app');
  let opened: { db?: TestDatabase; app?: A } = {};
  beforeAll(async () => {
    opened.db = await createTestDatabase();
    db.set(opened.db);
    opened.app = await start(opened.db);
    app.set(opened.app);
  });
  afterAll(async () => {
    await opened.app?.close();
    await opened.db?.drop();
    opened = {};
  });
  return { db: db.ref, app: app.ref };
}

/** The real app (startTestApp) on a fresh database, for the whole test file. */
export function useTestApp(options: Omit<TestAppOptions, 'db'> = {}): AppFixture {
  return useApp((db) => startTestApp({ ...options, db }));
}
