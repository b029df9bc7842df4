/**
 * Thumbnail uploads end to end: the service against PostgreSQL and the Auth
 * emulator, the bytes through the storage stand-in, which refuses what Cloud
 * Storage refuses.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createObjectStore, type ObjectStore } from '../src/storage';
import {
  apiClient,
  emulatorUser,
  startTestApp,
  startTestStorage,
  useApp,
  type ApiClient,
  type EmulatorUser,
  type TestApp,
  type TestStorage,
} from './harness';

const MAX_BYTES = 64 * 1024;
let storage: TestStorage;
const { app } = useApp(async (db): Promise<TestApp & { store: ObjectStore }> => {
  storage = await startTestStorage();
  const started = await startTestApp({
    db,
    env: { ...storage.env, THUMBNAIL_MAX_BYTES: String(MAX_BYTES), IMAGE_READ_URL_TTL_SECONDS: '600' },
  });
  const store = createObjectStore({
    bucket: storage.bucket,
    apiEndpoint: storage.endpoint,
    signingCredentialsFile: storage.credentialsFile,
  });
  return {
    ...started,
    store,
    close: async () => {
      await started.close();
      await storage.stop();
    },
  };
});

let alice: EmulatorUser;
let asAlice: ApiClient;
let asBob: ApiClient;
beforeAll(async () => {
  const [a, b] = await Promise.all([emulatorUser(), emulatorUser()]);
  alice = a;
  asAlice = apiClient(app.url, a.authorization);
  asBob = apiClient(app.url, b.authorization);
});

const walkBody = {
  title: 'River',
  description: '',
  status: 'in_progress',
  total_distance: 10,
  total_steps: 12,
};

async function newWalk(): Promise<string> {
  const res = await asAlice.post('/v1/walks', walkBody);
  expect([res.status, res.body.error]).toEqual([201, undefined]);
  return res.body.id as string;
}

/** A tiny real JPEG header is not needed: the service checks type and size, not pixels. */
const imageBytes = (size: number) => randomBytes(size);

interface Upload {
  url: string;
  method: string;
  headers: Record<string, string>;
  expires_at: string;
  object: string;
}

async function uploadUrl(walkId: string, body: object = { content_type: 'image/jpeg' }) {
  return asAlice.post(`/v1/walks/${walkId}/thumbnail/upload-url`, body);
}

const putBytes = (upload: Upload, bytes: Buffer, headers: Record<string, string> = upload.headers) =>
  fetch(upload.url, { method: 'PUT', headers, body: bytes });

