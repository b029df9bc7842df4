/**
 * `npm start`: the whole local environment with no cloud account —
 * PostgreSQL 17 (data kept in .local/), the Firebase Auth emulator on
 * 127.0.0.1:9099 (project demo-tekutoko), migrations, and the service.
 * Ctrl-C or SIGTERM stops all of it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { defineCommand, parseCommandLine, UsageError, usageLine } from '../src/cli';
import { loadConfig, ConfigError } from '../src/config';
import { migrateUp } from '../src/db/migrate';
import { createLogger } from '../src/observability/logger';
import { startService, type RunningService } from '../src/server';
import { generateSigningJwk, keyRingJson } from '../src/sessions';
import { EMULATOR_PROJECT_ID, startAuthEmulator, type RunningAuthEmulator } from './auth-emulator';
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres';
import { freePort, portIsFree, waitFor } from './ports';
import { localLogDestination } from './pretty-logs';

const ROOT = path.resolve(__dirname, '../..');
const LOCAL_DIR = path.join(ROOT, '.local');
const EMULATOR_PORT = 9099;
const DATABASE = 'walks';

function fail(message: string): never {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
}

/** A session signing key ring kept in .local/, so sessions survive restarts of the local service. */
function localKeyRing(): string {
  const file = path.join(LOCAL_DIR, 'session-signing-keys.json');
  if (!existsSync(file)) writeFileSync(file, keyRingJson([generateSigningJwk('local-1')]), { mode: 0o600 });
  return readFileSync(file, 'utf8');
}

/**
 * The variables a person may set for `npm start`, checked before anything
 * starts with the service's own rules: one line per bad variable, no stack.
 */
