/** SQL of the thumbnails component: a walk's ownership and its thumbnail column. */
import type { Queryable } from '../db/pool';

export async function walkOwned(db: Queryable, userId: string, walkId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM walks WHERE id = $1 AND user_id = $2', [walkId, userId]);
  return rows.length > 0;
}

/** The walk's row locked for the update, or undefined (missing or another user's). */
export async function lockThumbnail(
  db: Queryable,
  userId: string,
  walkId: string,
): Promise<{ thumbnail_image_url: string | null; version: number } | undefined> {
  const { rows } = await db.query<{ thumbnail_image_url: string | null; version: number }>(
    'SELECT thumbnail_image_url, version FROM walks WHERE id = $1 AND user_id = $2 FOR UPDATE',
    [walkId, userId],
  );
  return rows[0];
}

/** Sets the thumbnail as a new version of the walk; returns that version. */
export async function setThumbnail(
  db: Queryable,
  userId: string,
  walkId: string,
  url: string,
  now: Date,
): Promise<number> {
  const { rows } = await db.query<{ version: number }>(
    `UPDATE walks SET thumbnail_image_url = $3, version = version + 1, updated_at = $4
      WHERE id = $1 AND user_id = $2 RETURNING version`,
    [walkId, userId, url, now],
  );
  const version = rows[0]?.version;
  if (version === undefined) throw new Error(`walk ${walkId} vanished while locked`);
  return version;
}
