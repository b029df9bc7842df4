/**
 * The thumbnail move (issue 24, item 3) against firebase-tools' Cloud Storage
 * emulator, the Firestore and Auth emulators and real PostgreSQL: objects in
 * both layouts the app has used are copied byte for byte into the service's
 * bucket, the rows get the new URL, the Firebase objects and their download
 * tokens stay, --verify compares MD5s and sees a corrupted copy, and a second
 * run copies nothing. (The emulator runs without its rules runtime: ADR 0220.)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Storage } from 'firebase-admin/storage';
import type { Pool } from 'pg';
import { importAuthUsers, startMigrationEnv, type MigrationEnv } from './migration-env';
import { location } from './seed';

jest.setTimeout(120_000);

let migration: MigrationEnv;
let firestore: Firestore;
let storage: Storage;
let pool: Pool;

const FIREBASE_BUCKET = 'demo-tekutoko.appspot.com';
const SERVICE_BUCKET = 'tekutoko-test-images';
const USERS = { hana: 'uid-hana', ivo: 'uid-ivo' } as const;

interface Thumbnail {
  readonly walkId: string;
  readonly userId: string;
  /** Where the app put it in Firebase Storage. */
  readonly object: string;
  readonly token: string;
  readonly bytes: Buffer;
}

// A JPEG start-of-image marker, then bytes no two objects share.
const jpeg = () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2048)]);
const thumbnail = (walkId: string, userId: string, object: string): Thumbnail => ({
  walkId,
  userId,
  object,
  token: randomUUID(),
  bytes: jpeg(),
});
const THUMBNAILS = {
  // FirebaseStorageConfig.thumbnailPath: walk_thumbnails/{uid}/{UUID}.jpg
  perUser: thumbnail(
    'F6F6F6F6-0000-4000-8000-000000000001',
    USERS.hana,
    `walk_thumbnails/${USERS.hana}/F6F6F6F6-0000-4000-8000-000000000001.jpg`,
  ),
  // older builds: walk_thumbnails/{UUID}.jpg
  flat: thumbnail(
    'F6F6F6F6-0000-4000-8000-000000000002',
    USERS.ivo,
    'walk_thumbnails/F6F6F6F6-0000-4000-8000-000000000002.jpg',
  ),
};
const MISSING = thumbnail(
  'F6F6F6F6-0000-4000-8000-000000000003',
  USERS.ivo,
  'walk_thumbnails/F6F6F6F6-0000-4000-8000-000000000003.jpg',
);
const ELSEWHERE = { walkId: 'F6F6F6F6-0000-4000-8000-000000000004', url: 'https://images.example/t/4.jpg' };

/** The app's tokenized download URL (what getDownloadURL returned to it). */
const downloadUrl = (t: Thumbnail) =>
  `https://firebasestorage.googleapis.com/v0/b/${FIREBASE_BUCKET}/o/${encodeURIComponent(t.object)}?alt=media&token=${t.token}`;
const destinationObject = (t: Thumbnail) => `walk_thumbnails/${t.userId}/${t.walkId.toLowerCase()}.jpg`;
const newUrl = (t: Thumbnail) => `https://storage.googleapis.com/${SERVICE_BUCKET}/${destinationObject(t)}`;

const walkDoc = (userId: string, thumbnailUrl: string) => ({
  user_id: userId,
  title: 'Walk',
  status: 'completed',
  start_time: Timestamp.fromDate(new Date('2026-11-01T06:00:00Z')),
  end_time: Timestamp.fromDate(new Date('2026-11-01T07:00:00Z')),
  created_at: Timestamp.fromDate(new Date('2026-11-01T06:00:00Z')),
  updated_at: Timestamp.fromDate(new Date('2026-11-01T07:00:00Z')),
  thumbnail_image_url: thumbnailUrl,
  location_data: [location(0), location(1)],
});

const cli = (...argv: string[]) => migration.cli(...argv);
const thumbnailsTo = ['--thumbnails-to', SERVICE_BUCKET];
const sourceFile = (t: Thumbnail) => storage.bucket(FIREBASE_BUCKET).file(t.object);
const destinationFile = (t: Thumbnail) => storage.bucket(SERVICE_BUCKET).file(destinationObject(t));
const rowUrl = async (walkId: string) =>
  (
    await pool.query<{ thumbnail_image_url: string | null }>(
      'SELECT thumbnail_image_url FROM walks WHERE id = $1',
      [walkId.toLowerCase()],
    )
  ).rows[0]?.thumbnail_image_url;
const generation = async (file: ReturnType<typeof sourceFile>) =>
  String((await file.getMetadata())[0].generation);

