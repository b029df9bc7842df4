/**
 * The deployed Firebase path: no emulator (which accepts unsigned tokens), so
 * firebase-admin checks RS256 signatures against Google's public keys. The
 * keys come from a local server we control, reached through firebase-admin's
 * documented AppOptions.httpAgent (no network here): an agent that sends the
 * request for Google's key URL to 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import { Agent } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { getAuth } from 'firebase-admin/auth';
import { initializeApp } from 'firebase-admin/app';
import { SignJWT, UnsecuredJWT } from 'jose';
import { createFirebaseVerifier, firebaseIssuer } from '../src/auth';
import { apiClient, createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness';

const PROJECT = 'demo-deployed-path';

/** An https agent whose every connection goes, unencrypted, to 127.0.0.1:port. */
class LocalAgent extends Agent {
  connections = 0;
  constructor(private readonly port: number) {
    super({ keepAlive: false });
  }
  override createConnection(): ReturnType<typeof connect> {
    this.connections += 1;
    return connect(this.port, '127.0.0.1');
  }
}

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const google = rsa(); // the key whose public half the key server publishes as "google-1"
const forger = rsa();

let keyServer: Server;
let keyServerPort: number;
let keyAnswer: 'keys' | 'error' = 'keys';
let db: TestDatabase;

beforeAll(async () => {
  keyServer = createServer((_req, res) => {
    if (keyAnswer === 'error') {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('backend error');
      return;
    }
    const pem = google.publicKey.export({ type: 'spki', format: 'pem' });
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=0' });
    res.end(JSON.stringify({ 'google-1': pem }));
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
  keyServerPort = (keyServer.address() as AddressInfo).port;
  db = await createTestDatabase();
});
afterAll(async () => {
  await new Promise((resolve) => keyServer?.close(resolve));
  await db?.drop();
});

function idToken(key: KeyObject, kid: string, uid = 'user-1'): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ auth_time: now, firebase: { sign_in_provider: 'password' } })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer(firebaseIssuer(PROJECT))
    .setAudience(PROJECT)
    .setSubject(uid)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(key);
}

/**
 * firebase-admin 14 reads FIREBASE_AUTH_EMULATOR_HOST when an Auth instance is created (13 read it
 * at every verification): unset it while a verifier is built and while it verifies.
 */
async function emulatorOff<T>(work: () => Promise<T>): Promise<T> {
  const host = process.env.FIREBASE_AUTH_EMULATOR_HOST;
  delete process.env.FIREBASE_AUTH_EMULATOR_HOST;
  try {
    return await work();
  } finally {
    if (host !== undefined) process.env.FIREBASE_AUTH_EMULATOR_HOST = host;
  }
}

async function withApp(agent: Agent, work: (app: TestApp) => Promise<void>): Promise<void> {
  const firebase = await emulatorOff(async () => createFirebaseVerifier(PROJECT, { httpAgent: agent }));
  const app = await startTestApp({
    db,
    env: { FIREBASE_PROJECT_ID: PROJECT },
    deps: (deps) => ({ ...deps, verifiers: { ...deps.verifiers, firebase } }),
  });
  try {
    await emulatorOff(() => work(app));
  } finally {
    await app.close();
  }
}

const statusWith = async (app: TestApp, token: string) =>
  apiClient(app.url, `Bearer ${token}`).get('/v1/walks');

describe('Firebase ID tokens with the emulator off', () => {
  it('checks signatures against the keys the key server publishes (control: a Google-signed token passes)', async () => {
    keyAnswer = 'keys';
    const agent = new LocalAgent(keyServerPort);
    const auth = await emulatorOff(async () =>
      getAuth(initializeApp({ projectId: PROJECT, httpAgent: agent }, 'deployed-path-control')),
    );
    const token = await idToken(google.privateKey, 'google-1');
    const decoded = await emulatorOff(() => auth.verifyIdToken(token, false));
    expect(decoded.uid).toBe('user-1');
    expect(agent.connections).toBeGreaterThan(0);
  });

  it.each([
    [
      'unsigned (alg none, as the emulator issues them)',
      async () =>
        new UnsecuredJWT({ sub: 'user-1' })
          .setIssuer(firebaseIssuer(PROJECT))
          .setAudience(PROJECT)
          .setIssuedAt()
          .setExpirationTime('10m')
          .encode(),
    ],
    ['signed by another key under a published kid', () => idToken(forger.privateKey, 'google-1')],
    ['signed by another key under an unknown kid', () => idToken(forger.privateKey, 'forger-1')],
    [
      'a correctly signed token with its signature altered',
      async () => {
        const token = await idToken(google.privateKey, 'google-1');
        return `${token.slice(0, -6)}${token.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`;
      },
    ],
  ])('refuses a token %s with 401', async (what, make) => {
    keyAnswer = 'keys';
    const agent = new LocalAgent(keyServerPort);
    await withApp(agent, async (app) => {
      const res = await statusWith(app, await make());
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    });
    // a signed token is refused on its signature, after Google's keys were fetched
    if (!what.startsWith('unsigned')) expect(agent.connections).toBeGreaterThan(0);
  });

  it.each([
    ['the key server answers 500', 'error', false],
    ['the key server cannot be reached', 'keys', true],
  ])('fails closed when %s: 503, the token is not accepted', async (_what, answer, unreachable) => {
    keyAnswer = answer === 'error' ? 'error' : 'keys';
    // nothing listens on port 1
    await withApp(new LocalAgent(unreachable ? 1 : keyServerPort), async (app) => {
      const res = await statusWith(app, await idToken(google.privateKey, 'google-1'));
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('UNAVAILABLE');
      expect(res.headers.get('retry-after')).toBe('5');
    });
  });
});
