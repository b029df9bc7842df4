/**
 * One migration run, page by page: walks (listed with their Firestore update
 * times, bodies read only when that time moved), then the deletions a complete
 * listing reveals, then consents, then the users' Firebase accounts. Each
 * page is one PostgreSQL transaction that also moves the checkpoint, so a
 * crash loses at most the page in flight and the next run of the same scope
 * resumes after the last committed page. A dry run reads both sides and
 * writes nothing.
 */
import type { Auth } from 'firebase-admin/auth';
import type { Firestore } from 'firebase-admin/firestore';
import type { Pool, PoolClient } from 'pg';
import { inBackendCohort } from '../appconfig/rollout';
import { inSavepoint, inTransaction } from '../db/pool';
import { authDirectory, type AuthDirectory } from './auth-users';
import { consentContentHash, walkContentHash } from './content-hash';
import { mapConsent, mapWalk, type Quarantined, type TargetConsent, type TargetWalk } from './mapping';
import {
  changedSince,
  consentPages,
  readWalks,
  walkIndexPages,
  type Cursor,
  type IndexEntry,
  type Scope,
  type SourceDocument,
} from './reader';
import { decideWalk, WALK_OUTCOMES, type WalkOutcome } from './reconcile';
import * as repo from './repository';
import { ThumbnailError, type ThumbnailMover } from './thumbnails';

export interface MigrationDeps {
  readonly firestore: Firestore;
  readonly pool: Pool;
  /** Firebase Auth of the same project: users' providers and creation times, deleted accounts. */
  readonly auth: Auth;
  /** Moves thumbnails out of Firebase Storage; absent: thumbnail URLs are copied as they are. */
  readonly thumbnails?: ThumbnailMover;
  /** Progress lines (one per page); silent when absent. */
  readonly progress?: (message: string, fields: Record<string, unknown>) => void;
}

export interface RunOptions {
  readonly scope: Scope;
  readonly dryRun?: boolean;
  /** Documents per Firestore page and per PostgreSQL transaction. @default 100 */
  readonly pageSize?: number;
  /** Stops after the page in flight; the checkpoint lets the next run resume. */
  readonly signal?: AbortSignal;
}

export type ConsentOutcome = 'inserted' | 'updated' | 'unchanged' | 'quarantined';
const CONSENT_OUTCOMES: readonly ConsentOutcome[] = ['inserted', 'updated', 'unchanged', 'quarantined'];

/** What a complete listing found gone from Firebase, and what the run did about it. */
export interface DeletionCounts {
  /** Walk documents deleted in Firestore: the migrated walk deleted from PostgreSQL. */
  walks_deleted: number;
  /** ... but the service changed the walk since the migration wrote it: kept, for a person to decide. */
  walks_kept_changed_in_service: number;
  /** ... and the walk was already gone from PostgreSQL. */
  walks_already_gone: number;
  /** Users gone from Firebase Auth: deleted from PostgreSQL with their walks, consents and sessions. */
  accounts_deleted: number;
  /** ... but the service holds walks it created or changed for them: kept, for a person to decide. */
  accounts_kept_changed_in_service: number;
}

export interface RunCounts {
  /** walks: documents listed; walk_bodies: documents read because their update time moved. */
  documents_read: { walks: number; walk_bodies: number; consents: number };
  walks: Record<WalkOutcome, number>;
  consents: Record<ConsentOutcome, number>;
  deletions: DeletionCounts;
  thumbnails: { moved: number; already_moved: number };
  rows_written: { users: number; walks: number; walk_locations: number; consents: number };
}

export interface QuarantineItem {
  readonly source_path: string;
  readonly user_id: string | null;
  readonly reason: string;
  readonly detail: string;
}

/** A deletion the run did not carry out (the service changed the data since). */
export interface KeptItem {
  readonly kind: 'walk' | 'account';
  readonly user_id: string;
  readonly source_path?: string;
  readonly detail: string;
}

