/**
 * `npm run bench`: GET /v1/walks/{id} with auth against the production build
 * (node dist/app/server.js) on a seeded PostgreSQL, at 64 and 500
 * connections, and a raw pg Pool loop running the same query as the ceiling.
 * 127.0.0.1 only, bounded in time; the server runs with --cpu-prof and the
 * hottest functions are printed. Then the tracing overhead: the same request at 64
 * connections with tracing off, on and sampled, on and unsampled (spans exported to a
 * local OTLP sink that discards them), reported as ratios to off.
 * Last line: the service/raw-pg ratio (500 connections).
 *
 * BENCH_SECONDS (default 10) sets the length of each measured phase; BENCH_PROFILE_OUT=file
 * keeps the server's .cpuprofile (open it in Chrome DevTools).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Pool } from 'pg';
import { EMULATOR_PROJECT_ID, emulatorIdToken, startThrowawayAuthEmulator } from '../dev/auth-emulator';
import { ensureDatabase, startEmbeddedPostgres } from '../dev/embedded-postgres';
import { freePort, waitFor } from '../dev/ports';
import { migrateUp } from '../src/db/migrate';
import { defineCommand, runCli } from '../src/cli';
import { FIND_WALK_SQL } from '../src/walks/repository';

const ROOT = path.resolve(__dirname, '../..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const POOL_MAX = 20;
const SEED_USERS = 50;
const WALKS_PER_USER = 40;
const LOCATIONS_PER_WALK = 50;

interface Figures {
  readonly label: string;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const row = (f: Figures) =>
  `${f.label.padEnd(44)} ${f.rps.toFixed(0).padStart(8)} req/s   p50 ${f.p50.toFixed(1).padStart(6)} ms   p99 ${f.p99
    .toFixed(1)
    .padStart(6)} ms   errors ${f.errors}`;

/** dist/ as `npm run build` makes it, next to app/migrations, resolving packages from the repo. */
function buildProduction(dir: string): void {
  execFileSync(
    process.execPath,
    [
      require.resolve('typescript/bin/tsc'),
      '-p',
      path.join(ROOT, 'tsconfig.build.json'),
      '--outDir',
      path.join(dir, 'dist/app'),
    ],
    { stdio: 'inherit' },
  );
  cpSync(path.join(ROOT, 'app/migrations'), path.join(dir, 'app/migrations'), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
}

async function seed(pool: Pool, uid: string): Promise<string> {
  const userIds = [uid, ...Array.from({ length: SEED_USERS - 1 }, (_, i) => `bench-user-${i}`)];
  await pool.query(
    "INSERT INTO users (id, email) SELECT u, u || '@example.com' FROM unnest($1::text[]) u ON CONFLICT DO NOTHING",
    [userIds],
  );
  let target = '';
  for (const userId of userIds) {
    const ids = Array.from({ length: WALKS_PER_USER }, () => randomUUID());
    if (userId === uid) target = ids[0]!;
    await pool.query(
      `INSERT INTO walks (id, user_id, title, status, start_time, end_time, total_distance, total_steps)
       SELECT id, $2, 'Bench walk', 'completed', now() - interval '1 hour', now(), 3120.5, 4100 FROM unnest($1::uuid[]) id`,
      [ids, userId],
    );
    await pool.query(
      `INSERT INTO walk_locations (walk_id, sequence_number, latitude, longitude, altitude, "timestamp",
         horizontal_accuracy, vertical_accuracy, speed, course)
       SELECT w, s, 35.68 + s * 0.0001, 139.76 + s * 0.0001, 40.1, now() - (s || ' seconds')::interval, 5, 3, 1.3, 90
       FROM unnest($1::uuid[]) w, generate_series(0, $2::int - 1) s`,
      [ids, LOCATIONS_PER_WALK],
    );
  }
  await pool.query('ANALYZE');
  return target;
}

function cannon(url: string, connections: number, seconds: number, headers: Record<string, string>) {
  return autocannon({ url, connections, duration: seconds, headers, timeout: 10 });
}

async function rawLoop(
  pool: Pool,
  walkId: string,
  userId: string,
  concurrency: number,
  seconds: number,
): Promise<Figures> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const started = process.hrtime.bigint();
        try {
          const { rows } = await pool.query(FIND_WALK_SQL, [walkId, userId]);
          if (rows.length !== 1) errors += 1;
        } catch {
          errors += 1;
        }
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    label: `raw pg Pool loop (${concurrency} concurrent, pool ${POOL_MAX})`,
    rps: latencies.length / seconds,
    p50: at(0.5),
    p99: at(0.99),
    errors,
  };
}

