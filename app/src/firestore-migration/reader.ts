/**
 * Pages through the app's Firestore collections in a stable order, so a run
 * can stop after any page and resume after the last document it handled.
 */
import { FieldPath, Timestamp, type Firestore, type Query } from 'firebase-admin/firestore';
import { CONSENTS_COLLECTION, USERS_COLLECTION, WALKS_COLLECTION } from './source-model';

/** Which documents a run covers: everything, one user, a rollout cohort, and/or recent changes. */
export interface Scope {
  readonly userId?: string;
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
  readonly orderValue?: { seconds: number; nanoseconds: number };
}

export interface SourceDocument {
  /** Full document path, e.g. `walks/<uuid>` or `users/<uid>/consents/<id>`. */
  readonly path: string;
  readonly id: string;
  readonly data: unknown;
}

export interface Page {
  readonly documents: SourceDocument[];
  /** Resume point after this page. */
  readonly cursor: Cursor;
}

interface Source {
  readonly base: Query;
  /** Timestamp field `--since` filters on. */
  readonly sinceField: string;
  /** Collection-group queries order by full path, collection queries by id. */
  readonly byPath: boolean;
}

function query(source: Source, scope: Scope, after: Cursor | undefined): Query {
  let q = source.base;
  if (scope.since) {
    q = q.where(source.sinceField, '>=', Timestamp.fromDate(scope.since)).orderBy(source.sinceField);
  }
  q = q.orderBy(FieldPath.documentId());
  if (!after) return q;
  const key = source.byPath ? after.path : after.id;
  if (scope.since && after.orderValue) {
    return q.startAfter(new Timestamp(after.orderValue.seconds, after.orderValue.nanoseconds), key);
  }
  return q.startAfter(key);
}

async function* pages(source: Source, scope: Scope, pageSize: number, after?: Cursor): AsyncGenerator<Page> {
  let pending = query(source, scope, after).limit(pageSize).get();
  for (;;) {
    const snapshot = await pending;
    if (snapshot.empty) return;
    const last = snapshot.docs[snapshot.docs.length - 1]!;
    const orderValue = scope.since ? (last.get(source.sinceField) as Timestamp | undefined) : undefined;
    const cursor: Cursor = {
      path: last.ref.path,
      id: last.id,
      ...(orderValue
        ? { orderValue: { seconds: orderValue.seconds, nanoseconds: orderValue.nanoseconds } }
        : {}),
    };
    const full = snapshot.size === pageSize;
    // Read the next page while the caller writes this one.
    if (full) pending = query(source, scope, cursor).limit(pageSize).get();
    const documents = snapshot.docs.map((doc) => ({
      path: doc.ref.path,
      id: doc.id,
      data: doc.data(),
    }));
    yield { documents, cursor };
    if (!full) return;
  }
}

/** `walks/{uuid}` documents in scope, in pages of `pageSize`, starting after `after`. */
export function walkPages(
  db: Firestore,
  scope: Scope,
  pageSize: number,
  after?: Cursor,
): AsyncGenerator<Page> {
  const collection = db.collection(WALKS_COLLECTION);
  const base = scope.userId ? collection.where('user_id', '==', scope.userId) : collection;
  return pages({ base, sinceField: 'updated_at', byPath: false }, scope, pageSize, after);
}

/** `users/{uid}/consents/{id}` documents in scope (a collection-group query unless one user). */
export function consentPages(
  db: Firestore,
  scope: Scope,
  pageSize: number,
  after?: Cursor,
): AsyncGenerator<Page> {
  const source: Source = scope.userId
    ? {
        base: db.collection(USERS_COLLECTION).doc(scope.userId).collection(CONSENTS_COLLECTION),
        sinceField: 'consentedAt',
        byPath: false,
      }
    : { base: db.collectionGroup(CONSENTS_COLLECTION), sinceField: 'consentedAt', byPath: true };
  return pages(source, scope, pageSize, after);
}
