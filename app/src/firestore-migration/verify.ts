/**
 * `--verify`: proves PostgreSQL holds what Firestore holds for a scope.
 * Every walk and consent in scope (with `--since`: changed since, by
 * Firestore's update time) must exist with the same content hash, locations
 * and microseconds included; every user's walk and consent counts must match
 * under every scope (the listing is always complete); a walk deleted in
 * Firestore or a user deleted from Firebase Auth must be gone; a moved
 * thumbnail must be in the service's bucket with the source's bytes.
 * Quarantined documents are counted, not compared: they are the quarantine
 * report's business.
 */
import { authDirectory } from './auth-users';
import { consentContentHash, walkContentHash } from './content-hash';
import { mapConsent, mapWalk } from './mapping';
import { changedSince, consentPages, readWalks, walkIndexPages, type Scope } from './reader';
import * as repo from './repository';
import { documentOwner, inCohort, type MigrationDeps } from './run';

export type DifferenceKind =
  | 'walk_missing_in_postgres'
  | 'walk_content_differs'
  | 'walk_deleted_in_firestore'
  | 'thumbnail_not_moved'
  | 'consent_missing_in_postgres'
  | 'consent_content_differs'
  | 'account_deleted_in_auth'
  | 'walk_count_differs'
  | 'consent_count_differs';

export interface Difference {
  readonly kind: DifferenceKind;
  readonly user_id: string;
  readonly source_path?: string;
  readonly firestore?: string | number;
  readonly postgres?: string | number;
  readonly detail?: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly scope: { user_id: string | null; since: string | null; cohort: string | null };
  readonly users_compared: number;
  readonly walks_compared: number;
  readonly consents_compared: number;
  readonly thumbnails_compared: number;
  /** Per-user counts: compared under every scope. */
  readonly counts_compared: boolean;
  readonly quarantined: number;
  readonly difference_count: number;
  /** The first `maxListed` differences. */
  readonly differences: Difference[];
  readonly duration_ms: number;
}

export interface VerifyOptions {
  readonly scope: Scope;
  readonly pageSize?: number;
  readonly maxListed?: number;
  /** Checked before each page: Ctrl-C stops the reads, so no call is left in flight. */
  readonly signal?: AbortSignal;
}

