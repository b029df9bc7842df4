/**
 * Deployed, the ObjectStore has no key: @google-cloud/storage asks the IAM
 * Credentials signBlob API to sign. Here the workload's identity is what GKE
 * gives a pod: a metadata server that knows the service account's email (a
 * local stand-in via GCE_METADATA_HOST), and an auth client whose HTTP
 * transport records the signBlob call and answers it the way IAM would, by
 * signing with the service account's (test) key.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StorageOptions } from '@google-cloud/storage';
import { verifyV4Request } from '../../dev/storage-stand-in';
import {
  CONTENT_LENGTH_RANGE_HEADER,
  createObjectStore,
  IF_GENERATION_MATCH_HEADER,
} from '../../src/storage';

const EMAIL = 'walk-service@example-project.iam.gserviceaccount.com';
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

interface SignBlobCall {
  readonly url: string;
  readonly method: string | undefined;
  readonly payload: string;
}

/**
 * The workload identity's auth client (the shape of google-auth-library's
 * AuthClient the library calls): no key; every request it would send to Google is recorded.
 */
class RecordingWorkloadClient {
  readonly universeDomain = 'googleapis.com';
  readonly calls: SignBlobCall[] = [];
  readonly signatures: string[] = [];
  async getAccessToken() {
    return { token: 'workload-identity-token' };
  }
  async getRequestHeaders() {
    return new Headers({ authorization: 'Bearer workload-identity-token' });
  }
  async request(options: { url?: string | URL; method?: string; data?: unknown }) {
    const url = String(options.url);
    const payload = (options.data as { payload: string }).payload;
    this.calls.push({ url, method: options.method, payload });
    // what IAM does: RSA-SHA256 over the payload with the service account's key, base64
    const signedBlob = sign('RSA-SHA256', Buffer.from(payload, 'base64'), createPrivateKey(keyPem)).toString(
      'base64',
    );
    this.signatures.push(signedBlob);
    return { status: 200, data: { keyId: 'k1', signedBlob } };
  }
}

let metadata: Server;
const previousHost = process.env.GCE_METADATA_HOST;
beforeAll(async () => {
  // GKE's metadata server as google-auth-library reads it (Metadata-Flavor: Google on every answer)
  metadata = createServer((req, res) => {
    res.setHeader('Metadata-Flavor', 'Google');
    if (req.url?.startsWith('/computeMetadata/v1/instance/service-accounts/default/email'))
      return res.end(EMAIL);
    if (req.url?.startsWith('/computeMetadata/v1/universe/universe-domain')) return res.end('googleapis.com');
    if (req.url?.startsWith('/computeMetadata/v1/instance')) return res.end('');
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve));
  process.env.GCE_METADATA_HOST = `127.0.0.1:${(metadata.address() as AddressInfo).port}`;
});
afterAll(async () => {
  if (previousHost === undefined) delete process.env.GCE_METADATA_HOST;
  else process.env.GCE_METADATA_HOST = previousHost;
  await new Promise<void>((resolve) => metadata.close(() => resolve()));
});

test('a signed upload URL without any key: the library calls signBlob and the URL carries its signature', async () => {
  const client = new RecordingWorkloadClient();
  const store = createObjectStore(
    { bucket: 'example-walk-images', apiEndpoint: undefined, signingCredentialsFile: undefined },
    { authClient: client as unknown as StorageOptions['authClient'] },
  );
  const upload = await store.signedUploadUrl({
    key: 'thumbnails/u1/w1/abc.jpg',
    contentType: 'image/jpeg',
    maxBytes: 5 * 1024 * 1024,
    expiresInSeconds: 600,
  });

  expect(client.calls).toHaveLength(1);
  const [call] = client.calls;
  expect(call?.method).toBe('POST');
  expect(call?.url).toBe(
    `https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/${EMAIL}:signBlob`,
  );
  const url = new URL(upload.url);
  expect(url.origin).toBe('https://storage.googleapis.com');
  expect(url.pathname).toBe('/example-walk-images/thumbnails/u1/w1/abc.jpg');
  expect(url.searchParams.get('X-Goog-Credential')).toMatch(
    new RegExp(`^${EMAIL}/\\d{8}/auto/storage/goog4_request$`),
  );
  expect(url.searchParams.get('X-Goog-SignedHeaders')).toBe(
    `content-type;host;${CONTENT_LENGTH_RANGE_HEADER};${IF_GENERATION_MATCH_HEADER}`,
  );
  expect(url.searchParams.get('X-Goog-Signature')).toBe(
    Buffer.from(client.signatures[0] ?? '', 'base64').toString('hex'),
  );
  // the string IAM signed is the V4 string-to-sign of exactly this request, as Cloud Storage recomputes it
  const verdict = verifyV4Request({
    method: 'PUT',
    rawPath: url.pathname,
    query: url.searchParams,
    headers: {
      host: url.host,
      'content-type': upload.headers['Content-Type'],
      [CONTENT_LENGTH_RANGE_HEADER]: upload.headers[CONTENT_LENGTH_RANGE_HEADER],
      [IF_GENERATION_MATCH_HEADER]: upload.headers[IF_GENERATION_MATCH_HEADER],
    },
    publicKey: createPublicKey(keyPem),
    clientEmail: EMAIL,
    now: Date.now(),
  });
  expect(verdict).toMatchObject({ ok: true });
  expect(Buffer.from(call?.payload ?? '', 'base64').toString('utf8')).toMatch(
    /^GOOG4-RSA-SHA256\n\d{8}T\d{6}Z\n/,
  );
});

test('a signed read URL is signed the same way', async () => {
  const client = new RecordingWorkloadClient();
  const store = createObjectStore(
    { bucket: 'example-walk-images', apiEndpoint: undefined, signingCredentialsFile: undefined },
    { authClient: client as unknown as StorageOptions['authClient'] },
  );
  const read = await store.signedReadUrl('thumbnails/u1/w1/abc.jpg', 3600);
  expect(client.calls).toHaveLength(1);
  expect(new URL(read.url).searchParams.get('X-Goog-Signature')).toBe(
    Buffer.from(client.signatures[0] ?? '', 'base64').toString('hex'),
  );
  expect(new URL(read.url).searchParams.get('X-Goog-Expires')).toBe('3600');
});