export interface RunReport {
  readonly mode: 'run' | 'dry-run';
  readonly scope_key: string;
  readonly resumed_from_checkpoint: boolean;
  readonly completed: boolean;
  readonly counts: RunCounts;
  /** Every quarantined document in scope (for a real run: as recorded in PostgreSQL). */
  readonly quarantined: QuarantineItem[];
  /** Deletions kept back by this run. */
  readonly deletions_kept: KeptItem[];
  readonly duration_ms: number;
}

export function scopeKey(scope: Scope): string {
  const parts = [scope.userId ? `user:${scope.userId}` : 'all'];
  if (scope.cohort) parts.push(`cohort:${scope.cohort.from}..${scope.cohort.to}`);
  if (scope.since) parts.push(`since:${scope.since.toISOString()}`);
  return parts.join('|');
}

/** The owner of a walk or consent document, or null when the document names none. */
export function documentOwner(doc: SourceDocument): string | null {
  const segments = doc.path.split('/');
  if (segments.length === 4 && segments[0] === 'users' && segments[2] === 'consents') return segments[1]!;
  if (segments.length !== 2) return null;
  const value = (doc.data as { user_id?: unknown } | null)?.user_id;
  return typeof value === 'string' && value.length > 0 ? value : null;
}

/** True when the user is in the scope's cohort (always without one). */
export function inCohort(scope: Scope, userId: string | null): boolean {
  const { cohort } = scope;
  if (!cohort) return true;
  return userId !== null && inBackendCohort(userId, cohort.to) && !inBackendCohort(userId, cohort.from);
}

const tally = <K extends string>(keys: readonly K[]): Record<K, number> =>
  Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

function emptyCounts(): RunCounts {
  return {
    documents_read: { walks: 0, walk_bodies: 0, consents: 0 },
    walks: tally(WALK_OUTCOMES),
    consents: tally(CONSENT_OUTCOMES),
    deletions: {
      walks_deleted: 0,
      walks_kept_changed_in_service: 0,
      walks_already_gone: 0,
      accounts_deleted: 0,
      accounts_kept_changed_in_service: 0,
    },
    thumbnails: { moved: 0, already_moved: 0 },
    rows_written: { users: 0, walks: 0, walk_locations: 0, consents: 0 },
  };
}

/** Merges saved counts over fresh zeroes, so a checkpoint from an older build still loads. */
function restoreCounts(saved: unknown): RunCounts {
  const counts = emptyCounts();
  if (saved && typeof saved === 'object') {
    const s = saved as Partial<RunCounts>;
    for (const key of Object.keys(counts) as (keyof RunCounts)[]) Object.assign(counts[key], s[key]);
  }
  return counts;
}

interface PageContext {
  readonly db: PoolClient;
  readonly deps: MigrationDeps;
  readonly scope: Scope;
  readonly scopeKey: string;
  readonly dryRun: boolean;
  readonly counts: RunCounts;
  readonly quarantined: QuarantineItem[];
  readonly kept: KeptItem[];
  readonly accounts: AuthDirectory;
}

function quarantine(ctx: PageContext, path: string, userId: string | null, why: Quarantined) {
  ctx.quarantined.push({ source_path: path, user_id: userId, reason: why.reason, detail: why.detail });
}

/** Runs `work` so that a database error rejects this one document, not the page. */
async function perDocument(ctx: PageContext, work: () => Promise<void>): Promise<string | undefined> {
  if (ctx.dryRun) {
    await work();
    return undefined;
  }
  const rejected = await inSavepoint(ctx.db, work);
  return rejected
    ? `${rejected.code}${rejected.constraint ? ` (${rejected.constraint})` : ''}: ${rejected.message ?? ''}`
    : undefined;
}

/** Owners that exist in Firebase Auth get their users row; the documents of deleted accounts are quarantined. */
async function withLiveOwners<T extends { userId: string }>(ctx: PageContext, items: T[]): Promise<T[]> {
  const users = await ctx.accounts.lookup(items.map((item) => item.userId));
  if (!ctx.dryRun) {
    const live = [...users.values()].filter((user): user is repo.AuthUser => user !== null);
    ctx.counts.rows_written.users += await repo.upsertUsers(ctx.db, live);
  }
  return items.filter((item) => users.get(item.userId) !== null);
}

