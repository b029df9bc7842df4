/**
 * The walks domain: ownership, optimistic concurrency, idempotent upserts and
 * keyset pagination. Knows nothing of HTTP; failures are DomainErrors.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { AuthenticatedUser } from '../auth';
import { inTransaction } from '../db/pool';
import { DomainError } from '../domain-errors';
import type { Clock } from '../lifecycle';
import type { Metrics } from '../observability/metrics';
import type { WalkImages } from '../thumbnails/images';
import * as repo from './repository';
import type { Walk, WalkInput, WalkSummary } from './schemas';

/** If-Match as the service understands it: any current version (`*`) or one of a list. */
export type Precondition = { readonly any: true } | { readonly versions: readonly number[] };

export interface WalkPage {
  readonly walks: WalkSummary[];
  readonly next_cursor: string | null;
}

export interface WalksServiceDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly metrics: Pick<Metrics, 'walkWrites'>;
  /** Thumbnails in the bucket (thumbnails/images.ts); without it URLs pass through as stored. */
  readonly images?: Pick<WalkImages, 'canonicalUrl' | 'presentUrl' | 'deleteWalkObjects'> | undefined;
}

/** `"thumbnail_image_url":<JSON string or null>` in the walk's JSON text (row_to_json writes it compactly). */
const THUMBNAIL_FIELD = /"thumbnail_image_url":("(?:[^"\\]|\\.)*"|null)/;

const CursorSchema = z.object({ t: z.iso.datetime(), i: z.uuid() }).strict();

/** Opaque to clients: base64url of the last item's keyset position. */
export function encodeCursor(position: repo.ListPosition): string {
  return Buffer.from(JSON.stringify({ t: position.sortTime, i: position.id })).toString('base64url');
}

export function decodeCursor(cursor: string): repo.ListPosition {
  try {
    const parsed = CursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { sortTime: parsed.t, id: parsed.i };
  } catch {
    throw DomainError.invalid('cursor', 'invalid', 'cursor is not a next_cursor this service issued');
  }
}

/** Validated input (timestamps already UTC with microseconds, see toUtcMicros) as the repository writes it. */
function toWrite(
  id: string,
  input: WalkInput,
  canonical: (url: string | null) => string | null,
): repo.WalkWrite {
  return {
    id,
    title: input.title,
    description: input.description,
    status: input.status,
    start_time: input.start_time,
    end_time: input.end_time,
    paused_at: input.paused_at,
    total_paused_duration: input.total_paused_duration,
    total_distance: input.total_distance,
    total_steps: input.total_steps,
    polyline_data: input.polyline_data,
    thumbnail_image_url: canonical(input.thumbnail_image_url),
    // Absent: keep the stored locations (docs/api.md, client guide).
    locations: input.locations && [...input.locations].sort((a, b) => a.sequence_number - b.sequence_number),
  };
}

const COMPARED_FIELDS = [
  'title',
  'description',
  'status',
  'start_time',
  'end_time',
  'paused_at',
  'total_paused_duration',
  'total_distance',
  'total_steps',
  'polyline_data',
  'thumbnail_image_url',
] as const;
const LOCATION_FIELDS = [
  'sequence_number',
  'latitude',
  'longitude',
  'altitude',
  'timestamp',
  'horizontal_accuracy',
  'vertical_accuracy',
  'speed',
  'course',
] as const;

/** True when storing `write` would not change `stored` (a retried PUT). */
function sameContent(stored: Walk, write: repo.WalkWrite): boolean {
  if (COMPARED_FIELDS.some((field) => stored[field] !== write[field])) return false;
  const { locations } = write;
  if (locations === undefined) return true;
  if (stored.locations.length !== locations.length) return false;
  return stored.locations.every((location, index) =>
    LOCATION_FIELDS.every((field) => location[field] === locations[index]?.[field]),
  );
}

function matches(precondition: Precondition, version: number): boolean {
  return 'any' in precondition || precondition.versions.includes(version);
}

const stale = () =>
  new DomainError('precondition_failed', 'If-Match does not match the current version of the walk');
const notFound = () => DomainError.notFound('walk');

