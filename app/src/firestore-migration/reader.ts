/**
 * Pages through the app's Firestore collections in a stable order (document
 * id, or full path for the consents collection group), so a run can stop
 * after any page and resume after the last document it handled.
 *
 * Selection is by Firestore's own `updateTime` of each document (server
 * time), never by a timestamp field the device wrote: the app's offline cache
 * and its `offline_walks` retry deliver documents late with an old
 * `updated_at`. Firestore cannot filter on `updateTime`
 * (https://firebase.google.com/docs/firestore/query-data/queries lists field
 * filters only), so walks are listed with a projection of `user_id` alone —
 * each entry carries its `updateTime` — and only the bodies that changed are
 * read (see run.ts). Listing everything also shows which documents are gone.
 */
import { FieldPath, type Firestore, type Query, type Timestamp } from 'firebase-admin/firestore';
import { CONSENTS_COLLECTION, USERS_COLLECTION, WALKS_COLLECTION } from './source-model';
import { timestampIso } from './time';

/** Which documents a run covers: everything, one user, a rollout cohort, and/or recent changes. */
export interface Scope {
  readonly userId?: string;
  /** Only documents whose Firestore updateTime (server time) is at or after this. */
  readonly since?: Date;
  /**
   * Only users who join the backend cohort between these rollout percentages
   * (`from` excluded, `to` included; filtered after reading): {0, 10} is the
   * 10 % wave, {10, 50} the users the 50 % wave adds.
   */
  readonly cohort?: { readonly from: number; readonly to: number };
}

/** Position after the last document handled; JSON-serialisable for the checkpoint. */
export interface Cursor {
  readonly path: string;
  readonly id: string;
}

/** A document as listed: path, owner (walks: the `user_id` field) and Firestore's update time. */
export interface IndexEntry {
  readonly path: string;
  readonly id: string;
  readonly userId: string | null;
  /** Firestore's updateTime, RFC 3339 UTC with microseconds. */
  readonly updateTime: string;
}

export interface SourceDocument {
  /** Full document path, e.g. `walks/<uuid>` or `users/<uid>/consents/<id>`. */
  readonly path: string;
  readonly id: string;
  readonly data: unknown;
  readonly updateTime: string;
}

export interface Page<T> {
  readonly items: T[];
  /** Resume point after this page. */
  readonly cursor: Cursor;
}

/** True when the document changed at or after `scope.since` by Firestore's clock. */
export function changedSince(scope: Scope, updateTime: string): boolean {
  return !scope.since || updateTime >= isoMicros(scope.since);
}

const isoMicros = (date: Date) => `${date.toISOString().slice(0, 23)}000Z`;

async function* pages<T>(
  base: Query,
  byPath: boolean,
  pageSize: number,
  after: Cursor | undefined,
  toItem: (doc: FirebaseFirestore.QueryDocumentSnapshot) => T,
): AsyncGenerator<Page<T>> {
  const ordered = base.orderBy(FieldPath.documentId());
  const query = (cursor: Cursor | undefined) =>
    (cursor ? ordered.startAfter(byPath ? cursor.path : cursor.id) : ordered).limit(pageSize).get();
  let pending = query(after);
  for (;;) {
    const snapshot = await pending;
    if (snapshot.empty) return;
    const last = snapshot.docs[snapshot.docs.length - 1]!;
    const cursor: Cursor = { path: last.ref.path, id: last.id };
    const full = snapshot.size === pageSize;
    // Read the next page while the caller writes this one.
    if (full) pending = query(cursor);
    yield { items: snapshot.docs.map(toItem), cursor };
    if (!full) return;
  }
}

/** `walks/{uuid}` in scope as index entries (no bodies), in pages of `pageSize`, after `after`. */
export function walkIndexPages(
  db: Firestore,
  scope: Scope,
  pageSize: number,
  after?: Cursor,
): AsyncGenerator<Page<IndexEntry>> {
  const collection = db.collection(WALKS_COLLECTION);
  const base = (scope.userId ? collection.where('user_id', '==', scope.userId) : collection).select(
    'user_id',
  );
  return pages(base, false, pageSize, after, (doc) => {
    const owner: unknown = doc.get('user_id');
    return {
      path: doc.ref.path,
      id: doc.id,
      userId: typeof owner === 'string' && owner.length > 0 ? owner : null,
      updateTime: timestampIso(doc.updateTime),
    };
  });
}

/** The bodies of these walks as they are now; a document deleted since it was listed is left out. */
export async function readWalks(db: Firestore, ids: string[]): Promise<SourceDocument[]> {
  if (ids.length === 0) return [];
  const collection = db.collection(WALKS_COLLECTION);
  const snapshots = await db.getAll(...ids.map((id) => collection.doc(id)));
  return snapshots
    .filter((doc) => doc.exists)
    .map((doc) => ({
      path: doc.ref.path,
      id: doc.id,
      data: doc.data(),
      updateTime: timestampIso(doc.updateTime as Timestamp),
    }));
}

/** `users/{uid}/consents/{id}` documents with bodies (small; a collection-group query unless one user). */
export function consentPages(
  db: Firestore,
  scope: Scope,
  pageSize: number,
  after?: Cursor,
): AsyncGenerator<Page<SourceDocument>> {
  const base = scope.userId
    ? db.collection(USERS_COLLECTION).doc(scope.userId).collection(CONSENTS_COLLECTION)
    : db.collectionGroup(CONSENTS_COLLECTION);
  return pages(base, !scope.userId, pageSize, after, (doc) => ({
    path: doc.ref.path,
    id: doc.id,
    data: doc.data(),
    updateTime: timestampIso(doc.updateTime),
  }));
}
