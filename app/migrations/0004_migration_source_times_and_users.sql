-- Up Migration
-- Cutover without loss (issue 24).
--
-- The ledger remembers Firestore's own update time of each document it took
-- (server time, RFC 3339 with Firestore's microseconds as text): a run
-- re-reads a document only when that time moved, whatever the device clock
-- wrote into updated_at.
ALTER TABLE firestore_migration_ledger ADD COLUMN source_update_time text;

-- The documents a run of a scope has seen so far. After a complete pass, a
-- ledger entry of the scope that was not seen is a document deleted in
-- Firestore. A table (not memory) so an interrupted run resumes with it.
CREATE TABLE firestore_migration_seen (
  scope_key text NOT NULL,
  source_path text NOT NULL,
  PRIMARY KEY (scope_key, source_path)
);

-- What the service needs from Firebase Auth: how the user signs in and since
-- when the account exists (copied at migration time; created_at takes the
-- account's creation time).
ALTER TABLE users ADD COLUMN auth_provider text;

-- Runs gain two phases: propagating deletions after the walks, and checking
-- the users' Firebase accounts after the consents.
ALTER TABLE firestore_migration_checkpoints DROP CONSTRAINT firestore_migration_checkpoints_phase_check;
ALTER TABLE firestore_migration_checkpoints ADD CONSTRAINT firestore_migration_checkpoints_phase_check
  CHECK (phase IN ('walks', 'deletions', 'consents', 'accounts', 'done'));