let sourceGenerations: Record<string, string>;

beforeAll(async () => {
  migration = await startMigrationEnv({ storage: true });
  ({ firestore, pool } = migration);
  storage = migration.storage!;
  await importAuthUsers(migration.auth, Object.values(USERS), new Date('2025-01-01T00:00:00Z'));
  // Uploaded as the app's SDK does: the download token is the object's firebaseStorageDownloadTokens metadata.
  for (const t of Object.values(THUMBNAILS)) {
    await sourceFile(t).save(t.bytes, {
      contentType: 'image/jpeg',
      resumable: false,
      metadata: { metadata: { firebaseStorageDownloadTokens: t.token } },
    });
  }
  sourceGenerations = Object.fromEntries(
    await Promise.all(
      Object.values(THUMBNAILS).map(async (t) => [t.object, await generation(sourceFile(t))]),
    ),
  );
  const walks = firestore.collection('walks');
  await Promise.all([
    ...[...Object.values(THUMBNAILS), MISSING].map((t) =>
      walks.doc(t.walkId).set(walkDoc(t.userId, downloadUrl(t))),
    ),
    walks.doc(ELSEWHERE.walkId).set(walkDoc(USERS.hana, ELSEWHERE.url)),
  ]);
});

afterAll(async () => {
  await migration?.close();
});

describe('moving thumbnails into the service bucket', () => {
  it('copies both layouts byte for byte, rewrites the rows and quarantines a walk whose object is gone', async () => {
    const { code, report } = await cli(...thumbnailsTo);
    expect(code).toBe(0);
    expect(report).toMatchObject({
      counts: { thumbnails: { moved: 2, already_moved: 0 }, walks: { inserted: 3, quarantined: 1 } },
      quarantined: [
        expect.objectContaining({
          source_path: `walks/${MISSING.walkId}`,
          reason: 'thumbnail_unavailable',
          detail: expect.stringContaining(`gs://${FIREBASE_BUCKET}/${MISSING.object}`),
        }),
      ],
    });

    for (const t of Object.values(THUMBNAILS)) {
      const [bytes] = await destinationFile(t).download();
      expect(bytes.equals(t.bytes)).toBe(true);
      const [metadata] = await destinationFile(t).getMetadata();
      expect(metadata.contentType).toBe('image/jpeg');
      expect(await rowUrl(t.walkId)).toBe(newUrl(t));
    }
    expect(await rowUrl(ELSEWHERE.walkId)).toBe(ELSEWHERE.url);
    expect(await rowUrl(MISSING.walkId)).toBeUndefined();
  });

  it('leaves the Firebase objects and their download tokens as they were, so the old URLs still work', async () => {
    for (const t of Object.values(THUMBNAILS)) {
      const [metadata] = await sourceFile(t).getMetadata();
      expect(String(metadata.generation)).toBe(sourceGenerations[t.object]);
      expect(metadata.metadata).toMatchObject({ firebaseStorageDownloadTokens: t.token });
      const [bytes] = await sourceFile(t).download();
      expect(bytes.equals(t.bytes)).toBe(true);
    }
  });

  it('--verify compares every moved object with its source', async () => {
    const { code, report } = await cli('--verify', ...thumbnailsTo);
    expect(report).toMatchObject({ thumbnails_compared: 2 });
    // the quarantined walk is the only thing verify may count, and it does not make a difference
    expect(report.differences).toEqual([]);
    expect(code).toBe(0);
  });

  it('a second run copies nothing', async () => {
    const before = await Promise.all(Object.values(THUMBNAILS).map((t) => generation(destinationFile(t))));
    const { code, report } = await cli(...thumbnailsTo);
    expect(code).toBe(0);
    expect(report).toMatchObject({ counts: { thumbnails: { moved: 0, already_moved: 0 } } });
    const after = await Promise.all(Object.values(THUMBNAILS).map((t) => generation(destinationFile(t))));
    expect(after).toEqual(before);
  });

  it('--verify reports a destination object whose bytes differ from the source', async () => {
    const t = THUMBNAILS.flat;
    await destinationFile(t).save(jpeg(), { contentType: 'image/jpeg', resumable: false });
    const { code, report } = await cli('--verify', ...thumbnailsTo);
    expect(code).toBe(1);
    expect(report.differences).toEqual([
      {
        kind: 'thumbnail_not_moved',
        user_id: t.userId,
        source_path: `walks/${t.walkId}`,
        detail: `gs://${SERVICE_BUCKET}/${destinationObject(t)} differs from gs://${FIREBASE_BUCKET}/${t.object}`,
      },
    ]);
  });
});
