-- Up Migration
-- Policies, consents and remote configuration served by the API (issue 18).
-- The checks mirror the API's validation (app/src/policies, consents,
-- remote-config), so a row the API would refuse cannot be written by any path.

-- A published policy version; immutable (trigger below). effective_date
-- decides which version is current, so a version may be published ahead.
CREATE TABLE policies (
  version text PRIMARY KEY CHECK (version ~ '^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$' AND version <> 'current'),
  privacy_policy_ja text NOT NULL CHECK (length(btrim(privacy_policy_ja)) BETWEEN 1 AND 200000),
  privacy_policy_en text CHECK (length(btrim(privacy_policy_en)) BETWEEN 1 AND 200000),
  terms_of_service_ja text NOT NULL CHECK (length(btrim(terms_of_service_ja)) BETWEEN 1 AND 200000),
  terms_of_service_en text CHECK (length(btrim(terms_of_service_en)) BETWEEN 1 AND 200000),
  effective_date timestamptz NOT NULL,
  -- an effective date before publication only when the operator forced it
  backdated boolean NOT NULL DEFAULT false,
  published_at timestamptz NOT NULL DEFAULT now(),
  -- the database identity that published it (the operator's IAM user, or the deploy identity's Job)
  published_by text NOT NULL DEFAULT current_user CHECK (length(published_by) BETWEEN 1 AND 200),
  CHECK (backdated OR effective_date >= published_at)
);
-- Two versions never become current at the same instant.
CREATE UNIQUE INDEX policies_effective_date_idx ON policies (effective_date);

CREATE FUNCTION refuse_change_of_published_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are immutable once published', TG_TABLE_NAME USING ERRCODE = '55000';
END $$;
CREATE TRIGGER policies_immutable BEFORE UPDATE OR DELETE ON policies
  FOR EACH ROW EXECUTE FUNCTION refuse_change_of_published_row();

-- Consents become an event log: withdrawal is an event, not a deletion.
ALTER TABLE consents DROP CONSTRAINT consents_consent_type_check;
ALTER TABLE consents ADD CONSTRAINT consents_consent_type_check
  CHECK (consent_type IN ('initial', 'update', 'withdrawal'));
-- The API's bounds; NOT VALID keeps rows migrated from Firestore as they are.
ALTER TABLE consents ADD CONSTRAINT consents_device_bounds CHECK (
  length(device_platform) BETWEEN 1 AND 32 AND length(device_os_version) BETWEEN 1 AND 32
  AND length(device_app_version) BETWEEN 1 AND 32) NOT VALID;
ALTER TABLE consents ADD CONSTRAINT consents_consent_id_format
  CHECK (consent_id ~ '^[0-9A-Za-z_-]{1,64}$') NOT VALID;
-- GET /v1/consents: newest first, keyset on (consented_at, consent_id).
CREATE INDEX consents_user_time_idx ON consents (user_id, consented_at DESC, consent_id DESC);

-- Remote configuration templates, versioned 1, 2, 3, … without gaps: each
-- version's predecessor must exist (the generated column's foreign key).
CREATE TABLE config_templates (
  version integer PRIMARY KEY CHECK (version > 0),
  previous_version integer GENERATED ALWAYS AS (nullif(version - 1, 0)) STORED
    REFERENCES config_templates (version),
  template jsonb NOT NULL CHECK (
    jsonb_typeof(template) = 'object'
    AND jsonb_typeof(template -> 'parameters') = 'object'
    AND jsonb_typeof(template -> 'conditions') = 'array'),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  -- parameter names added, changed and removed against the previous version
  changes jsonb NOT NULL DEFAULT '{}'::jsonb,
  rollback_of integer REFERENCES config_templates (version) CHECK (rollback_of < version),
  published_at timestamptz NOT NULL DEFAULT now(),
  published_by text NOT NULL DEFAULT current_user CHECK (length(published_by) BETWEEN 1 AND 200)
);
CREATE TRIGGER config_templates_immutable BEFORE UPDATE OR DELETE ON config_templates
  FOR EACH ROW EXECUTE FUNCTION refuse_change_of_published_row();