describe('upload URL issuance', () => {
  it('signs one PUT for a new object under the walk, with the type and the size range as signed headers', async () => {
    const walkId = await newWalk();
    const res = await uploadUrl(walkId, { content_type: 'image/png' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({
      method: 'PUT',
      headers: {
        'Content-Type': 'image/png',
        'x-goog-content-length-range': `0,${MAX_BYTES}`,
        'x-goog-if-generation-match': '0',
      },
    });
    expect(res.body.object).toMatch(new RegExp(`^thumbnails/${alice.uid}/${walkId}/[A-Za-z0-9_-]+\\.png$`));
    const url = new URL(res.body.url);
    expect(url.pathname).toBe(`/${storage.bucket}/${res.body.object}`);
    expect(url.searchParams.get('X-Goog-SignedHeaders')).toBe(
      'content-type;host;x-goog-content-length-range;x-goog-if-generation-match',
    );
    const lifetime = Date.parse(res.body.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(590_000);
    expect(lifetime).toBeLessThanOrEqual(600_000);
  });

  it('narrows the range to a declared content_length', async () => {
    const res = await uploadUrl(await newWalk(), { content_type: 'image/jpeg', content_length: 1234 });
    expect(res.body.headers['x-goog-content-length-range']).toBe('0,1234');
  });

  it("answers another user's walk, and a missing one, with 404", async () => {
    const walkId = await newWalk();
    const theirs = await asBob.post(`/v1/walks/${walkId}/thumbnail/upload-url`, {
      content_type: 'image/jpeg',
    });
    const missing = await uploadUrl(randomUUID());
    expect([theirs.status, theirs.body.error.code, missing.status]).toEqual([404, 'NOT_FOUND', 404]);
  });

  it('refuses other types and sizes over the maximum with 400', async () => {
    const walkId = await newWalk();
    const gif = await uploadUrl(walkId, { content_type: 'image/gif' });
    const large = await uploadUrl(walkId, { content_type: 'image/jpeg', content_length: MAX_BYTES + 1 });
    expect([gif.status, gif.body.error.details[0].field]).toEqual([400, 'content_type']);
    expect([large.status, large.body.error.details[0]]).toEqual([
      400,
      { field: 'content_length', issue: 'too_large' },
    ]);
  });
});

describe('the stand-in refuses what Cloud Storage refuses', () => {
  let upload: Upload;
  beforeAll(async () => {
    upload = (await uploadUrl(await newWalk(), { content_type: 'image/jpeg', content_length: 100 })).body;
  });

  it('a body over the signed range: 400', async () => {
    const res = await putBytes(upload, imageBytes(101));
    expect(res.status).toBe(400);
    expect(await app.store.exists(upload.object)).toBe(false);
  });

  it('another content type than the signed one: 403', async () => {
    const res = await putBytes(upload, imageBytes(50), { ...upload.headers, 'Content-Type': 'image/png' });
    expect([res.status, await res.text()]).toEqual([403, expect.stringContaining('SignatureDoesNotMatch')]);
  });

  it('a missing signed header: 403', async () => {
    const res = await putBytes(upload, imageBytes(50), { 'Content-Type': 'image/jpeg' });
    expect(res.status).toBe(403);
  });

  it('a tampered signature or a tampered query: 403', async () => {
    const url = new URL(upload.url);
    const signature = url.searchParams.get('X-Goog-Signature') ?? '';
    url.searchParams.set(
      'X-Goog-Signature',
      `${signature.slice(0, -2)}${signature.endsWith('00') ? '11' : '00'}`,
    );
    const tampered = await fetch(url, { method: 'PUT', headers: upload.headers, body: imageBytes(10) });
    const longer = new URL(upload.url);
    longer.searchParams.set('X-Goog-Expires', '604800');
    const extended = await fetch(longer, { method: 'PUT', headers: upload.headers, body: imageBytes(10) });
    expect([tampered.status, extended.status]).toEqual([403, 403]);
  });

  it('another method (GET on the PUT URL): 403', async () => {
    const res = await fetch(upload.url);
    expect(res.status).toBe(403);
  });

  it('an expired URL: 400 ExpiredToken', async () => {
    const store = createObjectStore(
      {
        bucket: storage.bucket,
        apiEndpoint: storage.endpoint,
        signingCredentialsFile: storage.credentialsFile,
      },
      { now: () => Date.now() },
    );
    // signed 2 s ago for 1 s, as the library would have signed it then
    jest.useFakeTimers({
      now: Date.now() - 2000,
      doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'queueMicrotask'],
    });
    const old = await store.signedUploadUrl({
      key: upload.object,
      contentType: 'image/jpeg',
      maxBytes: 100,
      expiresInSeconds: 1,
    });
    jest.useRealTimers();
    const res = await fetch(old.url, { method: 'PUT', headers: old.headers, body: imageBytes(10) });
    expect([res.status, await res.text()]).toEqual([400, expect.stringContaining('ExpiredToken')]);
  });

  it('a URL signed by another key: 403', async () => {
    const other = await startTestStorage();
    try {
      const foreign = createObjectStore({
        bucket: storage.bucket,
        apiEndpoint: storage.endpoint,
        signingCredentialsFile: other.credentialsFile,
      });
      const signed = await foreign.signedUploadUrl({
        key: upload.object,
        contentType: 'image/jpeg',
        maxBytes: 100,
        expiresInSeconds: 60,
      });
      const res = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: imageBytes(10) });
      expect(res.status).toBe(403);
    } finally {
      await other.stop();
    }
  });
});

