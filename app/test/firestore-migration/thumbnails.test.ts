/**
 * Which thumbnail URLs the migration moves and where to. The copy itself is
 * tested against the Cloud Storage emulator in thumbnails-storage.test.ts.
 */
import type { Storage } from 'firebase-admin/storage';
import type { TargetWalk } from '../../src/firestore-migration/mapping';
import { createThumbnailMover, parseThumbnailUrl } from '../../src/firestore-migration/thumbnails';

const UUID = '3F0C1F4E-8A59-4B1F-9A0E-6F2B0A9F8C11';
const download = (object: string, bucket = 'demo-tekutoko.appspot.com') =>
  `https://firebasestorage.googleapis.com/v0/b/${bucket}/o/${encodeURIComponent(object)}?alt=media&token=0b7e8c1a-1111-4222-8333-444455556666`;

describe('the app’s thumbnail URLs', () => {
  it('recognises both storage layouts the app has used, with upper-case UUIDs', () => {
    expect(parseThumbnailUrl(download(`walk_thumbnails/${UUID}.jpg`))).toEqual({
      bucket: 'demo-tekutoko.appspot.com',
      object: `walk_thumbnails/${UUID}.jpg`,
    });
    expect(parseThumbnailUrl(download(`walk_thumbnails/uid-1/${UUID}.jpg`))).toEqual({
      bucket: 'demo-tekutoko.appspot.com',
      object: `walk_thumbnails/uid-1/${UUID}.jpg`,
    });
  });

  it('leaves other URLs alone', () => {
    expect(parseThumbnailUrl('https://images.example/t.jpg')).toBeUndefined();
    expect(parseThumbnailUrl(download('profile_images/uid-1.jpg'))).toBeUndefined();
    expect(parseThumbnailUrl(download(`walk_thumbnails/${UUID}.png`))).toBeUndefined();
  });

  it('plans a move to walk_thumbnails/{uid}/{walk id}.jpg in the service bucket', () => {
    const mover = createThumbnailMover({ storage: {} as Storage, destinationBucket: 'tekutoko-dev-images' });
    const walk = {
      id: UUID.toLowerCase(),
      user_id: 'uid-1',
      thumbnail_image_url: download(`walk_thumbnails/${UUID}.jpg`),
    } as TargetWalk;
    expect(mover.planFor(walk)).toEqual({
      sourceBucket: 'demo-tekutoko.appspot.com',
      sourceObject: `walk_thumbnails/${UUID}.jpg`,
      destinationObject: `walk_thumbnails/uid-1/${UUID.toLowerCase()}.jpg`,
      newUrl: `https://storage.googleapis.com/tekutoko-dev-images/walk_thumbnails/uid-1/${UUID.toLowerCase()}.jpg`,
    });
    expect(mover.planFor({ ...walk, thumbnail_image_url: null })).toBeUndefined();
  });
});
