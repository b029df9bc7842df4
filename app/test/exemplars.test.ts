/**
 * Latency exemplars, read by the tool that consumes them: a real Prometheus
 * (the server Managed Service for Prometheus' collectors are built from, with
 * exemplar storage on as in managed collection) scrapes the service process's
 * OpenMetrics /metrics. Checked: the exemplar of a traced request carries its
 * trace id, span id and project (what GMP turns into a Cloud Trace link), an
 * unsampled request leaves none, and the series names the rules and dashboards
 * query are unchanged by the OpenMetrics format (ADR 0243).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TraceFlags, trace } from '@opentelemetry/api';
import { stringify } from 'yaml';
import { freePort, waitFor } from '../dev/ports';
import { traceExemplar } from '../src/observability/metrics';
import {
  apiClient,
  createTestDatabase,
  databaseUrl,
  emulatorUser,
  startServerProcess,
  testEnv,
  type ServerProcess,
  type TestDatabase,
} from './harness';

interface Exemplar {
  labels: Record<string, string>;
  value: string;
}
interface ExemplarSeries {
  seriesLabels: Record<string, string>;
  exemplars: Exemplar[];
}

const PROJECT = 'tekutoko-test';

async function startPrometheus(target: string): Promise<{ child: ChildProcess; url: string; dir: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'prometheus-'));
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s' },
      scrape_configs: [{ job_name: 'walk-service', static_configs: [{ targets: [target] }] }],
    }),
  );
  execFileSync('promtool', ['check', 'config', config], { stdio: 'pipe' });
  const port = await freePort();
  const child = spawn(
    'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--enable-feature=exemplar-storage',
    ],
    { stdio: 'ignore' },
  );
  return { child, url: `http://127.0.0.1:${port}`, dir };
}

async function api<T>(base: string, pathAndQuery: string): Promise<T> {
  const res = await fetch(`${base}${pathAndQuery}`);
  const body = (await res.json()) as { status: string; data: T };
  if (body.status !== 'success') throw new Error(`${pathAndQuery}: ${JSON.stringify(body)}`);
  return body.data;
}

describe('latency exemplars through a real Prometheus', () => {
  let db: TestDatabase;
  let sink: Server;
  let server: ServerProcess | undefined;
  let prometheus: Awaited<ReturnType<typeof startPrometheus>> | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    // the service exports its spans somewhere; this test reads the exemplars, not the spans
    sink = createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end('{}')));
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    prometheus?.child.kill('SIGTERM');
    server?.child.kill('SIGKILL');
    await new Promise((resolve) => sink?.close(resolve));
    if (prometheus) rmSync(prometheus.dir, { recursive: true, force: true });
    await db?.drop();
  });

  it('carry the sampled trace of a request, under the unchanged series names', async () => {
    server = await startServerProcess(
      ['--require', 'tsx/cjs', path.join(__dirname, '../src/server.ts')],
      testEnv(databaseUrl(db.url, db.name), {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
        GOOGLE_CLOUD_PROJECT: PROJECT,
        LOG_LEVEL: 'warn',
      }),
    );
    const scrape = await fetch(server.metricsUrl);
    expect(scrape.headers.get('content-type')).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);

    const client = apiClient(server.url, (await emulatorUser()).authorization);
    const id = randomUUID();
    expect((await client.put(`/v1/walks/${id}`, { title: 'exemplar' })).status).toBe(201);
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    expect((await client.get(`/v1/walks/${id}`, { headers: { traceparent } })).status).toBe(200);

    prometheus = await startPrometheus(new URL(server.metricsUrl).host);
    const query = encodeURIComponent(
      'http_request_duration_seconds_bucket{method="GET",route="/v1/walks/:id"}',
    );
    let found: { series: ExemplarSeries; exemplar: Exemplar }[] = [];
    await waitFor(
      'an exemplar in Prometheus',
      async () => {
        const now = Date.now() / 1000;
        const data = await api<ExemplarSeries[]>(
          prometheus!.url,
          `/api/v1/query_exemplars?query=${query}&start=${now - 600}&end=${now + 60}`,
        );
        found = data.flatMap((series) => series.exemplars.map((exemplar) => ({ series, exemplar })));
        return found.length > 0;
      },
      20_000,
    );
    expect(found).toHaveLength(1);
    const [{ series, exemplar }] = found as [{ series: ExemplarSeries; exemplar: Exemplar }];
    expect(series.seriesLabels).toMatchObject({ method: 'GET', status_code: '200' });
    expect(exemplar.labels).toEqual({
      trace_id: traceId,
      span_id: expect.stringMatching(/^[\da-f]{16}$/),
      project_id: PROJECT,
    });
    expect(Number(exemplar.value)).toBeGreaterThan(0);

    // the names the rules, dashboards and canary analysis query, as Prometheus stores them
    for (const name of [
      'http_requests_total',
      'http_request_duration_seconds_bucket',
      'walks_writes_total',
    ]) {
      const result = await api<{ result: unknown[] }>(
        prometheus.url,
        `/api/v1/query?query=${encodeURIComponent(name)}`,
      );
      expect([name, result.result.length > 0]).toEqual([name, true]);
    }
  });
});

describe('traceExemplar', () => {
  const ids = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) };
  it('links only sampled spans: an unsampled one has no trace to open', () => {
    const sampled = trace.wrapSpanContext({ ...ids, traceFlags: TraceFlags.SAMPLED });
    const unsampled = trace.wrapSpanContext({ ...ids, traceFlags: TraceFlags.NONE });
    expect(traceExemplar(sampled, PROJECT)).toEqual({
      trace_id: ids.traceId,
      span_id: ids.spanId,
      project_id: PROJECT,
    });
    expect(traceExemplar(unsampled, PROJECT)).toBeUndefined();
    expect(traceExemplar(undefined, PROJECT)).toBeUndefined();
  });
});