describe('upload, confirm, read, replace, delete', () => {
  it('runs the whole flow with the bytes intact', async () => {
    const walkId = await newWalk();
    const first = (await uploadUrl(walkId)).body;
    const bytes = imageBytes(2048);
    expect((await putBytes(first, bytes)).status).toBe(200);

    const confirmed = await asAlice.put(`/v1/walks/${walkId}/thumbnail`, { object: first.object });
    expect(confirmed.status).toBe(200);
    expect(confirmed.headers.get('etag')).toBe('"2"');
    expect(confirmed.body).toMatchObject({ object: first.object, version: 2 });

    const walk = await asAlice.get(`/v1/walks/${walkId}`);
    expect(walk.body.version).toBe(2);
    const shown = new URL(walk.body.thumbnail_image_url as string);
    expect(shown.searchParams.get('X-Goog-Signature')).toMatch(/^[0-9a-f]+$/);
    const download = await fetch(shown);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);

    // the list and a write's answer show the signed URL too; what a client sends back is stored plain
    const listed = await asAlice.get('/v1/walks?limit=100');
    const summary = listed.body.walks.find((w: { id: string }) => w.id === walkId);
    expect(new URL(summary.thumbnail_image_url).searchParams.has('X-Goog-Signature')).toBe(true);
    // (as Cloud Storage's URL: the schema takes https only, the stand-in is http)
    const { locations: _locations, ...sentBack } = walk.body;
    const asGcs = `https://storage.googleapis.com${shown.pathname}${shown.search}`;
    const rewritten = await asAlice.put(`/v1/walks/${walkId}`, {
      ...sentBack,
      title: 'River again',
      thumbnail_image_url: asGcs,
    });
    expect(rewritten.status).toBe(200);
    const stored = await app.deps.pool.query('SELECT thumbnail_image_url FROM walks WHERE id = $1', [walkId]);
    expect(stored.rows[0].thumbnail_image_url).toBe(
      `https://storage.googleapis.com/${storage.bucket}/${first.object}`,
    );

    // a replacement removes the old object
    const second = (await uploadUrl(walkId, { content_type: 'image/png' })).body;
    expect((await putBytes(second, imageBytes(512))).status).toBe(200);
    expect((await asAlice.put(`/v1/walks/${walkId}/thumbnail`, { object: second.object })).status).toBe(200);
    expect(await app.store.exists(first.object)).toBe(false);
    expect(await app.store.metadata(second.object)).toEqual({ contentType: 'image/png', size: 512 });

    // deleting the walk removes its objects, share images included
    const shareImage = `share-images/${alice.uid}/${walkId}/${randomUUID()}.jpg`;
    await app.store.put(shareImage, imageBytes(100), 'image/jpeg');
    expect((await asAlice.delete(`/v1/walks/${walkId}`)).status).toBe(204);
    expect(await app.store.exists(second.object)).toBe(false);
    expect(await app.store.exists(shareImage)).toBe(false);
  });

  it('takes a walk as read locally (its thumbnail a signed URL of the http stand-in) back with PUT, stored plain', async () => {
    const walkId = await newWalk();
    const upload = (await uploadUrl(walkId)).body;
    expect((await putBytes(upload, imageBytes(300))).status).toBe(200);
    expect((await asAlice.put(`/v1/walks/${walkId}/thumbnail`, { object: upload.object })).status).toBe(200);
    const read = await asAlice.get(`/v1/walks/${walkId}`);
    const shown = new URL(read.body.thumbnail_image_url as string);
    expect(shown.origin).toBe(storage.endpoint); // what `npm start` shows the app: http, not https

    const written = await asAlice.put(`/v1/walks/${walkId}`, read.body, {
      headers: { 'If-Match': read.headers.get('etag') ?? '' },
    });
    expect([written.status, written.body.error]).toEqual([200, undefined]);
    const stored = await app.deps.pool.query('SELECT thumbnail_image_url FROM walks WHERE id = $1', [walkId]);
    expect(stored.rows[0].thumbnail_image_url).toBe(
      `https://storage.googleapis.com/${storage.bucket}/${upload.object}`,
    );
    // an http URL that is not the stand-in's is still refused
    const foreign = await asAlice.put(`/v1/walks/${walkId}`, {
      ...walkBody,
      thumbnail_image_url: `http://127.0.0.2:1/${storage.bucket}/${upload.object}${shown.search}`,
    });
    expect([foreign.status, foreign.body.error?.details?.[0]?.field]).toEqual([400, 'thumbnail_image_url']);
  });

  it('an upload URL writes once: replayed after the confirmation it is refused (412), the thumbnail intact', async () => {
    const walkId = await newWalk();
    const upload = (await uploadUrl(walkId)).body;
    const bytes = imageBytes(400);
    expect((await putBytes(upload, bytes)).status).toBe(200);
    expect((await asAlice.put(`/v1/walks/${walkId}/thumbnail`, { object: upload.object })).status).toBe(200);

    const replay = await putBytes(upload, imageBytes(999));
    expect([replay.status, await replay.text()]).toEqual([
      412,
      expect.stringContaining('PreconditionFailed'),
    ]);
    // without the signed precondition header the signature does not match
    const { 'x-goog-if-generation-match': _dropped, ...unconditional } = upload.headers;
    expect((await putBytes(upload, imageBytes(999), unconditional)).status).toBe(403);
    const shown = await fetch((await asAlice.get(`/v1/walks/${walkId}`)).body.thumbnail_image_url);
    expect(Buffer.from(await shown.arrayBuffer()).equals(bytes)).toBe(true);
    expect(await app.store.list(`thumbnails/${alice.uid}/${walkId}/`)).toEqual([upload.object]);
  });

  it("a confirmation removes the walk's unconfirmed uploads, also one a replayed URL created again", async () => {
    const walkId = await newWalk();
    const prefix = `thumbnails/${alice.uid}/${walkId}/`;
    const first = (await uploadUrl(walkId)).body;
    expect((await putBytes(first, imageBytes(100))).status).toBe(200);
    expect((await asAlice.put(`/v1/walks/${walkId}/thumbnail`, { object: first.object })).status).toBe(200);
    const abandoned = (await uploadUrl(walkId)).body;
    expect((await putBytes(abandoned, imageBytes(100))).status).toBe(200);
    const second = (await uploadUrl(walkId)).body;
    expect((await putBytes(second, imageBytes(100))).status).toBe(200);
    expect((await asAlice.put(`/v1/walks/${walkId}/thumbnail`, { object: second.object })).status).toBe(200);
    expect(await app.store.list(prefix)).toEqual([second.object]);

    // Cloud Storage's precondition 0 means "no live object": the replaced (deleted) object's URL
    // can write it again while the URL lives; it is an unconfirmed upload, gone at the next confirmation
    expect((await putBytes(first, imageBytes(100))).status).toBe(200);
    expect((await asAlice.put(`/v1/walks/${walkId}/thumbnail`, { object: second.object })).status).toBe(200);
    expect(await app.store.list(prefix)).toEqual([second.object]);
    expect((await asAlice.get(`/v1/walks/${walkId}`)).body.version).toBe(3);
  });

  it("refuses to confirm what was not uploaded, another walk's object, or someone else's walk", async () => {
    const walkId = await newWalk();
    const otherWalk = await newWalk();
    const upload = (await uploadUrl(walkId)).body;
    const notYet = await asAlice.put(`/v1/walks/${walkId}/thumbnail`, { object: upload.object });
    expect([notYet.status, notYet.body.error.details[0]]).toEqual([
      400,
      { field: 'object', issue: 'not_uploaded' },
    ]);
    await putBytes(upload, imageBytes(100));
    const elsewhere = await asAlice.put(`/v1/walks/${otherWalk}/thumbnail`, { object: upload.object });
    expect([elsewhere.status, elsewhere.body.error.details[0].issue]).toEqual([400, 'invalid']);
    const theirs = await asBob.put(`/v1/walks/${walkId}/thumbnail`, { object: upload.object });
    expect(theirs.status).toBe(404);
  });

  it('refuses an object whose stored type is not the one issued', async () => {
    const walkId = await newWalk();
    const key = `thumbnails/${alice.uid}/${walkId}/handmade.jpg`;
    await app.store.put(key, imageBytes(100), 'text/html');
    const res = await asAlice.put(`/v1/walks/${walkId}/thumbnail`, { object: key });
    expect([res.status, res.body.error.details[0].issue]).toEqual([400, 'wrong_type']);
  });

  it('leaves a migrated Firebase URL as stored', async () => {
    const firebaseUrl =
      'https://firebasestorage.googleapis.com/v0/b/example.appspot.com/o/walk_thumbnails%2Fa.jpg?alt=media&token=t';
    const res = await asAlice.post('/v1/walks', { ...walkBody, thumbnail_image_url: firebaseUrl });
    expect(res.body.thumbnail_image_url).toBe(firebaseUrl);
    expect((await asAlice.get(`/v1/walks/${res.body.id}`)).body.thumbnail_image_url).toBe(firebaseUrl);
  });

  it("signs a migrated copy in our bucket (ADR 0143's layout), but never another walk's object", async () => {
    const walkId = randomUUID();
    const migratedKey = `walk_thumbnails/${alice.uid}/${walkId}.jpg`;
    await app.store.put(migratedKey, imageBytes(64), 'image/jpeg');
    const plain = `https://storage.googleapis.com/${storage.bucket}/${migratedKey}`;
    const created = await asAlice.post('/v1/walks', { ...walkBody, id: walkId, thumbnail_image_url: plain });
    const download = await fetch(created.body.thumbnail_image_url);
    expect(download.status).toBe(200);

    const foreign = `https://storage.googleapis.com/${storage.bucket}/thumbnails/someone-else/${randomUUID()}/x.jpg`;
    const other = await asAlice.post('/v1/walks', { ...walkBody, thumbnail_image_url: foreign });
    expect(other.body.thumbnail_image_url).toBe(foreign);
  });

  it('a failed object delete does not fail the walk delete: logged and counted', async () => {
    const walkId = await newWalk();
    await storage.stop(); // the bucket is unreachable from here on
    try {
      const res = await asAlice.delete(`/v1/walks/${walkId}`);
      expect(res.status).toBe(204);
      const metrics = await app.deps.metrics.registry.metrics();
      expect(metrics).toContain('walk_image_object_delete_failures_total{object="walk_objects"} 1');
      expect(app.logLines().some((line) => line.includes('left to the bucket lifecycle'))).toBe(true);
    } finally {
      storage = await startTestStorage(); // close() stops it again
    }
  });
});

describe('without image storage configured', () => {
  const bare = useApp((db) => startTestApp({ db }));

  it('answers the thumbnail routes with 503', async () => {
    const user = await emulatorUser();
    const client = apiClient(bare.app.url, user.authorization);
    const created = await client.post('/v1/walks', walkBody);
    const res = await client.post(`/v1/walks/${created.body.id}/thumbnail/upload-url`, {
      content_type: 'image/jpeg',
    });
    expect([res.status, res.body.error.code]).toEqual([503, 'UNAVAILABLE']);
  });
});