async function migrateWalkPage(ctx: PageContext, entries: IndexEntry[]): Promise<void> {
  const { db, counts, dryRun, scope } = ctx;
  counts.documents_read.walks += entries.length;
  const inScope = entries.filter((entry) => inCohort(scope, entry.userId));
  if (!dryRun)
    await repo.markSeen(
      db,
      ctx.scopeKey,
      inScope.map((entry) => entry.path),
    );
  // Read a body only when Firestore's own update time moved since the ledger took it.
  const taken = await repo.ledgerUpdateTimes(
    db,
    inScope.map((entry) => entry.path),
  );
  const moved = inScope.filter((entry) => taken.get(entry.path) !== entry.updateTime);
  counts.walks.unchanged += inScope.length - moved.length;
  const changed = moved.filter((entry) => changedSince(scope, entry.updateTime));
  const documents = await readWalks(
    ctx.deps.firestore,
    changed.map((entry) => entry.id),
  );
  counts.documents_read.walk_bodies += documents.length;

  const mapped: { doc: SourceDocument; walk: TargetWalk; userId: string }[] = [];
  const firstOfId = new Map<string, string>();
  for (const doc of documents) {
    const result = mapWalk(doc.id, doc.data);
    if (!result.ok) {
      counts.walks.quarantined += 1;
      quarantine(ctx, doc.path, documentOwner(doc), result.quarantine);
      continue;
    }
    const other = firstOfId.get(result.value.id);
    if (other) {
      counts.walks.quarantined += 1;
      quarantine(ctx, doc.path, result.value.user_id, {
        reason: 'duplicate_id',
        detail: `${doc.path} and ${other} name the same walk id ${result.value.id} (ids differ only in case)`,
      });
      continue;
    }
    firstOfId.set(result.value.id, doc.path);
    mapped.push({ doc, walk: result.value, userId: result.value.user_id });
  }
  const live = await withLiveOwners(ctx, mapped);
  for (const { doc, userId } of mapped.filter((item) => !live.includes(item))) {
    counts.walks.quarantined += 1;
    quarantine(ctx, doc.path, userId, {
      reason: 'account_deleted',
      detail: `user ${userId} does not exist in Firebase Auth`,
    });
  }
  const ids = live.map((v) => v.walk.id);
  const heads = await repo.walkHeads(db, ids, !dryRun);
  const ledger = await repo.ledgerEntries(
    db,
    live.map((v) => v.doc.path),
  );
  const sources = await repo.ledgerSourcesOf(db, ids);
  // Rare: a walk already in PostgreSQL that no run wrote (e.g. the app synced it through the API).
  const unknownIds = live
    .filter((v) => heads.has(v.walk.id) && !ledger.has(v.doc.path))
    .map((v) => v.walk.id);
  const stored = await repo.storedWalks(db, unknownIds);

  const ledgerWrites: repo.LedgerWrite[] = [];
  const touched: { sourcePath: string; updateTime: string }[] = [];
  for (const { doc, walk: source } of live) {
    const head = heads.get(source.id);
    const takenFrom = sources.get(source.id);
    if (takenFrom !== undefined && takenFrom !== doc.path) {
      counts.walks.quarantined += 1;
      quarantine(ctx, doc.path, source.user_id, {
        reason: 'duplicate_id',
        detail: `walk ${source.id} was taken from ${takenFrom} (document ids differ only in case)`,
      });
      continue;
    }
    if (head && head.user_id !== source.user_id) {
      counts.walks.quarantined += 1;
      quarantine(ctx, doc.path, source.user_id, {
        reason: 'owner_conflict',
        detail: `walk ${source.id} already belongs to another user in PostgreSQL`,
      });
      continue;
    }
    let walk = source;
    const moving = ctx.deps.thumbnails?.planFor(walk);
    if (moving) walk = { ...walk, thumbnail_image_url: moving.newUrl };
    const hash = walkContentHash(walk);
    const storedWalk = stored.get(walk.id);
    const outcome = decideWalk(
      { contentHash: hash, updateTime: doc.updateTime },
      ledger.get(doc.path),
      head && {
        version: head.version,
        updatedAt: head.updated_at,
        contentHash: storedWalk && walkContentHash(storedWalk),
      },
    );
    const entry = { sourcePath: doc.path, kind: 'walk' as const, userId: walk.user_id, targetId: walk.id };
    if (outcome === 'inserted' || outcome === 'updated') {
      if (moving && !dryRun) {
        try {
          counts.thumbnails[await ctx.deps.thumbnails!.move(moving)] += 1;
        } catch (error) {
          if (!(error instanceof ThumbnailError)) throw error;
          counts.walks.quarantined += 1;
          quarantine(ctx, doc.path, walk.user_id, { reason: 'thumbnail_unavailable', detail: error.message });
          continue;
        }
      }
      const failure = await perDocument(ctx, async () => {
        if (dryRun) return;
        counts.rows_written.walk_locations += await repo.writeWalk(db, walk, head !== undefined);
        counts.rows_written.walks += 1;
      });
      if (failure) {
        counts.walks.quarantined += 1;
        quarantine(ctx, doc.path, walk.user_id, { reason: 'database_rejected', detail: failure });
        continue;
      }
      ledgerWrites.push({
        ...entry,
        contentHash: hash,
        writtenVersion: head ? head.version + 1 : 1,
        sourceUpdateTime: doc.updateTime,
      });
    } else if (outcome === 'unchanged' && head && !ledger.has(doc.path)) {
      ledgerWrites.push({
        ...entry,
        contentHash: hash,
        writtenVersion: head.version,
        sourceUpdateTime: doc.updateTime,
      });
    } else touched.push({ sourcePath: doc.path, updateTime: doc.updateTime });
    counts.walks[outcome] += 1;
  }
  if (!dryRun) {
    await repo.writeLedger(db, ledgerWrites);
    await repo.touchLedger(db, touched);
    await repo.clearQuarantine(
      db,
      live.map((v) => v.doc.path).filter((path) => !ctx.quarantined.some((q) => q.source_path === path)),
    );
  }
}

