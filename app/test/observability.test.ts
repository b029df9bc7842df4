/** Logs (Cloud Logging shape, never a token) and metrics (METRICS_PORT only, route templates). */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/observability/logger';
import { startService, type RunningService } from '../src/server';
import {
  apiClient,
  createTestDatabase,
  emulatorUser,
  testEnv,
  type EmulatorUser,
  type TestDatabase,
} from './harness';

let db: TestDatabase;
let service: RunningService;
let user: EmulatorUser;
const lines: string[] = [];
let base: string;

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig(
    testEnv(db.url, { PORT: '0', METRICS_PORT: '0', GOOGLE_CLOUD_PROJECT: 'tekutoko-dev-example' }),
  );
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void lines.push(line) },
  });
  service = await startService(config, logger);
  base = `http://127.0.0.1:${service.port}`;
  user = await emulatorUser();
});
afterAll(async () => {
  await service?.stop('test over');
  await db?.drop();
});

const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('logs', () => {
  it('never contain a token or the Authorization header, whatever the outcome', async () => {
    const refreshLike = `refresh-${randomUUID()}`;
    const client = apiClient(base, user.authorization);
    await client.get('/v1/walks');
    await client.post('/v1/walks', { title: 'logged walk' });
    await client.post('/v1/walks', { title: '' });
    await apiClient(base, `${user.authorization}x`).get('/v1/walks');
    await apiClient(base, 'Bearer not.a.jwt').get('/v1/walks');
    await apiClient(base, `Bearer ${refreshLike}`).get('/v1/walks');
    await client.post('/v1/walks', { title: 't', id_token: user.idToken, refresh_token: refreshLike });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThan(5);
    const [header, payload, signature] = user.idToken.split('.');
    for (const secret of [user.idToken, payload!, refreshLike, signature || user.idToken]) {
      expect(all).not.toContain(secret);
    }
    expect(all).not.toMatch(/bearer /i);
    expect(header).toBeTruthy();
  });

  it('are Cloud Logging JSON: severity, message, request_id, trace, route, status, duration_ms, user id', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await fetch(`${base}/v1/walks`, {
      headers: {
        authorization: user.authorization,
        'x-request-id': 'req-observability-1',
        traceparent: `00-${traceId}-b7ad6b7169203331-01`,
      },
    });
    expect(res.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const line = parsed().find((l) => l.request_id === 'req-observability-1' && l.route);
    expect(line).toMatchObject({
      severity: 'INFO',
      message: 'GET /v1/walks 200',
      request_id: 'req-observability-1',
      'logging.googleapis.com/trace': `projects/tekutoko-dev-example/traces/${traceId}`,
      // tracing is off here: the caller's span and sampled flag, as the header says
      'logging.googleapis.com/spanId': 'b7ad6b7169203331',
      'logging.googleapis.com/trace_sampled': true,
      route: '/v1/walks',
      status: 200,
      user_id: user.uid,
      duration_ms: expect.any(Number),
    });
    expect(line).not.toHaveProperty('level');
    expect(line).not.toHaveProperty('msg');
  });

  it('reads the trace id from X-Cloud-Trace-Context too', async () => {
    await fetch(`${base}/healthz`, {
      headers: {
        'x-request-id': 'req-observability-2',
        'x-cloud-trace-context': '105445aa7843bc8bf206b12000100000/1;o=1',
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const line = parsed().find((l) => l.request_id === 'req-observability-2');
    expect(line?.['logging.googleapis.com/trace']).toBe(
      'projects/tekutoko-dev-example/traces/105445aa7843bc8bf206b12000100000',
    );
    expect(line?.['logging.googleapis.com/trace_sampled']).toBe(true);
  });
});

describe('logged errors', () => {
  it('keep the error but never the pg client attached to it (connection parameters)', async () => {
    const own: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => void own.push(line) },
    });
    const error = Object.assign(new Error('terminating connection due to administrator command'), {
      code: '57P01',
      client: { connectionParameters: { user: 'walk-service', password: 'never-log-me' } },
    });
    logger.warn({ err: error }, 'idle database connection lost');
    await new Promise((resolve) => setImmediate(resolve));
    const line = JSON.parse(own[0]!) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ message: error.message, code: '57P01', type: 'Error' });
    expect(line.err.client).toBeUndefined();
    expect(own[0]).not.toContain('never-log-me');
  });
});

describe('metrics', () => {
  it('are served on METRICS_PORT, not on the public port', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    // OpenMetrics: the format prom-client writes exemplars in (ADR 0243)
    expect(res.headers.get('content-type')).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    expect(await res.text()).toMatch(/\n# EOF\n$/);
  });

  it('start every route with its 5xx series at 0, so the first 5xx is a step rate() sees', async () => {
    const fresh = await startService(
      loadConfig(testEnv(db.url, { PORT: '0', METRICS_PORT: '0' })),
      createLogger({ level: 'error', destination: { write: () => undefined } }),
    );
    try {
      const text = await (await fetch(`http://127.0.0.1:${fresh.metricsPort}/metrics`)).text();
      for (const [method, route] of [
        ['GET', '/v1/walks'],
        ['GET', '/v1/walks/:id'],
        ['PUT', '/v1/walks/:id'],
      ]) {
        for (const status of ['500', '503']) {
          const labels = `method="${method}",route="${route}",status_code="${status}"`;
          expect(text).toContain(`http_requests_total{${labels}} 0`);
          expect(text).toContain(`http_request_duration_seconds_count{${labels}} 0`);
        }
      }
      expect(text).not.toMatch(/route="unmatched",status_code="5/);
    } finally {
      await fresh.stop('test over');
    }
  });

  it('carry the contract names with route templates, never raw paths', async () => {
    const client = apiClient(base, user.authorization);
    const created = await client.post('/v1/walks', { title: 'metric walk' });
    await client.get(`/v1/walks/${created.body.id}`);
    await client.put(`/v1/walks/${created.body.id}`, { title: 'renamed' });
    await client.delete(`/v1/walks/${created.body.id}`);
    await fetch(`${base}/no/such/${randomUUID()}`);
    const text = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
    expect(text).toMatch(
      /http_requests_total\{method="GET",route="\/v1\/walks\/:id",status_code="200"\} \d+/,
    );
    expect(text).toMatch(/http_requests_total\{method="GET",route="unmatched",status_code="404"\} \d+/);
    expect(text).not.toContain(created.body.id);
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="0.05",method="POST",route="\/v1\/walks",status_code="201"\}/,
    );
    for (const le of ['0.1', '0.25', '0.5', '1', '2.5']) expect(text).toContain(`le="${le}"`);
    expect(text).toMatch(/walks_writes_total\{operation="create"\} [1-9]/);
    expect(text).toMatch(/walks_writes_total\{operation="replace"\} 1/);
    expect(text).toMatch(/walks_writes_total\{operation="delete"\} 1/);
    expect(text).toMatch(/db_pool_connections\{state="total"\} \d+/);
    expect(text).toMatch(/db_pool_connections\{state="idle"\} \d+/);
    expect(text).toMatch(/db_pool_waiting_clients \d+/);
    expect(text).toMatch(/db_pool_max_connections 5/);
    for (const name of [
      'session_logins_total',
      'session_refreshes_total',
      'session_refresh_token_reuse_total',
    ]) {
      // an OpenMetrics counter family is named without its _total sample suffix
      expect(text).toContain(`# TYPE ${name.replace(/_total$/, '')} counter`);
    }
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});
