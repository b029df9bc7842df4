/**
 * `npm start`: the whole local environment with no cloud account —
 * PostgreSQL 17 (data kept in .local/), the Firebase Auth emulator on
 * 127.0.0.1:9099 (project demo-tekutoko), migrations, and the service.
 *
 * Ctrl-C or SIGTERM stops all of it, in order: the service drains first, then
 * PostgreSQL and the emulator stop. A signal sent to `npm start`'s process
 * group reaches every process in it, so this process only supervises: the
 * environment runs in a worker in its own session (with PostgreSQL as its
 * child), which the supervisor asks to stop and waits for; whatever is
 * still running when the worker has gone is killed, and nothing is left
 * behind after any exit, including a failed start.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, ConfigError } from '../src/config';
import { migrateUp } from '../src/db/migrate';
import { createLogger } from '../src/observability/logger';
import { startService, type RunningService } from '../src/server';
import { generateSigningJwk, keyRingJson } from '../src/sessions';
import { EMULATOR_PROJECT_ID, startAuthEmulator, type RunningAuthEmulator } from './auth-emulator';
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres';
import { freePort, portIsFree } from './ports';

const ROOT = path.resolve(__dirname, '../..');
const LOCAL_DIR = path.resolve(process.env.LOCAL_DATA_DIR ?? path.join(ROOT, '.local'));
const EMULATOR_PORT = Number(process.env.LOCAL_AUTH_EMULATOR_PORT ?? 9099);
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

/** The environment itself, in its own session; stops on SIGTERM from the supervisor or when it goes away. */
async function worker(): Promise<void> {
  const port = Number(process.env.PORT ?? 8080);
  const metricsPort = Number(process.env.METRICS_PORT ?? 9464);
  const pgPort = Number(process.env.LOCAL_PG_PORT ?? 54329);
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
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('\nstopping walk-service, then PostgreSQL and the Auth emulator…\n');
    await starting.catch(() => undefined); // whatever is still starting is stopped too
    // the service first: requests in flight still have their database
    await service?.stop('local environment stopping').catch(() => undefined);
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

  try {
    process.stderr.write(
      `starting PostgreSQL 17 (data in ${path.join(LOCAL_DIR, 'postgres')}) and the Firebase Auth emulator (accounts in ${path.join(LOCAL_DIR, 'auth-emulator')})…\n`,
    );
    const started = Promise.allSettled([
      startEmbeddedPostgres({
        dataDir: path.join(LOCAL_DIR, 'postgres'),
        port: pgPort,
        persistent: true,
        callerHandlesSignals: true,
      }).then((pg) => (stops.push(pg.stop), pg)),
      (async () =>
        startAuthEmulator({
          port: EMULATOR_PORT,
          hubPort: await freePort(),
          loggingPort: await freePort(),
          dataDir: path.join(LOCAL_DIR, 'auth-emulator'),
          stopWithProcess: true,
        }))().then((emulator) => {
        stops.push(emulator.stop);
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
    service = await startService(config, createLogger({ level: config.logLevel }));

    process.stderr.write(
      [
        '',
        'tekutoko walk-service is running (Ctrl-C stops everything)',
        `  API            http://127.0.0.1:${service.port}   (OpenAPI: /openapi.json, /healthz, /readyz)`,
        `  metrics        http://127.0.0.1:${service.metricsPort}/metrics`,
        `  Auth emulator  http://${emulator.host}   (project ${EMULATOR_PROJECT_ID})`,
        `  PostgreSQL     ${databaseUrl}`,
        '',
        'get a Firebase ID token and call the API:',
        '  TOKEN=$(npm run -s token -- --email you@example.com)',
        `  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:${service.port}/v1/walks`,
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
  let emulatorPgid: number | undefined;
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, __filename, WORKER_FLAG], {
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
