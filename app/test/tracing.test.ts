/**
 * Tracing on a real request: the service runs as a process (the
 * instrumentations patch modules as Node loads them, which Jest's module
 * system bypasses) with OTEL_TRACES_EXPORTER=otlp, and exports to an OTLP/HTTP
 * receiver in this test. Checked: the span tree of GET /v1/walks/{id}, the
 * caller's trace id kept, error status, and the trace fields of the logs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { loadTracingConfig } from '../src/config';
import { createLogger } from '../src/observability/logger';
import { startTracing } from '../src/observability/tracing';
import {
  apiClient,
  createTestDatabase,
  databaseUrl,
  emulatorUser,
  harnessValue,
  startServerProcess,
  startTcpProxy,
  testEnv,
  type ServerProcess,
  type TcpProxy,
  type TestDatabase,
} from './harness';

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  status?: { code?: number };
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  attributes: { key: string; value: OtlpValue }[];
  resource: Record<string, unknown>;
}
const SERVER = 2;
const CLIENT = 3;
const STATUS_ERROR = 2;

const attr = (span: OtlpSpan, key: string) => {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v?.stringValue ?? v?.intValue ?? v?.boolValue;
};

/** A minimal OTLP/HTTP JSON receiver: what an OpenTelemetry collector's otlp receiver accepts. */
async function startReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[] }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type']?.startsWith('application/json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as {
          resourceSpans: {
            resource: { attributes: { key: string; value: OtlpValue }[] };
            scopeSpans: { spans: Omit<OtlpSpan, 'resource'>[] }[];
          }[];
        };
        for (const rs of body.resourceSpans) {
          const resource = Object.fromEntries(
            rs.resource.attributes.map((a) => [a.key, a.value.stringValue ?? a.value.intValue]),
          );
          for (const ss of rs.scopeSpans) for (const s of ss.spans) spans.push({ ...s, resource });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans };
}

/** The span tree under `root`, one line per span, children in start order. */
function renderTree(spans: OtlpSpan[], root: OtlpSpan, depth = 0, timed = false): string[] {
  const children = spans.filter((s) => s.parentSpanId === root.spanId);
  const status = root.status?.code === STATUS_ERROR ? ' [ERROR]' : '';
  const ms = (Number(root.endTimeUnixNano) - Number(root.startTimeUnixNano)) / 1e6;
  const duration = timed ? `  ${ms.toFixed(1)} ms` : '';
  return [
    `${'  '.repeat(depth)}${root.name}${status}${duration}`,
    ...children.flatMap((child) => renderTree(spans, child, depth + 1, timed)),
  ];
}

const traceparent = (sampled: boolean) => {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, header: `00-${traceId}-${parentId}-${sampled ? '01' : '00'}` };
};

describe('tracing through the service process', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let server: ServerProcess | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    const target = new URL(db.url);
    proxy = await startTcpProxy(target.hostname, Number(target.port));
    receiver = await startReceiver();
  });
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await proxy?.close();
    await new Promise((resolve) => receiver?.server.close(resolve));
    await db?.drop();
  });

  it('exports a route-named server span with query and outgoing-call children, in the caller’s trace', async () => {
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    server = await startServerProcess(
      ['--require', 'tsx/cjs', path.join(__dirname, '../src/server.ts')],
      testEnv(databaseUrl(viaProxy.toString(), db.name), {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        GOOGLE_CLOUD_PROJECT: 'tekutoko-test',
        SERVICE_VERSION: '1.2.3',
        POD_NAME: 'walk-service-7d9f-abcde',
        POD_NAMESPACE: 'walk-service',
        LOG_LEVEL: 'info',
        DB_CONNECTION_TIMEOUT_MS: '500',
      }),
    );
    const user = await emulatorUser();
    const client = apiClient(server.url, user.authorization);
    const id = randomUUID();
    expect((await client.put(`/v1/walks/${id}`, { title: 'traced' })).status).toBe(201);

    const ok = traceparent(true);
    expect((await client.get(`/v1/walks/${id}`, { headers: { traceparent: ok.header } })).status).toBe(200);
    // the caller's "not sampled" flag does not decide: the ratio (1 here) does
    const unsampled = traceparent(false);
    expect((await client.get(`/v1/walks/${id}`, { headers: { traceparent: unsampled.header } })).status).toBe(
      200,
    );
    await proxy.down();
    const failing = traceparent(true);
    expect((await client.get(`/v1/walks/${id}`, { headers: { traceparent: failing.header } })).status).toBe(
      503,
    );
    await proxy.up();

    server.child.kill('SIGTERM'); // shutdown exports what is buffered
    expect(await server.exited()).toBe(0);
    const { spans } = receiver;

    const serverSpan = spans.find((s) => s.traceId === ok.traceId && s.kind === SERVER)!;
    expect(serverSpan).toBeDefined();
    expect(serverSpan.name).toBe('GET /v1/walks/:id');
    expect(serverSpan.parentSpanId).toBe(ok.parentId);
    expect(attr(serverSpan, 'http.route')).toBe('/v1/walks/:id');
    expect(serverSpan.resource).toMatchObject({
      'service.name': 'walk-service',
      'service.version': '1.2.3',
      'deployment.environment.name': 'test',
      'k8s.pod.name': 'walk-service-7d9f-abcde',
      'k8s.namespace.name': 'walk-service',
    });
    if (process.env.PRINT_TRACE)
      process.stdout.write(`${renderTree(spans, serverSpan, 0, true).join('\n')}\n`);
    const inTrace = spans.filter((s) => s.traceId === ok.traceId && s !== serverSpan);
    // every span of the request hangs under the server span
    const underServer = new Set([serverSpan.spanId]);
    for (let grew = true; grew;) {
      grew = false;
      for (const s of inTrace)
        if (!underServer.has(s.spanId) && s.parentSpanId && underServer.has(s.parentSpanId)) {
          underServer.add(s.spanId);
          grew = true;
        }
    }
    expect(inTrace.filter((s) => !underServer.has(s.spanId)).map((s) => s.name)).toEqual([]);
    const queries = inTrace.filter((s) => s.name.startsWith('pg.query'));
    expect(queries.map((q) => attr(q, 'db.system') ?? attr(q, 'db.system.name'))).toContain('postgresql');
    expect(
      queries.some((q) => String(attr(q, 'db.statement') ?? attr(q, 'db.query.text')).includes('FROM walks')),
    ).toBe(true);
    expect(inTrace.some((s) => s.name === 'pg-pool.connect')).toBe(true);
    // the Firebase revocation check: an outgoing HTTP call to the Auth emulator, in the same trace
    const [emulatorHost, emulatorPort] = harnessValue('emulatorHost').split(':');
    const outgoing = inTrace.filter((s) => s.kind === CLIENT);
    expect(
      outgoing.map((s) => [
        attr(s, 'server.address') ?? attr(s, 'net.peer.name'),
        String(attr(s, 'server.port') ?? attr(s, 'net.peer.port')),
      ]),
    ).toContainEqual([emulatorHost, emulatorPort]);

    expect(spans.some((s) => s.traceId === unsampled.traceId && s.kind === SERVER)).toBe(true);

    const failed = spans.find((s) => s.traceId === failing.traceId && s.kind === SERVER)!;
    expect(failed.name).toBe('GET /v1/walks/:id');
    expect(failed.status?.code).toBe(STATUS_ERROR);
    expect(attr(failed, 'http.response.status_code') ?? attr(failed, 'http.status_code')).toEqual(
      expect.anything(),
    );

    // probes are not traced
    expect(spans.some((s) => String(attr(s, 'http.route') ?? s.name).includes('readyz'))).toBe(false);

    // the access log line links to the server span (not the caller's)
    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = lines.find(
      (l) =>
        l.route === '/v1/walks/:id' &&
        l['logging.googleapis.com/trace'] === `projects/tekutoko-test/traces/${ok.traceId}`,
    );
    expect(access).toMatchObject({
      'logging.googleapis.com/spanId': serverSpan.spanId,
      'logging.googleapis.com/trace_sampled': true,
    });
  });
});