/**
 * After a complete listing: a walk the migration took whose document is gone
 * was deleted in Firestore (an old app version, or the app's account
 * deletion). Delete it here too, unless the service changed it since.
 */
async function propagateWalkDeletions(ctx: PageContext): Promise<void> {
  const { db, counts, dryRun, scope } = ctx;
  const gone = (await repo.goneWalks(db, ctx.scopeKey, scope.userId)).filter((w) =>
    inCohort(scope, w.user_id),
  );
  const dropped: string[] = [];
  for (const walk of gone) {
    if (walk.current_version === null) {
      counts.deletions.walks_already_gone += 1;
      dropped.push(walk.source_path);
    } else if (walk.current_version === walk.written_version) {
      if (!dryRun && !(await repo.deleteMigratedWalk(db, walk.target_id, walk.current_version))) {
        throw new Error(`walk ${walk.target_id} changed during the deletion; run again`);
      }
      counts.deletions.walks_deleted += 1;
      dropped.push(walk.source_path);
    } else {
      counts.deletions.walks_kept_changed_in_service += 1;
      ctx.kept.push({
        kind: 'walk',
        user_id: walk.user_id,
        source_path: walk.source_path,
        detail: `deleted in Firestore, but the service changed walk ${walk.target_id} since (version ${walk.written_version} → ${walk.current_version})`,
      });
    }
  }
  if (!dryRun) await repo.dropLedger(db, dropped);
}