export async function verifyMigration(deps: MigrationDeps, options: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const { scope } = options;
  const pageSize = options.pageSize ?? 100;
  const maxListed = options.maxListed ?? 100;
  const differences: Difference[] = [];
  const source = new Map<string, { walks: number; consents: number }>();
  if (scope.userId) source.set(scope.userId, { walks: 0, consents: 0 });
  const perUser = (userId: string) => {
    let entry = source.get(userId);
    if (!entry) source.set(userId, (entry = { walks: 0, consents: 0 }));
    return entry;
  };
  const listedWalks = new Set<string>();
  let quarantined = 0;
  let walksCompared = 0;
  let consentsCompared = 0;
  let thumbnailsCompared = 0;

  const held = new Set((await repo.quarantineReport(deps.pool, scope.userId)).map((q) => q.source_path));
  for await (const page of walkIndexPages(deps.firestore, scope, pageSize)) {
    options.signal?.throwIfAborted();
    const entries = page.items.filter((entry) => inCohort(scope, entry.userId));
    entries.forEach((entry) => listedWalks.add(entry.path));
    const documents = await readWalks(
      deps.firestore,
      entries.filter((e) => changedSince(scope, e.updateTime) && !held.has(e.path)).map((e) => e.id),
    );
    const bodies = new Map(documents.map((doc) => [doc.path, doc]));
    const valid = [];
    for (const entry of entries) {
      const doc = bodies.get(entry.path);
      const result = doc && mapWalk(doc.id, doc.data);
      if (held.has(entry.path) || (result && !result.ok) || entry.userId === null) {
        quarantined += 1;
        continue;
      }
      perUser(entry.userId).walks += 1;
      if (result?.ok && changedSince(scope, entry.updateTime))
        valid.push({ path: entry.path, walk: result.value });
    }
    const stored = await repo.storedWalks(
      deps.pool,
      valid.map((v) => v.walk.id),
    );
    for (const { path, walk: sourceWalk } of valid) {
      walksCompared += 1;
      const plan = deps.thumbnails?.planFor(sourceWalk);
      const walk = plan ? { ...sourceWalk, thumbnail_image_url: plan.newUrl } : sourceWalk;
      const target = stored.get(walk.id);
      const base = { user_id: walk.user_id, source_path: path };
      if (!target) {
        differences.push({ kind: 'walk_missing_in_postgres', ...base });
        continue;
      }
      const [expected, actual] = [walkContentHash(walk), walkContentHash(target)];
      if (expected !== actual) {
        differences.push({ kind: 'walk_content_differs', ...base, firestore: expected, postgres: actual });
      }
      if (plan && target.thumbnail_image_url === plan.newUrl) {
        thumbnailsCompared += 1;
        const problem = await deps.thumbnails!.check(plan);
        if (problem) differences.push({ kind: 'thumbnail_not_moved', ...base, detail: problem });
      }
    }
  }

  for await (const page of consentPages(deps.firestore, scope, pageSize)) {
    options.signal?.throwIfAborted();
    const valid = page.items.flatMap((doc) => {
      const owner = documentOwner(doc);
      if (!inCohort(scope, owner)) return [];
      const result = owner ? mapConsent(owner, doc.id, doc.data) : undefined;
      if (!result?.ok || held.has(doc.path)) {
        quarantined += 1;
        return [];
      }
      perUser(result.value.user_id).consents += 1;
      return changedSince(scope, doc.updateTime) ? [{ doc, consent: result.value }] : [];
    });
    const stored = await repo.storedConsents(deps.pool, [...new Set(valid.map((v) => v.consent.user_id))]);
    const hashes = new Map(stored.map((c) => [`${c.user_id}/${c.consent_id}`, consentContentHash(c)]));
    for (const { doc, consent } of valid) {
      consentsCompared += 1;
      const [expected, actual] = [
        consentContentHash(consent),
        hashes.get(`${consent.user_id}/${consent.consent_id}`),
      ];
      const base = { user_id: consent.user_id, source_path: doc.path };
      if (actual === undefined) differences.push({ kind: 'consent_missing_in_postgres', ...base });
      else if (actual !== expected) {
        differences.push({ kind: 'consent_content_differs', ...base, firestore: expected, postgres: actual });
      }
    }
  }

  // Deletions: walks the migration took whose documents are gone, and users gone from Firebase Auth.
  for (const gone of await repo.goneWalksAgainst(deps.pool, [...listedWalks], scope.userId)) {
    if (!inCohort(scope, gone.user_id) || gone.current_version === null) continue;
    differences.push({
      kind: 'walk_deleted_in_firestore',
      user_id: gone.user_id,
      source_path: gone.source_path,
      detail: `walk ${gone.target_id} is still in PostgreSQL${
        gone.current_version === gone.written_version ? '' : ' (changed by the service since the migration)'
      }`,
    });
  }
  const users = (await repo.knownUsers(deps.pool, scope.userId)).filter((id) => inCohort(scope, id));
  const accounts = await authDirectory(deps.auth).lookup(users);
  for (const userId of users) {
    if (accounts.get(userId) === null) {
      differences.push({
        kind: 'account_deleted_in_auth',
        user_id: userId,
        detail: 'gone from Firebase Auth, still in PostgreSQL',
      });
    }
  }

  const target = await repo.countsPerUser(deps.pool, [...source.keys()]);
  for (const [userId, expected] of source) {
    const actual = target.get(userId) ?? { walks: 0, consents: 0 };
    if (actual.walks !== expected.walks) {
      differences.push({
        kind: 'walk_count_differs',
        user_id: userId,
        firestore: expected.walks,
        postgres: actual.walks,
      });
    }
    if (actual.consents !== expected.consents) {
      differences.push({
        kind: 'consent_count_differs',
        user_id: userId,
        firestore: expected.consents,
        postgres: actual.consents,
      });
    }
  }

  return {
    ok: differences.length === 0,
    scope: {
      user_id: scope.userId ?? null,
      since: scope.since?.toISOString() ?? null,
      cohort: scope.cohort ? `${scope.cohort.from}..${scope.cohort.to}` : null,
    },
    users_compared: source.size,
    walks_compared: walksCompared,
    consents_compared: consentsCompared,
    thumbnails_compared: thumbnailsCompared,
    counts_compared: true,
    quarantined,
    difference_count: differences.length,
    differences: differences.slice(0, maxListed),
    duration_ms: Date.now() - started,
  };
}