describe('log lines inside a span (in-memory exporter)', () => {
  it('carry the active span’s trace, span id and sampled flag', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = startTracing(loadTracingConfig({ APP_ENV: 'test' }), { exporter });
    try {
      const lines: string[] = [];
      const logger = createLogger({
        level: 'info',
        traceProject: 'tekutoko-test',
        destination: { write: (line: string) => void lines.push(line) },
      });
      const span = trace.getTracer('test').startSpan('work');
      context.with(trace.setSpan(context.active(), span), () => logger.info('inside'));
      span.end();
      logger.info('outside');
      const [inside, outside] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const { traceId, spanId } = span.spanContext();
      expect(inside).toMatchObject({
        'logging.googleapis.com/trace': `projects/tekutoko-test/traces/${traceId}`,
        'logging.googleapis.com/spanId': spanId,
        'logging.googleapis.com/trace_sampled': true,
      });
      expect(outside).not.toHaveProperty('logging.googleapis.com/trace');
      expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['work']);
    } finally {
      await tracing.shutdown();
    }
  });

  it('sends an access token with each OTLP export when OTEL_EXPORTER_OTLP_AUTH=google', async () => {
    const receiver = await startReceiver();
    const seen: (string | undefined)[] = [];
    receiver.server.prependListener('request', (req) => seen.push(req.headers.authorization));
    let issued = 0;
    const tracing = startTracing(
      loadTracingConfig({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_AUTH: 'google',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      }),
      { accessToken: async () => `token-${++issued}` },
    );
    try {
      trace.getTracer('test').startSpan('exported').end();
    } finally {
      await tracing.shutdown(); // flushes the batch
      await new Promise((resolve) => receiver.server.close(resolve));
    }
    expect(receiver.spans.map((s) => s.name)).toEqual(['exported']);
    expect(seen).toEqual(['Bearer token-1']);
  });

  it('posts binary protobuf to /v1/traces by default, the encoding every OTLP/HTTP receiver must accept', async () => {
    const posts: { url?: string; contentType?: string; body: Buffer }[] = [];
    const sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        posts.push({ url: req.url, contentType: req.headers['content-type'], body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
    const tracing = startTracing(
      loadTracingConfig({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`,
      }),
    );
    let traceId = '';
    try {
      const span = trace.getTracer('test').startSpan('protobuf-encoded');
      traceId = span.spanContext().traceId;
      span.end();
    } finally {
      await tracing.shutdown();
      await new Promise((resolve) => sink.close(resolve));
    }
    expect(posts.map((p) => [p.url, p.contentType])).toEqual([['/v1/traces', 'application/x-protobuf']]);
    const body = posts[0]!.body;
    // protobuf writes strings as UTF-8 and the trace id as its 16 raw bytes; JSON would carry hex
    expect(body.includes(Buffer.from('protobuf-encoded'))).toBe(true);
    expect(body.includes(Buffer.from(traceId, 'hex'))).toBe(true);
    expect(body.includes(Buffer.from(traceId))).toBe(false);
  });

  it('is off by default: no exporter, no spans', () => {
    expect(startTracing(loadTracingConfig({})).enabled).toBe(false);
  });
});