async function migrateConsentPage(ctx: PageContext, documents: SourceDocument[]): Promise<void> {
  const { db, counts, dryRun, scope } = ctx;
  counts.documents_read.consents += documents.length;
  const mapped: { doc: SourceDocument; consent: TargetConsent; userId: string }[] = [];
  for (const doc of documents) {
    // Anything else in a `consents` collection group is not the app's.
    const owner = documentOwner(doc);
    if (!inCohort(scope, owner) || !changedSince(scope, doc.updateTime)) continue;
    const result = owner
      ? mapConsent(owner, doc.id, doc.data)
      : {
          ok: false as const,
          quarantine: { reason: 'invalid_document' as const, detail: 'not under users/{uid}/consents' },
        };
    if (result.ok) mapped.push({ doc, consent: result.value, userId: result.value.user_id });
    else {
      counts.consents.quarantined += 1;
      quarantine(ctx, doc.path, owner, result.quarantine);
    }
  }
  const live = await withLiveOwners(ctx, mapped);
  for (const { doc, userId } of mapped.filter((item) => !live.includes(item))) {
    counts.consents.quarantined += 1;
    quarantine(ctx, doc.path, userId, {
      reason: 'account_deleted',
      detail: `user ${userId} does not exist in Firebase Auth`,
    });
  }
  if (dryRun) {
    const existing = await repo.storedConsents(db, [...new Set(live.map((v) => v.userId))]);
    const hashes = new Map(existing.map((c) => [`${c.user_id}/${c.consent_id}`, consentContentHash(c)]));
    for (const { consent } of live) {
      const hash = hashes.get(`${consent.user_id}/${consent.consent_id}`);
      counts.consents[
        hash === undefined ? 'inserted' : hash === consentContentHash(consent) ? 'unchanged' : 'updated'
      ] += 1;
    }
    return;
  }
  const ledgerWrites: repo.LedgerWrite[] = [];
  for (const { doc, consent } of live) {
    const failure = await perDocument(ctx, async () => {
      const outcome = await repo.upsertConsent(db, consent);
      counts.consents[outcome] += 1;
      if (outcome !== 'unchanged') counts.rows_written.consents += 1;
    });
    if (failure) {
      counts.consents.quarantined += 1;
      quarantine(ctx, doc.path, consent.user_id, { reason: 'database_rejected', detail: failure });
      continue;
    }
    ledgerWrites.push({
      sourcePath: doc.path,
      kind: 'consent',
      userId: consent.user_id,
      targetId: consent.consent_id,
      contentHash: consentContentHash(consent),
      writtenVersion: null,
      sourceUpdateTime: doc.updateTime,
    });
  }
  await repo.writeLedger(db, ledgerWrites);
  await repo.clearQuarantine(
    db,
    ledgerWrites.map((w) => w.sourcePath),
  );
}

/**
 * The users in PostgreSQL, against Firebase Auth: a user whose
 * account is gone (the app's account deletion) is deleted here with their
 * data, unless the service holds walks it created or changed for them.
 */
async function reconcileAccounts(ctx: PageContext): Promise<void> {
  const { db, counts, dryRun, scope } = ctx;
  const users = (await repo.knownUsers(db, scope.userId)).filter((id) => inCohort(scope, id));
  const found = await ctx.accounts.lookup(users);
  const gone = users.filter((id) => found.get(id) === null);
  if (!dryRun) {
    const live = [...found.values()].filter((user): user is repo.AuthUser => user !== null);
    counts.rows_written.users += await repo.upsertUsers(db, live);
  }
  const changed = await repo.walksChangedByService(db, gone);
  for (const userId of gone) {
    const walks = changed.get(userId) ?? 0;
    if (walks > 0) {
      counts.deletions.accounts_kept_changed_in_service += 1;
      ctx.kept.push({
        kind: 'account',
        user_id: userId,
        detail: `gone from Firebase Auth, but the service created or changed ${walks} of their walks since the migration`,
      });
      continue;
    }
    if (!dryRun) await repo.deleteUser(db, userId);
    counts.deletions.accounts_deleted += 1;
  }
}

const PHASES: readonly repo.Phase[] = ['walks', 'deletions', 'consents', 'accounts', 'done'];

