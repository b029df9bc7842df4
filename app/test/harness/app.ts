/**
 * The real app on a random port against a test database and the run's Auth
 * emulator, with its log lines captured for assertions.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config';
import { type AppDeps, createApp } from '../../src/http/app';
import { createLogger } from '../../src/observability/logger';
import { buildDeps } from '../../src/server';
import { harnessValue } from './env';
import type { TestDatabase } from './database';

export interface TestApp {
  readonly url: string;
  readonly deps: AppDeps;
  readonly server: Server;
  /** Every log line so far, as written (JSON strings). */
  logLines(): string[];
  close(): Promise<void>;
}

export interface TestAppOptions {
  readonly db: TestDatabase;
  /** Extra environment variables (as the service would read them). */
  readonly env?: Record<string, string>;
  /** Adjust the dependencies before the app is built (e.g. add a verifier). */
  readonly deps?: (deps: AppDeps) => AppDeps;
}

export function testEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    APP_ENV: 'test',
    DATABASE_URL: databaseUrl,
    FIREBASE_PROJECT_ID: harnessValue('projectId'),
    FIREBASE_AUTH_EMULATOR_HOST: harnessValue('emulatorHost'),
    LOG_LEVEL: 'debug',
    DB_POOL_MAX: '5',
    ...extra,
  };
}

export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const config = loadConfig(testEnv(options.db.url, options.env));
  const lines: string[] = [];
  const logger = createLogger({
    level: config.logLevel,
    destination: { write: (line: string) => void lines.push(line) },
  });
  const base = buildDeps(config, logger);
  const deps = options.deps ? options.deps(base) : base;
  const server = createServer(createApp(deps));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    server,
    logLines: () => [...lines],
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deps.pool.end();
    },
  };
}