export function createWalksService(deps: WalksServiceDeps) {
  const { pool, clock, metrics, images } = deps;
  const canonical = (url: string | null) => (images ? images.canonicalUrl(url) : url);

  /** The thumbnail as responses show it: a signed GET URL for our objects (thumbnails/images.ts). */
  async function present<W extends WalkSummary>(walk: W): Promise<W> {
    if (!images || walk.thumbnail_image_url === null) return walk;
    const shown = await images.presentUrl(walk.user_id, walk.id, walk.thumbnail_image_url);
    return shown === walk.thumbnail_image_url ? walk : { ...walk, thumbnail_image_url: shown };
  }

  async function readBack(db: repo.Queryable, user: AuthenticatedUser, id: string): Promise<Walk> {
    const walk = await repo.findWalk(db, user.id, id);
    if (!walk) throw new Error(`walk ${id} vanished inside its own transaction`);
    return walk;
  }

  return {
    /**
     * A thumbnail URL as the walk stores it (thumbnails/images.ts): our signed
     * URLs, and locally the stand-in's http ones, become the plain https form.
     * The route applies it before validation, so the https check sees that form.
     */
    storedThumbnailUrl: (url: string): string => canonical(url) ?? url,

    async list(user: AuthenticatedUser, limit: number, cursor: string | undefined): Promise<WalkPage> {
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const rows = await repo.listWalks(pool, user.id, after, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        walks: await Promise.all(page.map(({ sort_key: _sortKey, ...walk }) => present(walk))),
        next_cursor:
          rows.length > limit && last ? encodeCursor({ sortTime: last.sort_key, id: last.id }) : null,
      };
    },

    /** The walk as JSON text, ready to send. */
    async get(user: AuthenticatedUser, id: string): Promise<repo.WalkJson> {
      const walk = await repo.findWalkJson(pool, user.id, id);
      if (!walk) throw notFound();
      const match = images && THUMBNAIL_FIELD.exec(walk.json);
      if (!images || !match?.[1] || match[1] === 'null') return walk;
      const stored = JSON.parse(match[1]) as string;
      const shown = await images.presentUrl(user.id, id, stored);
      if (shown === stored) return walk;
      const json = `${walk.json.slice(0, match.index)}"thumbnail_image_url":${JSON.stringify(shown)}${walk.json.slice(match.index + match[0].length)}`;
      return { ...walk, json };
    },

    /** POST: a new walk; the client may choose the id; an existing id is 409. */
    async create(user: AuthenticatedUser, input: WalkInput): Promise<Walk> {
      const write = toWrite(input.id ?? randomUUID(), input, canonical);
      const walk = await inTransaction(pool, async (client) => {
        await repo.ensureUser(client, user);
        if (!(await repo.insertWalk(client, user.id, write, clock.now()))) {
          throw new DomainError('conflict', `a walk with id ${write.id} already exists`);
        }
        return readBack(client, user, write.id);
      });
      metrics.walkWrites.inc({ operation: 'create' });
      return present(walk);
    },

    /**
     * PUT: create or replace the whole walk. The row lock serialises
     * concurrent writers, so of two PUTs with the same If-Match exactly one
     * wins. A retry with an unchanged body writes nothing.
     */
    async put(
      user: AuthenticatedUser,
      id: string,
      input: WalkInput,
      precondition: Precondition | undefined,
    ): Promise<{ walk: Walk; created: boolean }> {
      if (input.id !== undefined && input.id.toLowerCase() !== id.toLowerCase()) {
        throw DomainError.invalid('id', 'mismatch', 'id in the body must match the id in the path');
      }
      const write = toWrite(id, input, canonical);
      const result = await inTransaction(pool, async (client) => {
        await repo.ensureUser(client, user);
        // Two rounds at most: a concurrent create between our lock and insert sends us to the update path.
        for (let round = 0; round < 2; round += 1) {
          const current = await repo.lockWalk(client, id);
          if (!current) {
            if (precondition) throw stale();
            if (await repo.insertWalk(client, user.id, write, clock.now())) {
              return { walk: await readBack(client, user, id), created: true, changed: true };
            }
            continue;
          }
          // With If-Match, another user's walk answers exactly as a missing one (nothing to learn from it).
          if (current.user_id !== user.id) throw precondition ? stale() : notFound();
          if (precondition && !matches(precondition, current.version)) throw stale();
          const stored = await readBack(client, user, id);
          if (sameContent(stored, write)) return { walk: stored, created: false, changed: false };
          await repo.replaceWalk(client, user.id, write, clock.now());
          return { walk: await readBack(client, user, id), created: false, changed: true };
        }
        throw DomainError.unavailable('the walk is being written concurrently, retry');
      });
      if (result.changed) metrics.walkWrites.inc({ operation: result.created ? 'create' : 'replace' });
      return { walk: await present(result.walk), created: result.created };
    },

    async remove(user: AuthenticatedUser, id: string, precondition: Precondition | undefined): Promise<void> {
      const versions = precondition && 'versions' in precondition ? precondition.versions : undefined;
      const deleted = await repo.deleteWalk(pool, user.id, id, versions);
      if (deleted) {
        metrics.walkWrites.inc({ operation: 'delete' });
        // after the commit; never fails the call (logged and counted, the bucket lifecycle covers leftovers)
        await images?.deleteWalkObjects(user.id, id, deleted.thumbnail_image_url);
        return;
      }
      if (versions && (await repo.walkExists(pool, user.id, id))) throw stale();
      throw notFound();
    },
  };
}

export type WalksService = ReturnType<typeof createWalksService>;
