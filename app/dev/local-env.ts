/**
 * `npm start`: the whole local environment with no cloud account —
 * PostgreSQL 17 (data kept in .local/), the Firebase Auth emulator on
 * 127.0.0.1:9099 (project demo-tekutoko), migrations, the service and the
 * share-image worker.
 *
 * Ctrl-C or SIGTERM stops all of it, in order: the service drains first, then
 * PostgreSQL and the emulator stop. A signal sent to `npm start`'s process
 * group reaches every process in it, so this process only supervises: the
 * environment runs in a worker in its own session (with PostgreSQL as its
 * child), which the supervisor asks to stop and waits for; whatever is
 * still running when the worker has gone is killed, and nothing is left
 * behind after any exit, including a failed start.
 */
// First: with OTEL_TRACES_EXPORTER=console (or otlp) the in-process service is traced too.
import '../src/observability/tracing-start';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defineCommand, parseCommandLine, usageLine } from '../src/cli';
import { loadConfig, loadWorkerConfig, ConfigError } from '../src/config';
import { migrateUp } from '../src/db/migrate';
import { createLogger } from '../src/observability/logger';
import { startService, type RunningService } from '../src/server';
import { createWorkerLogger, startWorker, type RunningWorker } from '../src/worker';
import { generateSigningJwk, keyRingJson } from '../src/sessions';
import { EMULATOR_PROJECT_ID, startAuthEmulator, type RunningAuthEmulator } from './auth-emulator';
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres';
import { freePort, portIsFree, waitFor } from './ports';
import {
  localAuthEmulatorPort,
  localDataDir,
  localEnvPrefix,
  localStoragePort,
  shownDataDir,
} from './local-settings';
import { generateSigningCredentials, startStorageStandIn } from './storage-stand-in';
import { localLogDestination } from './pretty-logs';

const ROOT = path.resolve(__dirname, '../..');
const LOCAL_DIR = localDataDir();
const EMULATOR_PORT = localAuthEmulatorPort();
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

/** Kills a process group, if anything is left in it. */
function killGroup(pgid: number | undefined, signal: NodeJS.Signals): void {
  if (!pgid || pgid <= 0) return;
  try {
    process.kill(-pgid, signal);
  } catch {
    // nothing left
  }
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
  const localPort = (name: string, fallback: string) => {
    const raw = process.env[name]?.trim() || fallback;
    if (/^\d{1,5}$/.test(raw) && Number(raw) <= 65535) return Number(raw);
    problems.push(`${name}: must be a port number (got "${raw}")`);
    return undefined;
  };
  const pgPort = localPort('LOCAL_PG_PORT', '54329');
  localPort('LOCAL_AUTH_EMULATOR_PORT', '9099');
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
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
}