export async function runMigration(deps: MigrationDeps, options: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const { scope, signal } = options;
  const dryRun = options.dryRun ?? false;
  const pageSize = options.pageSize ?? 100;
  const key = scopeKey(scope);
  const client = await deps.pool.connect();
  try {
    if (!dryRun && !(await repo.tryRunLock(client))) {
      throw new Error('another Firestore migration run holds the lock; wait for it to finish');
    }
    try {
      const checkpoint = dryRun ? undefined : await repo.loadCheckpoint(client, key);
      const resumed = checkpoint !== undefined && checkpoint.completedAt === null;
      if (!dryRun && !resumed) {
        await repo.startCheckpoint(client, key);
        await repo.clearSeen(client, key);
      }
      const counts = resumed ? restoreCounts(checkpoint.counts) : emptyCounts();
      const ctx: PageContext = {
        db: client,
        deps,
        scope,
        scopeKey: key,
        dryRun,
        counts,
        quarantined: [],
        kept: [],
        accounts: authDirectory(deps.auth),
      };
      const startPhase = resumed ? PHASES.indexOf(checkpoint.phase) : 0;
      const resumeCursor = resumed ? ((checkpoint.cursor as Cursor | null) ?? undefined) : undefined;
      const step = async (phase: repo.Phase, cursor: unknown, work: () => Promise<void>) => {
        const persist = async () => {
          await work();
          if (!dryRun) {
            await repo.writeQuarantine(client, ctx.quarantined.splice(0).map(toQuarantineWrite));
            await repo.saveCheckpoint(client, key, phase, cursor, counts);
          }
        };
        if (dryRun) await persist();
        else await inTransaction(client, persist);
      };
      const next = (phase: repo.Phase) => PHASES[PHASES.indexOf(phase) + 1]!;

      let completed = true;
      const phases: Record<Exclude<repo.Phase, 'done'>, () => Promise<void>> = {
        walks: async () => {
          const after = startPhase === 0 ? resumeCursor : undefined;
          for await (const page of walkIndexPages(deps.firestore, scope, pageSize, after)) {
            await step('walks', page.cursor, () => migrateWalkPage(ctx, page.items));
            deps.progress?.('page migrated', {
              phase: 'walks',
              documents: page.items.length,
              cursor: page.cursor.path,
              counts,
            });
            if (signal?.aborted) return void (completed = false);
          }
        },
        deletions: async () => {
          // A dry run has not recorded what it saw: it cannot tell a deleted document from an unseen one.
          if (!dryRun) await step('deletions', null, () => propagateWalkDeletions(ctx));
        },
        consents: async () => {
          const after = PHASES[startPhase] === 'consents' ? resumeCursor : undefined;
          for await (const page of consentPages(deps.firestore, scope, pageSize, after)) {
            await step('consents', page.cursor, () => migrateConsentPage(ctx, page.items));
            deps.progress?.('page migrated', {
              phase: 'consents',
              documents: page.items.length,
              cursor: page.cursor.path,
              counts,
            });
            if (signal?.aborted) return void (completed = false);
          }
        },
        accounts: async () => {
          await step('accounts', null, () => reconcileAccounts(ctx));
        },
      };
      for (const phase of PHASES.slice(startPhase)) {
        if (phase === 'done') break;
        await phases[phase]();
        if (!completed) break;
        if (!dryRun) await repo.saveCheckpoint(client, key, next(phase), null, counts);
      }
      const report = dryRun ? ctx.quarantined : await repo.quarantineReport(client, scope.userId);
      return {
        mode: dryRun ? 'dry-run' : 'run',
        scope_key: key,
        resumed_from_checkpoint: resumed,
        completed,
        counts,
        quarantined: report
          .filter((q) => inCohort(scope, q.user_id))
          .map(({ source_path, user_id, reason, detail }) => ({ source_path, user_id, reason, detail })),
        deletions_kept: ctx.kept,
        duration_ms: Date.now() - started,
      };
    } finally {
      if (!dryRun) await repo.releaseRunLock(client);
    }
  } finally {
    client.release();
  }
}

function toQuarantineWrite(item: QuarantineItem): repo.QuarantineWrite {
  const kind = item.source_path.startsWith('users/') ? 'consent' : 'walk';
  return {
    sourcePath: item.source_path,
    kind,
    userId: item.user_id,
    reason: item.reason as Quarantined['reason'],
    detail: item.detail,
  };
}