/** Self time per function from a V8 .cpuprofile, hottest first. */
function hotFunctions(profileFile: string, top: number): string[] {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    if (!node) return;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${key}`);
}

/** Self time grouped by package (or node internals / dist), hottest first. */
function hotPackages(profileFile: string): string[] {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as {
    nodes: Array<{ id: number; callFrame: { functionName: string; url: string } }>;
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const groups = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const frame = byId.get(id)?.callFrame;
    if (!frame) return;
    const url = frame.url;
    const group = url.includes('node_modules/')
      ? url
          .split('node_modules/')[1]!
          .split('/')
          .slice(0, url.split('node_modules/')[1]!.startsWith('@') ? 2 : 1)
          .join('/')
      : url.includes('/dist/app/')
        ? 'walk-service (dist/app)'
        : url.startsWith('node:')
          ? 'node internals'
          : frame.functionName.startsWith('(')
            ? frame.functionName
            : 'native/V8';
    groups.set(group, (groups.get(group) ?? 0) + dt);
  });
  return [...groups.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([group, us]) => `${((100 * us) / total).toFixed(1).padStart(5)} %  ${group}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'walk-service-bench-'));
  chmodSync(dir, 0o755);
  const cleanups: Array<() => Promise<void>> = [async () => rmSync(dir, { recursive: true, force: true })];
  try {
    log('building the production bundle (dist/app) …');
    buildProduction(dir);
    const [pg, emulator] = await Promise.all([
      (async () =>
        startEmbeddedPostgres({
          dataDir: path.join(dir, 'pg'),
          port: await freePort(),
          persistent: false,
        }))(),
      startThrowawayAuthEmulator(),
    ]);
    cleanups.unshift(pg.stop, emulator.stop);
    await ensureDatabase(pg.url(), 'walks');
    const databaseUrl = pg.url('walks');
    await migrateUp({ databaseUrl });
    const { uid, idToken } = await emulatorIdToken(
      emulator.host,
      'bench@example.com',
      'bench-password',
      'Bench',
    );
    const seedPool = new Pool({ connectionString: databaseUrl, max: 2 });
    const walkId = await seed(seedPool, uid);
    await seedPool.end();
    log(`seeded ${SEED_USERS * WALKS_PER_USER} walks × ${LOCATIONS_PER_WALK} locations`);

    const [port, metricsPort] = [await freePort(), await freePort()];
    const profileDir = path.join(dir, 'profile');
    mkdirSync(profileDir);
    const serverEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      APP_ENV: 'local',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      DATABASE_URL: databaseUrl,
      DB_POOL_MAX: String(POOL_MAX),
      FIREBASE_PROJECT_ID: EMULATOR_PROJECT_ID,
      FIREBASE_AUTH_EMULATOR_HOST: emulator.host,
      LOG_LEVEL: 'info',
    };
    const server = spawn(
      process.execPath,
      ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, 'dist/app/server.js'],
      {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'inherit'],
        env: serverEnv,
      },
    );
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    cleanups.unshift(async () => void server.kill('SIGKILL'));
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the service', async () => (await fetch(`${base}/readyz`)).ok, 30_000);

    // A session access token (verified locally) when the sessions component exists, else the Firebase ID token.
    let authorization = `Bearer ${idToken}`;
    let tokenKind = 'Firebase ID token (verified by firebase-admin against the emulator on every request)';
    const login = await fetch(`${base}/v1/sessions/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id_token: idToken }),
    });
    if (login.status === 201) {
      authorization = `Bearer ${((await login.json()) as { access_token: string }).access_token}`;
      tokenKind = 'session access token (ES256 JWT verified in-process, no database call)';
    }
    const url = `${base}/v1/walks/${walkId}`;
    const check = await fetch(url, { headers: { authorization } });
    if (check.status !== 200) throw new Error(`GET ${url} answered ${check.status}`);
    const bytes = (await check.text()).length;
    log(`auth: ${tokenKind}`);
    log(
      `target: GET /v1/walks/{id} (${bytes} bytes of JSON), LOG_LEVEL=info, DB_POOL_MAX=${POOL_MAX}, ${SECONDS}s per phase`,
    );

    // Other load on the machine drifts; measuring the ceiling before and after the service phases averages it out.
    const rawPool = new Pool({ connectionString: databaseUrl, max: POOL_MAX, options: '-c TimeZone=UTC' });
    await rawLoop(rawPool, walkId, uid, 64, 2); // warm-up
    const rawBefore = await rawLoop(rawPool, walkId, uid, 64, SECONDS / 2);
    await cannon(url, 64, 3, { authorization }); // warm-up
    const results: Figures[] = [];
    for (const connections of [64, 500]) {
      const r = await cannon(url, connections, SECONDS, { authorization });
      results.push({
        label: `service, ${connections} connections`,
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors + r.timeouts + r.non2xx,
      });
      log(row(results[results.length - 1]!));
    }
    server.kill('SIGTERM');
    await exited;
    const rawAfter = await rawLoop(rawPool, walkId, uid, 64, SECONDS / 2);
    await rawPool.end();
    const raw: Figures = {
      label: rawBefore.label,
      rps: (rawBefore.rps + rawAfter.rps) / 2,
      p50: (rawBefore.p50 + rawAfter.p50) / 2,
      p99: Math.max(rawBefore.p99, rawAfter.p99),
      errors: rawBefore.errors + rawAfter.errors,
    };
    log(row(raw));
    log(
      `  (ceiling measured before and after the service: ${rawBefore.rps.toFixed(0)} and ${rawAfter.rps.toFixed(0)} req/s)`,
    );

    const profile = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (profile) {
      if (process.env.BENCH_PROFILE_OUT)
        cpSync(path.join(profileDir, profile), process.env.BENCH_PROFILE_OUT);
      log('\nservice CPU profile (node --cpu-prof, whole run), self time by package:');
      for (const line of hotPackages(path.join(profileDir, profile))) log(`  ${line}`);
      log('hottest functions (self time):');
      for (const line of hotFunctions(path.join(profileDir, profile), 15)) log(`  ${line}`);
    }

    // Tracing overhead: fresh servers without --cpu-prof, off measured before and after the others.
    const sink = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    cleanups.unshift(async () => void sink.close());
    const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
    const tracingModes: [string, Record<string, string>][] = [
      ['tracing off', {}],
      ['tracing on, sampled (ratio 1)', { OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER_ARG: '1' }],
      ['tracing on, unsampled (ratio 0)', { OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER_ARG: '0' }],
      ['tracing off (again)', {}],
    ];
    log('\ntracing overhead (64 connections, no profiler):');
    const tracing: Figures[] = [];
    for (const [label, env] of tracingModes) {
      const traced = spawn(process.execPath, ['dist/app/server.js'], {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...serverEnv, OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl, ...env },
      });
      const gone = new Promise((resolve) => traced.once('exit', resolve));
      try {
        await waitFor('the service', async () => (await fetch(`${base}/readyz`)).ok, 30_000);
        // each process has its own throwaway session key locally: log in again
        const relogin = await fetch(`${base}/v1/sessions/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id_token: idToken }),
        });
        const auth =
          relogin.status === 201
            ? `Bearer ${((await relogin.json()) as { access_token: string }).access_token}`
            : authorization;
        await cannon(url, 64, 2, { authorization: auth }); // warm-up
        const r = await cannon(url, 64, SECONDS, { authorization: auth });
        tracing.push({
          label,
          rps: r.requests.average,
          p50: r.latency.p50,
          p99: r.latency.p99,
          errors: r.errors + r.timeouts + r.non2xx,
        });
        log(row(tracing[tracing.length - 1]!));
      } finally {
        traced.kill('SIGTERM');
        await gone;
      }
    }
    const off = (tracing[0]!.rps + tracing[3]!.rps) / 2;
    log(
      `tracing/off throughput ratio: sampled ${(tracing[1]!.rps / off).toFixed(2)}, unsampled ${(tracing[2]!.rps / off).toFixed(2)}`,
    );

    log(`\nservice/raw-pg throughput ratio: ${(results[1]!.rps / raw.rps).toFixed(2)}`);
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

const BENCH = defineCommand({
  usage: `usage: npm run bench

Builds the production bundle, seeds an embedded PostgreSQL and measures GET /v1/walks/{id}
at 64 and 500 connections against a raw pg loop (127.0.0.1 only; about a minute).
Environment: BENCH_SECONDS (default 10) per phase; BENCH_PROFILE_OUT=file keeps the CPU profile.`,
  options: {},
});

runCli(module, BENCH, async () => {
  try {
    await main();
  } catch (error) {
    throw new Error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  }
});
