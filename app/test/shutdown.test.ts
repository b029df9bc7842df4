/** SIGTERM while requests stream in: none fails, the process drains and exits 0. */
import path from 'node:path';
import { Agent, request } from 'node:http';
import { randomUUID } from 'node:crypto';
import {
  createTestDatabase,
  emulatorUser,
  startServerProcess,
  testEnv,
  type ServerProcess,
  type TestDatabase,
} from './harness';

let db: TestDatabase;
let server: ServerProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  server?.child.kill('SIGKILL');
  await db?.drop();
});

const slowBody = (n: number) => ({
  title: `walk ${n}`,
  locations: Array.from({ length: 3000 }, (_, i) => ({
    sequence_number: i,
    latitude: 35,
    longitude: 139,
    timestamp: '2026-11-22T06:00:00Z',
  })),
});

it('finishes every in-flight request after SIGTERM and exits 0', async () => {
  server = await startServerProcess(
    ['--require', 'tsx/cjs', path.join(__dirname, '../src/server.ts')],
    testEnv(db.url, { SHUTDOWN_TIMEOUT_MS: '15000', LOG_LEVEL: 'info', DB_POOL_MAX: '4' }),
  );
  const user = await emulatorUser();
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const sending = new Set<Promise<void>>();
  const put = (body: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        `${server!.url}/v1/walks/${randomUUID()}`,
        {
          method: 'PUT',
          agent,
          headers: { authorization: user.authorization, 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      const sent = new Promise<void>((done) => req.once('finish', done).once('error', () => done()));
      sending.add(sent);
      void sent.then(() => sending.delete(sent));
      req.end(body);
    });
  let stop = false;
  let inFlight = 0;
  const outcomes: Array<number | string> = [];

  const worker = async (w: number) => {
    for (let n = 0; !stop; n += 1) {
      inFlight += 1;
      const res = await put(JSON.stringify(slowBody(w * 1000 + n))).catch((error: Error) => error.message);
      inFlight -= 1;
      outcomes.push(res);
    }
  };
  const workers = Array.from({ length: 12 }, (_, w) => worker(w));
  // let the stream run: a couple of rounds of responses, however slow the machine is today
  while (outcomes.length < 24) await new Promise((resolve) => setTimeout(resolve, 50));
  stop = true; // no new requests from now on
  // Requests count as in flight once their bytes have left the client; a request still being
  // written when the listener closes would meet a closed connection (the load balancer's
  // endpoint removal and the chart's preStop delay prevent that in production).
  await Promise.all([...sending]);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const inFlightAtSignal = inFlight;
  server.child.kill('SIGTERM');
  await Promise.all(workers);
  const code = await server.exited();
  agent.destroy();

  expect(inFlightAtSignal).toBeGreaterThan(0);
  expect(outcomes.length).toBeGreaterThan(inFlightAtSignal);
  expect(outcomes.filter((o) => o !== 201)).toEqual([]);
  expect(code).toBe(0);
  expect(server.output()).toContain('shutdown complete');
}, 60_000);
