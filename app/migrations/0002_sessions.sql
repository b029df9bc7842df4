-- Up Migration
-- Server sessions (docs/sessions.md). A session family is one sign-in on one
-- device; each refresh retires the family's current refresh token and issues
-- the next one. Refresh tokens are stored only as SHA-256 hashes. Used tokens
-- stay until they expire, so presenting one again is recognised as theft.
-- Timestamps come from the service's clock (not now()), so tests control time.

CREATE TABLE session_families (
  id uuid PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  last_refreshed_at timestamptz NOT NULL,
  -- absolute lifetime: no refresh extends a family past this
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text,
  CONSTRAINT session_families_expiry_after_creation CHECK (expires_at > created_at),
  CONSTRAINT session_families_revocation_complete CHECK (
    (revoked_at IS NULL AND revoked_reason IS NULL)
    OR (
      revoked_at IS NOT NULL
      AND revoked_reason IN ('logout', 'logout_all', 'reuse', 'account_disabled', 'account_revoked')
    )
  )
);

-- logout-all: the live families of one user
CREATE INDEX session_families_live_by_user_idx ON session_families (user_id) WHERE revoked_at IS NULL;
-- the access-token revocation list every replica polls: families revoked in the last access-token lifetime
CREATE INDEX session_families_revoked_at_idx ON session_families (revoked_at) WHERE revoked_at IS NOT NULL;
-- pruning
CREATE INDEX session_families_expires_at_idx ON session_families (expires_at);

CREATE TABLE session_refresh_tokens (
  token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  family_id uuid NOT NULL REFERENCES session_families (id) ON DELETE CASCADE,
  issued_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  -- set once, when the token is exchanged; a second exchange is reuse
  used_at timestamptz,
  CONSTRAINT session_refresh_tokens_expiry_after_issue CHECK (expires_at > issued_at)
);

CREATE INDEX session_refresh_tokens_family_idx ON session_refresh_tokens (family_id);
CREATE INDEX session_refresh_tokens_expires_at_idx ON session_refresh_tokens (expires_at);
