/**
 * `--verify`: proves PostgreSQL holds what Firestore holds for a scope.
 * Every valid walk must exist with the same content hash (locations
 * included), every valid consent likewise, and each user's walk and consent
 * counts must match. Quarantined documents are listed, not compared: they
 * are the quarantine report's business.
 */
import { consentContentHash, walkContentHash } from './content-hash';
import { mapConsent, mapWalk } from './mapping';
import { consentPages, walkPages, type Page, type Scope } from './reader';
import * as repo from './repository';
import { documentOwner, inScope, type MigrationDeps } from './run';

export type DifferenceKind =
  | 'walk_missing_in_postgres'
  | 'walk_content_differs'
  | 'consent_missing_in_postgres'
  | 'consent_content_differs'
  | 'walk_count_differs'
  | 'consent_count_differs';

export interface Difference {
  readonly kind: DifferenceKind;
  readonly user_id: string;
  readonly source_path?: string;
  readonly firestore?: string | number;
  readonly postgres?: string | number;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly scope: { user_id: string | null; since: string | null; cohort: string | null };
  readonly users_compared: number;
  readonly walks_compared: number;
  readonly consents_compared: number;
  /** Per-user counts are compared only for a full scope: `--since` sees part of each user's data. */
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
  let quarantined = 0;
  let walksCompared = 0;
  let consentsCompared = 0;

  const walkPage = async (page: Page) => {
    const mapped = page.documents.map((doc) => ({ doc, result: mapWalk(doc.id, doc.data) }));
    const valid = mapped.flatMap(({ doc, result }) => (result.ok ? [{ doc, walk: result.value }] : []));
    quarantined += mapped.length - valid.length;
    const stored = await repo.storedWalks(
      deps.pool,
      valid.map((v) => v.walk.id),
    );
    for (const { doc, walk } of valid) {
      perUser(walk.user_id).walks += 1;
      walksCompared += 1;
      const target = stored.get(walk.id);
      const base = { user_id: walk.user_id, source_path: doc.path };
      if (!target) differences.push({ kind: 'walk_missing_in_postgres', ...base });
      else {
        const [expected, actual] = [walkContentHash(walk), walkContentHash(target)];
        if (expected !== actual) {
          differences.push({ kind: 'walk_content_differs', ...base, firestore: expected, postgres: actual });
        }
      }
    }
  };

  const consentPage = async (page: Page) => {
    const valid = page.documents.flatMap((doc) => {
      const owner = documentOwner(doc);
      const result = owner ? mapConsent(owner, doc.id, doc.data) : undefined;
      if (!result?.ok) {
        quarantined += 1;
        return [];
      }
      return [{ doc, consent: result.value }];
    });
    const stored = await repo.storedConsents(deps.pool, [...new Set(valid.map((v) => v.consent.user_id))]);
    const hashes = new Map(stored.map((c) => [`${c.user_id}/${c.consent_id}`, consentContentHash(c)]));
    for (const { doc, consent } of valid) {
      perUser(consent.user_id).consents += 1;
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
  };

  for await (const page of walkPages(deps.firestore, scope, pageSize)) await walkPage(inScope(scope, page));
  for await (const page of consentPages(deps.firestore, scope, pageSize))
    await consentPage(inScope(scope, page));

  const countsCompared = scope.since === undefined;
  if (countsCompared) {
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
    counts_compared: countsCompared,
    quarantined,
    difference_count: differences.length,
    differences: differences.slice(0, maxListed),
    duration_ms: Date.now() - started,
  };
}
