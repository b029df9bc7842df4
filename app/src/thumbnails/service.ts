/**
 * Thumbnail uploads: a signed PUT URL for one new object under the walk's
 * prefix, then the client's confirmation, which checks the object in the
 * bucket and makes it the walk's thumbnail. Knows nothing of HTTP.
 */
import type { Pool } from 'pg';
import type { AuthenticatedUser } from '../auth';
import type { StorageConfig } from '../config';
import { inTransaction } from '../db/pool';
import { DomainError } from '../domain-errors';
import type { Clock } from '../lifecycle';
import type { ObjectStore } from '../storage';
import {
  isWalkThumbnailKey,
  newThumbnailKey,
  THUMBNAIL_TYPES,
  type ThumbnailType,
  type WalkImages,
} from './images';
import * as repo from './repository';

export interface ThumbnailUpload {
  readonly url: string;
  readonly method: 'PUT';
  readonly headers: Readonly<Record<string, string>>;
  readonly expires_at: string;
  readonly object: string;
}

export interface ConfirmedThumbnail {
  readonly thumbnail_image_url: string;
  readonly object: string;
  readonly version: number;
}

export interface ThumbnailsServiceDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  /** Undefined when storage is not configured (local without the stand-in): every call is 503. */
  readonly storage:
    | {
        readonly store: ObjectStore;
        readonly images: WalkImages;
        readonly config: Pick<StorageConfig, 'thumbnailMaxBytes' | 'uploadUrlTtlSeconds'>;
      }
    | undefined;
}

const notFound = () => DomainError.notFound('walk');

export function createThumbnailsService(deps: ThumbnailsServiceDeps) {
  const { pool, clock } = deps;
  const storage = () => {
    if (!deps.storage) throw DomainError.unavailable('image storage is not configured (WALK_IMAGES_BUCKET)');
    return deps.storage;
  };

  return {
    maxBytes: deps.storage?.config.thumbnailMaxBytes,

    async uploadUrl(
      user: AuthenticatedUser,
      walkId: string,
      request: { content_type: ThumbnailType; content_length?: number | undefined },
    ): Promise<ThumbnailUpload> {
      const { store, config } = storage();
      if (request.content_length !== undefined && request.content_length > config.thumbnailMaxBytes) {
        throw DomainError.invalid(
          'content_length',
          'too_large',
          `thumbnails are at most ${config.thumbnailMaxBytes} bytes`,
        );
      }
      if (!(await repo.walkOwned(pool, user.id, walkId))) throw notFound();
      const key = newThumbnailKey(user.id, walkId, request.content_type);
      const signed = await store.signedUploadUrl({
        key,
        contentType: request.content_type,
        // a declared length narrows the signed range to it; the signature enforces the bound
        maxBytes: request.content_length ?? config.thumbnailMaxBytes,
        expiresInSeconds: config.uploadUrlTtlSeconds,
      });
      return {
        url: signed.url,
        method: signed.method,
        headers: signed.headers,
        expires_at: signed.expiresAt.toISOString(),
        object: key,
      };
    },

    /**
     * The uploaded object becomes the walk's thumbnail (a new walk version);
     * after the commit the previous one of ours and every other object under
     * the walk's thumbnail prefix (unconfirmed uploads) are deleted. Confirming
     * the current thumbnail again changes nothing but that clean-up.
     *
     * The object is checked, and the others deleted, while the walk's row is
     * locked: a concurrent confirmation then either sees its object deleted
     * (400 not_uploaded; its URL can upload again) or is the one kept, never a
     * walk pointing at a deleted object.
     */
    async confirm(user: AuthenticatedUser, walkId: string, object: string): Promise<ConfirmedThumbnail> {
      const { store, images, config } = storage();
      if (!(await repo.walkOwned(pool, user.id, walkId))) throw notFound();
      if (
        !object.startsWith(`thumbnails/${user.id}/${walkId}/`) ||
        !isWalkThumbnailKey(object, user.id, walkId)
      ) {
        throw DomainError.invalid(
          'object',
          'invalid',
          'object must be the one an upload URL for this walk named',
        );
      }
      const checkUploaded = async () => {
        const metadata = await store.metadata(object);
        if (!metadata)
          throw DomainError.invalid('object', 'not_uploaded', 'nothing was uploaded to this object yet');
        const extension = object.slice(object.lastIndexOf('.') + 1);
        const type = metadata.contentType as ThumbnailType | undefined;
        if (type === undefined || THUMBNAIL_TYPES[type] !== extension) {
          throw DomainError.invalid(
            'object',
            'wrong_type',
            'the uploaded object is not the image type it was issued for',
          );
        }
        if (metadata.size < 1 || metadata.size > config.thumbnailMaxBytes) {
          throw DomainError.invalid(
            'object',
            'wrong_size',
            `thumbnails are 1 to ${config.thumbnailMaxBytes} bytes`,
          );
        }
      };
      const url = images.objectUrl(object);
      const { previous, version } = await inTransaction(pool, async (client) => {
        const current = await repo.lockThumbnail(client, user.id, walkId);
        if (!current) throw notFound();
        await checkUploaded();
        if (current.thumbnail_image_url === url) return { previous: null, version: current.version };
        const next = await repo.setThumbnail(client, user.id, walkId, url, clock.now());
        return { previous: current.thumbnail_image_url, version: next };
      });
      await inTransaction(pool, async (client) => {
        const current = await repo.lockThumbnail(client, user.id, walkId);
        if (!current) return; // the walk was deleted meanwhile: its delete removes the prefix
        const shown =
          current.thumbnail_image_url === null ? undefined : images.keyOf(current.thumbnail_image_url);
        await images.deleteOtherThumbnails(user.id, walkId, shown);
      });
      const previousKey = previous === null ? undefined : images.keyOf(previous);
      if (
        previousKey !== undefined &&
        previousKey !== object &&
        isWalkThumbnailKey(previousKey, user.id, walkId)
      ) {
        await images.deleteQuietly(previousKey);
      }
      const shown = await images.presentUrl(user.id, walkId, url);
      return { thumbnail_image_url: shown ?? url, object, version };
    },
  };
}

export type ThumbnailsService = ReturnType<typeof createThumbnailsService>;
