/** How walk responses show thumbnails: which URLs are ours, and signed read URLs reused while fresh. */
import { createLogger } from '../../src/observability/logger';
import { createObjectStore } from '../../src/storage';
import { createWalkImages, isWalkThumbnailKey } from '../../src/thumbnails/images';
import { startTestStorage, type TestStorage } from '../harness';

let storage: TestStorage;
beforeAll(async () => {
  storage = await startTestStorage();
});
afterAll(async () => storage.stop());

function images(now: () => number) {
  const store = createObjectStore(
    {
      bucket: storage.bucket,
      apiEndpoint: storage.endpoint,
      signingCredentialsFile: storage.credentialsFile,
    },
    { now },
  );
  return createWalkImages({
    store,
    readUrlTtlSeconds: 600,
    logger: createLogger({ level: 'silent' }),
    onDeleteFailure: () => undefined,
    now,
  });
}

it("knows a walk's own thumbnails: ours under its prefix, and the migration's copy", () => {
  expect(isWalkThumbnailKey('thumbnails/u1/w1/AbC_-9.jpg', 'u1', 'w1')).toBe(true);
  expect(isWalkThumbnailKey('thumbnails/u1/w1/x.png', 'u1', 'w1')).toBe(true);
  expect(isWalkThumbnailKey('thumbnails/u1/w1/x.gif', 'u1', 'w1')).toBe(false);
  expect(isWalkThumbnailKey('thumbnails/u1/w1/a/b.jpg', 'u1', 'w1')).toBe(false);
  expect(isWalkThumbnailKey('thumbnails/u2/w1/x.jpg', 'u1', 'w1')).toBe(false);
  expect(isWalkThumbnailKey('walk_thumbnails/u1/w1.jpg', 'u1', 'w1')).toBe(true);
  expect(isWalkThumbnailKey('share-images/u1/w1/j.jpg', 'u1', 'w1')).toBe(false);
});

it('stores plain object URLs: a signed URL of the bucket loses its query, anything else is kept', () => {
  const i = images(Date.now);
  const plain = `https://storage.googleapis.com/${storage.bucket}/thumbnails/u1/w1/x.jpg`;
  expect(i.canonicalUrl(`${plain}?X-Goog-Signature=ab&X-Goog-Date=20260101T000000Z`)).toBe(plain);
  expect(i.canonicalUrl(plain)).toBe(plain);
  const otherBucket =
    'https://storage.googleapis.com/another-bucket/thumbnails/u1/w1/x.jpg?X-Goog-Signature=ab';
  expect(i.canonicalUrl(otherBucket)).toBe(otherBucket);
  // locally: the stand-in's signed URL (http) is ours too; another origin's is not
  const local = `${storage.endpoint}/${storage.bucket}/thumbnails/u1/w1/x.jpg`;
  expect(i.canonicalUrl(`${local}?X-Goog-Signature=ab`)).toBe(plain);
  const elsewhere = `https://example.com/${storage.bucket}/thumbnails/u1/w1/x.jpg?X-Goog-Signature=ab`;
  expect(i.canonicalUrl(elsewhere)).toBe(elsewhere);
  const firebase = 'https://firebasestorage.googleapis.com/v0/b/x.appspot.com/o/a.jpg?alt=media&token=t';
  expect(i.canonicalUrl(firebase)).toBe(firebase);
  expect(i.canonicalUrl(null)).toBeNull();
});

it('reuses a signed read URL while more than half its lifetime is left, then signs a new one', async () => {
  let now = Date.now();
  const i = images(() => now);
  const stored = `https://storage.googleapis.com/${storage.bucket}/thumbnails/u1/w1/x.jpg`;
  const first = await i.presentUrl('u1', 'w1', stored);
  now += 299_000;
  expect(await i.presentUrl('u1', 'w1', stored)).toBe(first);
  now += 2_000; // 301 s of 600: less than half left
  const second = await i.presentUrl('u1', 'w1', stored);
  expect(second).not.toBe(first);
  expect(await i.presentUrl('u2', 'w1', stored)).toBe(stored); // not that walk's object: unsigned
});