/** The environment itself, in its own session; stops on SIGTERM from the supervisor or when it goes away. */
async function worker(): Promise<void> {
  const watch = process.argv.includes('--watch');
  const { port, metricsPort, pgPort } = checkedLocalSettings();
  for (const [name, value] of [
    ['PORT', port],
    ['METRICS_PORT', metricsPort],
    ['LOCAL_PG_PORT', pgPort],
    ['LOCAL_AUTH_EMULATOR_PORT', EMULATOR_PORT],
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
  let starting: Promise<unknown> = Promise.resolve();
  let service: RunningService | undefined;
  let worker: RunningWorker | undefined;
  let stopWatched: (() => Promise<void>) | undefined; // npm run dev: the tsx watch child
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('\nstopping walk-service, then PostgreSQL and the Auth emulator…\n');
    await starting.catch(() => undefined); // whatever is still starting is stopped too
    // the service first: requests in flight still have their database
    await service?.stop('local environment stopping').catch(() => undefined);
    await worker?.stop('local environment stopping').catch(() => undefined);
    await stopWatched?.().catch(() => undefined);
    await Promise.all(
      stops.map((stop) =>
        stop().catch((error: unknown) => process.stderr.write(`stop failed: ${String(error)}\n`)),
      ),
    );
    process.stderr.write('stopped\n');
    process.exit(code);
  };
  // `on`, not `once`: a second signal must not fall back to the default (die without stopping)
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  process.once('disconnect', () => void stopAll(1)); // the supervisor is gone

  const startedAt = Date.now();
  const say = (line: string) =>
    process.stderr.write(`[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(4)} s] ${line}\n`);
  try {
    say(
      `starting PostgreSQL 17 (data in ${path.join(LOCAL_DIR, 'postgres')}) and the Firebase Auth emulator (accounts in ${path.join(LOCAL_DIR, 'auth-emulator')}); the emulator takes 10-40 s…`,
    );
    const started = Promise.allSettled([
      startEmbeddedPostgres({
        dataDir: path.join(LOCAL_DIR, 'postgres'),
        port: pgPort,
        persistent: true,
        callerHandlesSignals: true,
      }).then((pg) => (stops.push(pg.stop), say(`PostgreSQL is up on port ${pgPort}`), pg)),
      (async () =>
        startAuthEmulator({
          port: EMULATOR_PORT,
          hubPort: await freePort(),
          loggingPort: await freePort(),
          dataDir: path.join(LOCAL_DIR, 'auth-emulator'),
          stopWithProcess: true,
        }))().then((emulator) => {
        stops.push(emulator.stop);
        say(`Auth emulator is up on ${emulator.host}`);
        process.send?.({ emulatorPgid: emulator.pid });
        return emulator;
      }),
    ]);
    starting = started;
    const [pgResult, emulatorResult] = await started;
    // both have settled: a failure of one stops the other too (stopAll below)
    if (pgResult.status === 'rejected') throw pgResult.reason;
    if (emulatorResult.status === 'rejected') throw emulatorResult.reason;
    const [pg, emulator]: [RunningPostgres, RunningAuthEmulator] = [pgResult.value, emulatorResult.value];
    say('applying migrations…');
    await ensureDatabase(pg.url(), DATABASE);
    const databaseUrl = pg.url(DATABASE);
    const ran = await migrateUp({ databaseUrl });
    process.stderr.write(
      ran.length ? `applied migrations: ${ran.join(', ')}\n` : 'migrations are up to date\n',
    );

    // walk images: the stand-in checks signatures with the key the service signs with (kept in .local/)
    const storageKey = path.join(LOCAL_DIR, 'storage-signing-key.json');
    if (!existsSync(storageKey)) generateSigningCredentials(storageKey);
    const storage = await startStorageStandIn({
      dataDir: path.join(LOCAL_DIR, 'storage'),
      credentialsFile: storageKey,
      port: localStoragePort(),
    });
    stops.push(storage.stop);
    say(`storage stand-in is up on ${storage.endpoint}`);

    const env = {
      ...process.env,
      APP_ENV: 'local',
      WALK_IMAGES_BUCKET: process.env.WALK_IMAGES_BUCKET?.trim() || 'local-walk-images',
      STORAGE_API_ENDPOINT: storage.endpoint,
      STORAGE_SIGNING_CREDENTIALS_FILE: storageKey,
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
      stopWatched = await startWatchedService(env, port);
    } else {
      say('starting walk-service…');
      service = await startService(
        config,
        createLogger({ level: config.logLevel, destination: localLogDestination() }),
      );
    }
    // the share-image worker, in this process with its own pool and metrics port (in production: its own Deployment)
    const workerConfig = loadWorkerConfig({ ...env, METRICS_PORT: String(await freePort()) });
    worker = await startWorker(
      workerConfig,
      createWorkerLogger({ level: workerConfig.logLevel, destination: localLogDestination() }),
    );
    say(`share-image worker is running (metrics on :${worker.metricsPort})`);

    // the commands as typed in another terminal: with the settings this environment differs by
    const toApi = localEnvPrefix(['PORT', 'LOCAL_AUTH_EMULATOR_PORT']);
    const toData = localEnvPrefix(['LOCAL_DATA_DIR', 'LOCAL_PG_PORT', 'LOCAL_AUTH_EMULATOR_PORT']);
    process.stderr.write(
      [
        '',
        'tekutoko walk-service is running (Ctrl-C stops everything)',
        `  API            http://127.0.0.1:${port}   (OpenAPI: /openapi.json, /healthz, /readyz)`,
        `  metrics        http://127.0.0.1:${metricsPort}/metrics`,
        `  Auth emulator  http://${emulator.host}   (project ${EMULATOR_PROJECT_ID})`,
        `  PostgreSQL     ${databaseUrl}`,
        `  Storage        ${storage.endpoint}   (stand-in, objects in ${path.join(shownDataDir(), 'storage')})`,
        '',
        'get a Firebase ID token and call the API:',
        `  TOKEN=$(${toApi}npm run -s token -- --email you@example.com)`,
        `  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${port}/v1/walks`,
        `  curl -X POST -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${port}/v1/walks/<id>/share-images`,
        `  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${port}/v1/share-image-jobs/<job_id>`,
        `  ${toApi}npm run seed      a user with walks`,
        `  ${toData}npm run reset     (once stopped) empties ${shownDataDir()}/`,
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

/**
 * The process `npm start` runs: starts the worker in its own session, relays
 * SIGINT and SIGTERM to it alone, waits for it, then makes sure nothing it
 * started is left.
 */
function supervise(): void {
  let watch: boolean;
  try {
    const { values } = parseCommandLine(START, process.argv.slice(2));
    if (values.help) {
      process.stdout.write(`${START.usage}\n`);
      return;
    }
    watch = values.watch;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usageLine(START.usage)}\n`);
    process.exitCode = 2;
    return;
  }
  let emulatorPgid: number | undefined;
  const workerArgs = [...process.execArgv, __filename, WORKER_FLAG, ...(watch ? ['--watch'] : [])];
  const child: ChildProcess = spawn(process.execPath, workerArgs, {
    detached: true, // own session and process group: a signal to npm start's group does not reach it
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  child.on('message', (message: { emulatorPgid?: number }) => {
    emulatorPgid = message.emulatorPgid ?? emulatorPgid;
  });
  let relayed = false;
  // the group's signal and tsx's relay of it both arrive here: ask the worker once
  const relay = () => {
    if (relayed || child.exitCode !== null || child.signalCode !== null) return;
    relayed = true;
    child.kill('SIGTERM');
  };
  process.on('SIGINT', relay);
  process.on('SIGTERM', relay);
  child.once('exit', (code, signal) => {
    // the worker stops everything in order; this only catches what a crash of it left behind
    killGroup(child.pid, 'SIGKILL');
    killGroup(emulatorPgid, 'SIGKILL');
    process.exit(code ?? (signal ? 1 : 0));
  });
}

const WORKER_FLAG = '--local-env-worker';

if (process.argv.includes(WORKER_FLAG)) void worker();
else supervise();