function checkedLocalSettings(): { port: number; metricsPort: number; pgPort: number } {
  const problems: string[] = [];
  let config;
  try {
    // what local-env supplies itself is filled in; everything else is the person's
    config = loadConfig({
      ...process.env,
      APP_ENV: 'local',
      DATABASE_URL: 'postgres://local@127.0.0.1/walks',
      FIREBASE_PROJECT_ID: EMULATOR_PROJECT_ID,
      FIREBASE_AUTH_EMULATOR_HOST: `127.0.0.1:${EMULATOR_PORT}`,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  const pgRaw = process.env.LOCAL_PG_PORT?.trim() || '54329';
  const pgPort = /^\d{1,5}$/.test(pgRaw) && Number(pgRaw) <= 65535 ? Number(pgRaw) : undefined;
  if (pgPort === undefined) problems.push(`LOCAL_PG_PORT: must be a port number (got "${pgRaw}")`);
  if (problems.length > 0 || !config || pgPort === undefined) {
    for (const problem of problems) process.stderr.write(`config error: ${problem}\n`);
    process.exit(1);
  }
  return { port: config.port, metricsPort: config.metricsPort, pgPort };
}

const START = defineCommand({
  usage: `usage: npm start | npm run dev

The local environment: PostgreSQL 17 (.local/postgres), the Firebase Auth emulator, the
migrations and walk-service on PORT (8080). Ctrl-C stops everything.
  --watch   (npm run dev) restart walk-service when a file under app/src changes`,
  options: { watch: { type: 'boolean', default: false } },
});

/** walk-service as a \`tsx watch\` child: restarted on every change under app/src. */
async function startWatchedService(env: NodeJS.ProcessEnv, port: number): Promise<() => Promise<void>> {
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const pretty = localLogDestination();
  const child = spawn(tsx, ['watch', '--clear-screen=false', path.join(ROOT, 'app/src/server.ts')], {
    env,
    stdio: ['ignore', pretty ? 'pipe' : 'inherit', 'inherit'],
  });
  if (pretty) child.stdout?.pipe(pretty as unknown as NodeJS.WritableStream);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor('walk-service', async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 60_000);
  return async () => {
    child.kill('SIGTERM');
    await exited;
  };
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseCommandLine(START, argv);
  if (values.help) {
    process.stdout.write(`${START.usage}\n`);
    return;
  }
  const watch = values.watch;
  const { port, metricsPort, pgPort } = checkedLocalSettings();
  for (const [name, value] of [
    ['PORT', port],
    ['METRICS_PORT', metricsPort],
    ['LOCAL_PG_PORT', pgPort],
    ['the Auth emulator', EMULATOR_PORT],
  ] as const) {
    if (!(await portIsFree(value))) {
      fail(
        `port ${value} (${name}) is already in use — stop whatever holds it (another npm start?)` +
          (name.endsWith('PORT') ? ` or set ${name} to a free port` : ''),
      );
    }
  }

  mkdirSync(LOCAL_DIR, { recursive: true, mode: 0o755 });
  const stops: Array<() => Promise<void>> = [];
  let service: RunningService | undefined;
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('\nstopping walk-service, the Auth emulator and PostgreSQL…\n');
    // embedded-postgres's own exit hook ends this process once PostgreSQL has stopped, so every
    // stop starts now; the emulator, detached, finishes its export even if we are gone by then.
    await Promise.all([
      service?.stop('local environment stopping').catch(() => undefined),
      ...stops.map((stop) =>
        stop().catch((error: unknown) => process.stderr.write(`stop failed: ${String(error)}\n`)),
      ),
    ]);
    process.stderr.write('stopped\n');
    process.exit(code);
  };
  process.once('SIGINT', () => void stopAll(0));
  process.once('SIGTERM', () => void stopAll(0));

  const startedAt = Date.now();
  const say = (line: string) =>
    process.stderr.write(`[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(4)} s] ${line}\n`);
  try {
    say(
      'starting PostgreSQL 17 (data in .local/postgres) and the Firebase Auth emulator (accounts in .local/auth-emulator); the emulator takes 10-15 s…',
    );
    const [pg, emulator]: [RunningPostgres, RunningAuthEmulator] = await Promise.all([
      startEmbeddedPostgres({
        dataDir: path.join(LOCAL_DIR, 'postgres'),
        port: pgPort,
        persistent: true,
      }).then((started) => (stops.push(started.stop), say(`PostgreSQL is up on port ${pgPort}`), started)),
      (async () =>
        startAuthEmulator({
          port: EMULATOR_PORT,
          hubPort: await freePort(),
          loggingPort: await freePort(),
          dataDir: path.join(LOCAL_DIR, 'auth-emulator'),
        }))().then(
        (started) => (stops.push(started.stop), say(`Auth emulator is up on ${started.host}`), started),
      ),
    ]);
    say('applying migrations…');
    await ensureDatabase(pg.url(), DATABASE);
    const databaseUrl = pg.url(DATABASE);
    const ran = await migrateUp({ databaseUrl });
    process.stderr.write(
      ran.length ? `applied migrations: ${ran.join(', ')}\n` : 'migrations are up to date\n',
    );

    const env = {
      ...process.env,
      APP_ENV: 'local',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      DATABASE_URL: databaseUrl,
      FIREBASE_PROJECT_ID: EMULATOR_PROJECT_ID,
      FIREBASE_AUTH_EMULATOR_HOST: emulator.host,
      SESSION_SIGNING_KEYS: process.env.SESSION_SIGNING_KEYS ?? localKeyRing(),
    };
    // firebase-admin reads the emulator address from the process environment itself
    process.env.FIREBASE_AUTH_EMULATOR_HOST = emulator.host;
    const config = loadConfig(env);
    if (watch) {
      say('starting walk-service under tsx watch (restarts when a file under app/src changes)…');
      stops.push(await startWatchedService(env, port));
    } else {
      say('starting walk-service…');
      service = await startService(
        config,
        createLogger({ level: config.logLevel, destination: localLogDestination() }),
      );
    }

    process.stderr.write(
      [
        '',
        'tekutoko walk-service is running (Ctrl-C stops everything)',
        `  API            http://127.0.0.1:${port}   (OpenAPI: /openapi.json, /healthz, /readyz)`,
        `  metrics        http://127.0.0.1:${metricsPort}/metrics`,
        `  Auth emulator  http://${emulator.host}   (project ${EMULATOR_PROJECT_ID})`,
        `  PostgreSQL     ${databaseUrl}`,
        '',
        'get a Firebase ID token and call the API:',
        '  TOKEN=$(npm run -s token -- --email you@example.com)',
        `  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${port}/v1/walks`,
        '  npm run seed      a user with walks; npm run reset (stopped) empties .local/',
        '',
      ].join('\n'),
    );
  } catch (error) {
    const message =
      error instanceof ConfigError
        ? error.problems.join('; ')
        : error instanceof Error
          ? error.message
          : String(error);
    process.stderr.write(`npm start: ${message.split('\n')[0]}\n`);
    await stopAll(1);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n${usageLine(START.usage)}\n`);
    process.exit(2);
  }
  fail(error instanceof Error ? error.message : String(error));
});
