/**
 * One migration run: walks first, then consents, page by page. Each page is
 * one PostgreSQL transaction that also moves the checkpoint, so a crash loses
 * at most the page in flight and the next run of the same scope resumes after
 * the last committed page. A dry run reads both sides and writes nothing.
 */
import type { Firestore } from 'firebase-admin/firestore';
import type { Pool, PoolClient } from 'pg';
import { consentContentHash, walkContentHash } from './content-hash';
import { mapConsent, mapWalk, type Quarantined, type TargetConsent, type TargetWalk } from './mapping';
import { consentPages, walkPages, type Cursor, type Page, type Scope, type SourceDocument } from './reader';
import { inBackendCohort } from '../appconfig/rollout';
import { decideWalk, WALK_OUTCOMES, type WalkOutcome } from './reconcile';
import * as repo from './repository';

export interface MigrationDeps {
  readonly firestore: Firestore;
  readonly pool: Pool;
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

export interface RunCounts {
  documents_read: { walks: number; consents: number };
  walks: Record<WalkOutcome, number>;
  consents: Record<ConsentOutcome, number>;
  rows_written: { users: number; walks: number; walk_locations: number; consents: number };
}

export interface QuarantineItem {
  readonly source_path: string;
  readonly user_id: string | null;
  readonly reason: string;
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

/** Narrows a page to a cohort; without one every document is in scope. */
export function inScope(scope: Scope, page: Page): Page {
  const { cohort } = scope;
  if (!cohort) return page;
  return {
    ...page,
    documents: page.documents.filter((doc) => {
      const owner = documentOwner(doc);
      return owner !== null && inBackendCohort(owner, cohort.to) && !inBackendCohort(owner, cohort.from);
    }),
  };
}

const tally = <K extends string>(keys: readonly K[]): Record<K, number> =>
  Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;

function emptyCounts(): RunCounts {
  return {
    documents_read: { walks: 0, consents: 0 },
    walks: tally(WALK_OUTCOMES),
    consents: tally(CONSENT_OUTCOMES),
    rows_written: { users: 0, walks: 0, walk_locations: 0, consents: 0 },
  };
}

/** Merges saved counts over fresh zeroes, so a checkpoint from an older build still loads. */
function restoreCounts(saved: unknown): RunCounts {
  const counts = emptyCounts();
  if (saved && typeof saved === 'object') {
    const s = saved as Partial<RunCounts>;
    Object.assign(counts.documents_read, s.documents_read);
    Object.assign(counts.walks, s.walks);
    Object.assign(counts.consents, s.consents);
    Object.assign(counts.rows_written, s.rows_written);
  }
  return counts;
}

interface PageContext {
  readonly db: repo.Queryable;
  readonly dryRun: boolean;
  readonly counts: RunCounts;
  readonly quarantined: QuarantineItem[];
}

function quarantine(ctx: PageContext, doc: SourceDocument, userId: string | null, why: Quarantined) {
  ctx.quarantined.push({ source_path: doc.path, user_id: userId, reason: why.reason, detail: why.detail });
}

async function migrateWalkPage(ctx: PageContext, page: Page): Promise<void> {
  const { db, counts, dryRun } = ctx;
  counts.documents_read.walks += page.documents.length;
  const valid: { doc: SourceDocument; walk: TargetWalk; hash: string }[] = [];
  for (const doc of page.documents) {
    const mapped = mapWalk(doc.id, doc.data);
    if (mapped.ok) valid.push({ doc, walk: mapped.value, hash: walkContentHash(mapped.value) });
    else {
      counts.walks.quarantined += 1;
      quarantine(ctx, doc, documentOwner(doc), mapped.quarantine);
    }
  }
  if (!dryRun)
    counts.rows_written.users += await repo.ensureUsers(db, [...new Set(valid.map((v) => v.walk.user_id))]);
  const ids = valid.map((v) => v.walk.id);
  const heads = await repo.walkHeads(db, ids, !dryRun);
  const ledger = await repo.ledgerEntries(
    db,
    valid.map((v) => v.doc.path),
  );
  // Rare: a walk already in PostgreSQL that no run wrote (e.g. the app synced it through the API).
  const unknownIds = ids.filter((id, i) => heads.has(id) && !ledger.has(valid[i]!.doc.path));
  const stored = await repo.storedWalks(db, unknownIds);

  const ledgerWrites: repo.LedgerWrite[] = [];
  for (const { doc, walk, hash } of valid) {
    const head = heads.get(walk.id);
    if (head && head.user_id !== walk.user_id) {
      counts.walks.quarantined += 1;
      quarantine(ctx, doc, walk.user_id, {
        reason: 'owner_conflict',
        detail: `walk ${walk.id} already belongs to another user in PostgreSQL`,
      });
      continue;
    }
    const storedWalk = stored.get(walk.id);
    const outcome = decideWalk(
      { contentHash: hash, updatedAt: walk.updated_at },
      ledger.get(doc.path),
      head && {
        version: head.version,
        updatedAt: head.updated_at,
        contentHash: storedWalk && walkContentHash(storedWalk),
      },
    );
    counts.walks[outcome] += 1;
    const ledgerEntry = {
      sourcePath: doc.path,
      kind: 'walk' as const,
      userId: walk.user_id,
      targetId: walk.id,
    };
    if (outcome === 'inserted' || outcome === 'updated') {
      const version = head ? head.version + 1 : 1;
      if (!dryRun) {
        counts.rows_written.walk_locations += await repo.writeWalk(db, walk, head !== undefined);
        counts.rows_written.walks += 1;
      }
      ledgerWrites.push({ ...ledgerEntry, contentHash: hash, writtenVersion: version });
    } else if (outcome === 'unchanged' && head && !ledger.has(doc.path)) {
      ledgerWrites.push({ ...ledgerEntry, contentHash: hash, writtenVersion: head.version });
    }
  }
  if (!dryRun) {
    await repo.writeLedger(db, ledgerWrites);
    await repo.clearQuarantine(
      db,
      valid.map((v) => v.doc.path),
    );
  }
}

async function migrateConsentPage(ctx: PageContext, page: Page): Promise<void> {
  const { db, counts, dryRun } = ctx;
  counts.documents_read.consents += page.documents.length;
  const valid: { doc: SourceDocument; consent: TargetConsent }[] = [];
  for (const doc of page.documents) {
    // Anything else in a `consents` collection group is not the app's.
    const owner = documentOwner(doc);
    const mapped = owner
      ? mapConsent(owner, doc.id, doc.data)
      : {
          ok: false as const,
          quarantine: { reason: 'invalid_document' as const, detail: 'not under users/{uid}/consents' },
        };
    if (mapped.ok) valid.push({ doc, consent: mapped.value });
    else {
      counts.consents.quarantined += 1;
      quarantine(ctx, doc, owner, mapped.quarantine);
    }
  }
  if (dryRun) {
    const existing = await repo.storedConsents(db, [...new Set(valid.map((v) => v.consent.user_id))]);
    const hashes = new Map(existing.map((c) => [`${c.user_id}/${c.consent_id}`, consentContentHash(c)]));
    for (const { consent } of valid) {
      const hash = hashes.get(`${consent.user_id}/${consent.consent_id}`);
      counts.consents[
        hash === undefined ? 'inserted' : hash === consentContentHash(consent) ? 'unchanged' : 'updated'
      ] += 1;
    }
    return;
  }
  counts.rows_written.users += await repo.ensureUsers(db, [...new Set(valid.map((v) => v.consent.user_id))]);
  for (const { consent } of valid) {
    const outcome = await repo.upsertConsent(db, consent);
    counts.consents[outcome] += 1;
    if (outcome !== 'unchanged') counts.rows_written.consents += 1;
  }
  await repo.clearQuarantine(
    db,
    valid.map((v) => v.doc.path),
  );
}

async function inTransaction(client: PoolClient, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

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
      if (!dryRun && !resumed) await repo.startCheckpoint(client, key);
      const counts = resumed ? restoreCounts(checkpoint.counts) : emptyCounts();
      const quarantined: QuarantineItem[] = [];
      const ctx: PageContext = { db: client, dryRun, counts, quarantined };

      const phases = [
        { phase: 'walks' as const, next: 'consents' as const, pages: walkPages, migrate: migrateWalkPage },
        {
          phase: 'consents' as const,
          next: 'done' as const,
          pages: consentPages,
          migrate: migrateConsentPage,
        },
      ];
      let completed = true;
      for (const { phase, next, pages, migrate } of phases) {
        if (resumed && checkpoint.phase === 'consents' && phase === 'walks') continue;
        const after = resumed && checkpoint.phase === phase ? (checkpoint.cursor as Cursor | null) : null;
        for await (const page of pages(deps.firestore, scope, pageSize, after ?? undefined)) {
          const persist = async () => {
            await migrate(ctx, inScope(scope, page));
            if (!dryRun) {
              await repo.writeQuarantine(client, quarantined.splice(0).map(toQuarantineWrite));
              await repo.saveCheckpoint(client, key, phase, page.cursor, counts);
            }
          };
          if (dryRun) await persist();
          else await inTransaction(client, persist);
          deps.progress?.('page migrated', {
            phase,
            documents: page.documents.length,
            cursor: page.cursor.path,
            counts,
          });
          if (signal?.aborted) {
            completed = false;
            break;
          }
        }
        if (!completed) break;
        if (!dryRun) await repo.saveCheckpoint(client, key, next, null, counts);
      }
      const report = dryRun ? quarantined : await repo.quarantineReport(client, scope.userId);
      return {
        mode: dryRun ? 'dry-run' : 'run',
        scope_key: key,
        resumed_from_checkpoint: resumed,
        completed,
        counts,
        quarantined: report.map(({ source_path, user_id, reason, detail }) => ({
          source_path,
          user_id,
          reason,
          detail,
        })),
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
