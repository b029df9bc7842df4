/**
 * Cross-layer: the TRUST_PROXY the chart deploys makes req.ip the client
 * behind Google's external Application Load Balancer, which sends
 * `X-Forwarded-For: <supplied-value>,<client-ip>,<load-balancer-ip>`
 * (https://cloud.google.com/load-balancing/docs/https#x-forwarded-for_header)
 * over a connection from its own proxy: two hops to trust (ADR 0150).
 */
import { Testing } from 'cdk8s';
import { WalkServiceChart } from '../../../charts/walk-service/chart';
import { canaryProps, rollingProps } from '../../../charts/test/fixtures';
import { generateSigningJwk } from '../../src/sessions';
import { apiClient, createTestDatabase, type TestDatabase } from '../harness';
import { startSessionsApp, type SessionsTestApp } from '../sessions/helpers';

/** The forwarding rule's address: the same for every client. */
const LOAD_BALANCER_IP = '34.120.0.10';
/** What Google's load balancer forwards for `client`, after whatever the client sent itself. */
const viaGoogleLb = (client: string, supplied?: string) => ({
  headers: { 'x-forwarded-for': [supplied, client, LOAD_BALANCER_IP].filter(Boolean).join(',') },
});

type Container = { name: string; env?: Array<{ name: string; value?: string }> };

function deployedTrustProxy(props: Parameters<typeof canaryProps>[0] = {}, rolling = false): string {
  const objects = new WalkServiceChart(
    Testing.app(),
    'walk-service',
    rolling ? rollingProps(props) : canaryProps(props),
  ).toJson() as Array<{
    kind: string;
    spec?: { template?: { spec?: { containers?: Container[] } } };
  }>;
  const deployment = objects.find((o) => o.kind === 'Deployment');
  const container = deployment?.spec?.template?.spec?.containers?.find((c) => c.name === 'walk-service');
  const value = container?.env?.find((e) => e.name === 'TRUST_PROXY')?.value;
  if (value === undefined) throw new Error('the walk-service container sets no TRUST_PROXY');
  return value;
}

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function withApp(trustProxy: string, work: (app: SessionsTestApp) => Promise<void>) {
  const app = await startSessionsApp({
    db,
    keys: [generateSigningJwk()],
    env: { SESSION_LOGIN_RATE_LIMIT: '2', TRUST_PROXY: trustProxy },
  });
  try {
    await work(app);
  } finally {
    await app.close();
  }
}

const loginStatus = async (app: SessionsTestApp, options: { headers: Record<string, string> }) =>
  (await apiClient(app.url).post('/v1/sessions/login', { id_token: 'bad' }, options)).status;

describe('the client address behind Google load balancer', () => {
  it.each([
    ['canary (prod-like)', false],
    ['rolling (dev-like)', true],
  ])(
    '%s: gives each client its own login budget, whatever it puts in X-Forwarded-For',
    async (_env, rolling) => {
      const trustProxy = deployedTrustProxy({}, rolling);
      await withApp(trustProxy, async (app) => {
        expect(await loginStatus(app, viaGoogleLb('203.0.113.7'))).toBe(401);
        expect(await loginStatus(app, viaGoogleLb('203.0.113.7', '192.0.2.1'))).toBe(401);
        // a forged first entry does not buy a fresh budget
        expect(await loginStatus(app, viaGoogleLb('203.0.113.7', '192.0.2.2'))).toBe(429);
        // another client behind the same load balancer has its own
        expect(await loginStatus(app, viaGoogleLb('198.51.100.9'))).toBe(401);
        expect(await loginStatus(app, viaGoogleLb('198.51.100.9'))).toBe(401);
        expect(await loginStatus(app, viaGoogleLb('198.51.100.9'))).toBe(429);
        // and the access log names the client, not the load balancer
        const remoteIps = app
          .logLines()
          .map((line) => JSON.parse(line) as { httpRequest?: { remoteIp?: string } })
          .flatMap((line) => (line.httpRequest?.remoteIp ? [line.httpRequest.remoteIp] : []));
        expect(new Set(remoteIps)).toEqual(new Set(['203.0.113.7', '198.51.100.9']));
      });
    },
  );

  it('would put every client in one budget with one trusted hop (the load balancer address)', async () => {
    await withApp('1', async (app) => {
      expect(await loginStatus(app, viaGoogleLb('203.0.113.7'))).toBe(401);
      expect(await loginStatus(app, viaGoogleLb('198.51.100.9'))).toBe(401);
      expect(await loginStatus(app, viaGoogleLb('192.0.2.44'))).toBe(429);
    });
  });
});
