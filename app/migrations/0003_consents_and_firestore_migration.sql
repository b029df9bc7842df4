-- Up Migration
-- Consents the app recorded at users/{uid}/consents/{autoId} in Firestore.
-- Keyed by the Firestore document id, so re-running the migration updates a
-- row in place instead of adding a second one.
CREATE TABLE consents (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  consent_id text NOT NULL,
  policy_version text NOT NULL CHECK (length(policy_version) BETWEEN 1 AND 100),
  consented_at timestamptz NOT NULL,
  consent_type text NOT NULL CHECK (consent_type IN ('initial', 'update')),
  device_platform text,
  device_os_version text,
  device_app_version text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, consent_id)
);

-- What the Firestore migration last wrote for each source document: the
-- content hash decides "unchanged", and the version it wrote tells whether
-- the service has changed the row since (a conflict, not an overwrite).
CREATE TABLE firestore_migration_ledger (
  source_path text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('walk', 'consent')),
  user_id text NOT NULL,
  target_id text NOT NULL,
  content_hash text NOT NULL,
  written_version integer,
  migrated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX firestore_migration_ledger_user_idx ON firestore_migration_ledger (user_id, kind);

-- One row per run scope (all users, one user, --since): where an interrupted
-- run resumes, written in the same transaction as the batch it follows.
CREATE TABLE firestore_migration_checkpoints (
  scope_key text PRIMARY KEY,
  phase text NOT NULL CHECK (phase IN ('walks', 'consents', 'done')),
  cursor jsonb,
  counts jsonb NOT NULL DEFAULT '{}'::jsonb,
  started_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);

-- Documents the migration could not accept, with the reason; a row goes away
-- when a later run accepts the corrected document.
CREATE TABLE firestore_migration_quarantine (
  source_path text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('walk', 'consent')),
  user_id text,
  reason text NOT NULL,
  detail text NOT NULL,
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);
