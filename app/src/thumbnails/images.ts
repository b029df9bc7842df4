/**
 * Walk images in the bucket, as the walks API shows them. A walk stores its
 * thumbnail as a plain object URL (`https://storage.googleapis.com/<bucket>/<key>`,
 * the form the Firestore migration already writes, ADR 0143); the bucket is
 * private, so responses carry a short-lived signed GET URL in its place. Any
 * other URL (a migrated Firebase download URL) is returned as stored.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../observability/logger';
import { CLOUD_STORAGE_ORIGIN, type ObjectStore, type SignedRead } from '../storage';

export const THUMBNAIL_TYPES = { 'image/jpeg': 'jpg', 'image/png': 'png' } as const;
export type ThumbnailType = keyof typeof THUMBNAIL_TYPES;

/** Prefixes a walk's objects live under (contract: thumbnails and share images). */
export const walkPrefixes = (userId: string, walkId: string) => [
  `thumbnails/${userId}/${walkId}/`,
  `share-images/${userId}/${walkId}/`,
];

export function newThumbnailKey(userId: string, walkId: string, type: ThumbnailType): string {
  return `thumbnails/${userId}/${walkId}/${randomBytes(12).toString('base64url')}.${THUMBNAIL_TYPES[type]}`;
}

/** True when `key` is a thumbnail this user's walk may show: ours, or the migration's (ADR 0143). */
export function isWalkThumbnailKey(key: string, userId: string, walkId: string): boolean {
  const ours = `thumbnails/${userId}/${walkId}/`;
  if (key.startsWith(ours)) return /^[A-Za-z0-9_-]+\.(jpg|png)$/.test(key.slice(ours.length));
  return key === `walk_thumbnails/${userId}/${walkId}.jpg`;
}

export interface WalkImagesDeps {
  readonly store: ObjectStore;
  readonly readUrlTtlSeconds: number;
  readonly logger: Logger;
  readonly onDeleteFailure: (what: 'thumbnail' | 'walk_objects') => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Signed read URLs are reused while more than half their lifetime is left. */
const CACHE_LIMIT = 10_000;

export function createWalkImages(deps: WalkImagesDeps) {
  const { store, logger } = deps;
  const now = deps.now ?? Date.now;
  const objectOrigin = `${CLOUD_STORAGE_ORIGIN}/${store.bucket}/`;
  const cache = new Map<string, SignedRead>();

  /**
   * Our URLs: Cloud Storage's, and locally the stand-in's (the only origin the
   * store signs for besides Cloud Storage; deployed both are Cloud Storage).
   */
  const ownOrigins = new Set([CLOUD_STORAGE_ORIGIN, store.signedUrlOrigin]);

  /** The bucket key of a stored URL or of a URL we signed (plain or signed), else undefined. */
  function keyOf(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    const bucketPath = `/${store.bucket}/`;
    if (!ownOrigins.has(parsed.origin)) return undefined;
    if (!parsed.pathname.startsWith(bucketPath)) return undefined;
    return decodeURIComponent(parsed.pathname.slice(bucketPath.length)) || undefined;
  }

  async function signedRead(key: string): Promise<SignedRead> {
    const cached = cache.get(key);
    if (cached && cached.expiresAt.getTime() - now() > (deps.readUrlTtlSeconds * 1000) / 2) return cached;
    const fresh = await store.signedReadUrl(key, deps.readUrlTtlSeconds);
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    cache.delete(key);
    cache.set(key, fresh);
    return fresh;
  }

  return {
    bucket: store.bucket,
    keyOf,
    /** The stored form of an object of the bucket. */
    objectUrl: (key: string) => objectOrigin + key.split('/').map(encodeURIComponent).join('/'),

    /**
     * What a client sends back is stored in its plain form: a signed URL of the
     * bucket it once received loses its query (the signature is not data), and
     * locally the stand-in's http origin becomes Cloud Storage's. Runs before the
     * walk schema's https check, so a walk as read locally can be written back.
     */
    canonicalUrl(url: string | null): string | null {
      if (url === null) return null;
      const key = keyOf(url);
      return key === undefined ? url : this.objectUrl(key);
    },

    /** The URL a response shows: a signed GET for this walk's own objects, anything else as stored. */
    async presentUrl(userId: string, walkId: string, stored: string | null): Promise<string | null> {
      if (stored === null) return null;
      const key = keyOf(stored);
      if (key === undefined || !isWalkThumbnailKey(key, userId, walkId)) return stored;
      return (await signedRead(key)).url;
    },

    /** Deletes one object; a failure is logged and counted, never thrown (the lifecycle rule covers leftovers). */
    async deleteQuietly(key: string): Promise<void> {
      cache.delete(key);
      try {
        await store.delete(key);
      } catch (error) {
        deps.onDeleteFailure('thumbnail');
        logger.warn(
          { err: error, object: key },
          'an old thumbnail could not be deleted; left to the bucket lifecycle',
        );
      }
    },

    /**
     * Every object under the walk's thumbnail prefix but `keep` (the one the
     * walk shows): uploads never confirmed, and one a replayed upload URL
     * created again after it was replaced. A failure is logged and counted, never thrown.
     */
    async deleteOtherThumbnails(userId: string, walkId: string, keep: string | undefined): Promise<number> {
      const prefix = `thumbnails/${userId}/${walkId}/`;
      try {
        const others = (await store.list(prefix)).filter((key) => key !== keep);
        for (const key of others) cache.delete(key);
        await Promise.all(others.map((key) => store.delete(key)));
        return others.length;
      } catch (error) {
        deps.onDeleteFailure('thumbnail');
        logger.warn(
          { err: error, walk_id: walkId },
          "a walk's unconfirmed thumbnails could not be deleted; left until the walk is deleted",
        );
        return 0;
      }
    },

    /** After a walk's row is gone: its prefixes and a migrated thumbnail. Never throws. */
    async deleteWalkObjects(userId: string, walkId: string, stored: string | null): Promise<void> {
      const migrated = stored === null ? undefined : keyOf(stored);
      try {
        const deleted = await Promise.all(
          walkPrefixes(userId, walkId).map((prefix) => store.deletePrefix(prefix)),
        );
        if (migrated !== undefined && isWalkThumbnailKey(migrated, userId, walkId))
          await store.delete(migrated);
        logger.debug(
          { walk_id: walkId, objects: deleted.reduce((a, b) => a + b, 0) },
          'walk objects deleted',
        );
      } catch (error) {
        deps.onDeleteFailure('walk_objects');
        logger.warn(
          { err: error, walk_id: walkId },
          "a deleted walk's objects could not be deleted; left to the bucket lifecycle",
        );
      }
    },
  };
}

export type WalkImages = ReturnType<typeof createWalkImages>;
