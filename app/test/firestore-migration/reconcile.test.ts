import { decideWalk } from '../../src/firestore-migration/reconcile';

// Firestore's updateTime of the document and the service's write time: both server clocks.
const source = { contentHash: 'new', updateTime: '2026-11-05T00:00:00.000001Z' };
const older = '2026-11-05T00:00:00.000000Z';
const newer = '2026-11-05T00:00:00.000002Z';

describe('what a run does with one walk', () => {
  it('inserts a walk no run has written and PostgreSQL does not hold', () => {
    expect(decideWalk(source)).toBe('inserted');
  });

  it('does not bring back a walk the service deleted after a run wrote it', () => {
    expect(decideWalk(source, { contentHash: 'old', writtenVersion: 1 })).toBe('deleted_in_service');
  });

  it('leaves a walk alone when Firestore has not changed since the last run, whatever the service did', () => {
    expect(
      decideWalk(source, { contentHash: 'new', writtenVersion: 1 }, { version: 5, updatedAt: newer }),
    ).toBe('unchanged');
  });

  it('updates a walk that changed in Firestore and that the service has not touched', () => {
    expect(
      decideWalk(source, { contentHash: 'old', writtenVersion: 2 }, { version: 2, updatedAt: newer }),
    ).toBe('updated');
  });

  it('lets the last writer by server time win when both sides changed, to the microsecond', () => {
    const ledger = { contentHash: 'old', writtenVersion: 1 };
    expect(decideWalk(source, ledger, { version: 2, updatedAt: newer })).toBe('conflict_kept_service');
    expect(decideWalk(source, ledger, { version: 2, updatedAt: older })).toBe('updated');
  });

  it('recognises a walk the app already synced through the API with the same content', () => {
    expect(decideWalk(source, undefined, { version: 1, updatedAt: newer, contentHash: 'new' })).toBe(
      'unchanged',
    );
    expect(decideWalk(source, undefined, { version: 1, updatedAt: newer, contentHash: 'other' })).toBe(
      'conflict_kept_service',
    );
  });
});
