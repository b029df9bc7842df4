/**
 * What a run does with one walk, given the Firestore copy, what the last run
 * wrote (the ledger) and what PostgreSQL holds now.
 *
 * Firestore is the source until a user's app moves to the backend; after that
 * the service may change or delete the walk, and an old app version on another
 * device may still write Firestore. The rules: never resurrect a walk the
 * service deleted; overwrite the service's copy only when the service has not
 * touched it since the last run, or when the Firestore copy is newer. "Newer"
 * compares two server clocks: Firestore's updateTime of the document and the
 * time the service wrote the row (walks.updated_at of a walk the service
 * changed). A device's updated_at decides nothing: the app re-sends old ones.
 */
export type WalkOutcome =
  'inserted' | 'updated' | 'unchanged' | 'conflict_kept_service' | 'deleted_in_service' | 'quarantined';

export const WALK_OUTCOMES: readonly WalkOutcome[] = [
  'inserted',
  'updated',
  'unchanged',
  'conflict_kept_service',
  'deleted_in_service',
  'quarantined',
];

export interface LedgerEntry {
  readonly contentHash: string;
  /** The walk version the migration wrote; null for consents. */
  readonly writtenVersion: number | null;
  /** Firestore's updateTime when the migration last read the document. */
  readonly sourceUpdateTime?: string | null;
}

export interface ServiceWalk {
  readonly version: number;
  /** When the service last wrote the row (its clock), microsecond text. */
  readonly updatedAt: string;
  /** Content hash of the stored walk; computed only when the ledger has no entry. */
  readonly contentHash?: string;
}

export interface SourceState {
  readonly contentHash: string;
  /** Firestore's updateTime of the document (server time), microsecond text. */
  readonly updateTime: string;
}

export function decideWalk(source: SourceState, ledger?: LedgerEntry, current?: ServiceWalk): WalkOutcome {
  if (!current) return ledger ? 'deleted_in_service' : 'inserted';
  if (ledger?.contentHash === source.contentHash) return 'unchanged';
  if (current.contentHash === source.contentHash) return 'unchanged';
  const untouchedByService = ledger !== undefined && ledger.writtenVersion === current.version;
  if (untouchedByService) return 'updated';
  return source.updateTime > current.updatedAt ? 'updated' : 'conflict_kept_service';
}
