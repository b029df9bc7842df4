/**
 * Moves walk thumbnails out of the app's Firebase Storage into the service's
 * bucket. The app stores them at `walk_thumbnails/{UUID}.jpg` (older builds)
 * or `walk_thumbnails/{uid}/{UUID}.jpg` (FirebaseStorageConfig.thumbnailPath),
 * upper-case UUIDs, and writes a tokenized download URL
 * (https://firebase.google.com/docs/storage/web/download-files#download_data_via_url)
 * into the walk: `https://firebasestorage.googleapis.com/v0/b/<bucket>/o/<path, URL-encoded>?alt=media&token=…`.
 *
 * The move copies (the source object and its old URL stay readable until the
 * cutover is verified and Firebase Storage is retired), and the walk row gets
 * the new URL. The new URL is a pure function of the walk, so a re-run and
 * --verify compute the same one.
 */
import { createHash } from 'node:crypto';
import type { Storage } from 'firebase-admin/storage';
import type { TargetWalk } from './mapping';

const DOWNLOAD_URL = /^https:\/\/firebasestorage\.googleapis\.com\/v0\/b\/([^/?#]+)\/o\/([^/?#]+)(?:\?.*)?$/;
const THUMBNAIL_PATH =
  /^walk_thumbnails\/(?:[^/]+\/)?[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}\.jpg$/;

export interface ThumbnailMove {
  readonly sourceBucket: string;
  readonly sourceObject: string;
  readonly destinationObject: string;
  readonly newUrl: string;
}

export interface ThumbnailMover {
  /** The move for this walk's thumbnail; undefined when it is not one of the app's Firebase Storage thumbnails. */
  planFor(walk: TargetWalk): ThumbnailMove | undefined;
  /** Copies the object unless the destination already holds the same bytes. */
  move(plan: ThumbnailMove): Promise<'moved' | 'already_moved'>;
  /** undefined when the destination holds the source's bytes; otherwise what is wrong. */
  check(plan: ThumbnailMove): Promise<string | undefined>;
}

/** A thumbnail that cannot be moved: its walk is quarantined with this message. */
export class ThumbnailError extends Error {}

export interface ThumbnailMoverOptions {
  readonly storage: Storage;
  /** The service's bucket (created by the platform stack). */
  readonly destinationBucket: string;
  /**
   * Where the service serves that bucket's objects from, without a trailing slash.
   * @default `https://storage.googleapis.com/<destinationBucket>`
   */
  readonly urlBase?: string;
}

/** Bucket and object a Firebase download URL points at, when it is one of the app's thumbnails. */
export function parseThumbnailUrl(url: string): { bucket: string; object: string } | undefined {
  const match = DOWNLOAD_URL.exec(url);
  if (!match) return undefined;
  const object = decodeURIComponent(match[2]!);
  return THUMBNAIL_PATH.test(object) ? { bucket: decodeURIComponent(match[1]!), object } : undefined;
}

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('base64');

export function createThumbnailMover(options: ThumbnailMoverOptions): ThumbnailMover {
  const { storage, destinationBucket } = options;
  const urlBase = (options.urlBase ?? `https://storage.googleapis.com/${destinationBucket}`).replace(
    /\/+$/,
    '',
  );
  const source = (plan: ThumbnailMove) => storage.bucket(plan.sourceBucket).file(plan.sourceObject);
  const destination = (plan: ThumbnailMove) => storage.bucket(destinationBucket).file(plan.destinationObject);

  async function hashOf(file: ReturnType<typeof source>): Promise<string | undefined> {
    const [exists] = await file.exists();
    if (!exists) return undefined;
    const [metadata] = await file.getMetadata();
    return typeof metadata.md5Hash === 'string' ? metadata.md5Hash : undefined;
  }

  return {
    planFor(walk) {
      const parsed = walk.thumbnail_image_url ? parseThumbnailUrl(walk.thumbnail_image_url) : undefined;
      if (!parsed) return undefined;
      const destinationObject = `walk_thumbnails/${encodeURIComponent(walk.user_id)}/${walk.id}.jpg`;
      return {
        sourceBucket: parsed.bucket,
        sourceObject: parsed.object,
        destinationObject,
        newUrl: `${urlBase}/${destinationObject}`,
      };
    },

    async move(plan) {
      let bytes: Buffer;
      try {
        [bytes] = await source(plan).download();
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        throw new ThumbnailError(
          `gs://${plan.sourceBucket}/${plan.sourceObject} cannot be read (${code ?? (error as Error).message})`,
        );
      }
      if ((await hashOf(destination(plan))) === md5(bytes)) return 'already_moved';
      await destination(plan).save(bytes, { contentType: 'image/jpeg', resumable: false });
      return 'moved';
    },

    async check(plan) {
      const [want, have] = await Promise.all([hashOf(source(plan)), hashOf(destination(plan))]);
      if (have === undefined) return `gs://${destinationBucket}/${plan.destinationObject} is missing`;
      if (want !== undefined && want !== have) {
        return `gs://${destinationBucket}/${plan.destinationObject} differs from gs://${plan.sourceBucket}/${plan.sourceObject}`;
      }
      return undefined;
    },
  };
}
