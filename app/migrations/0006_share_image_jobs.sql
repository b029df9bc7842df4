-- Up Migration
-- Share-image jobs (issue 19, ADR 0255): the queue and the API's record in one
-- table. The worker claims rows with FOR UPDATE SKIP LOCKED; every write after
-- the claim is fenced by the attempt number it claimed.

CREATE TABLE share_image_jobs (
  id uuid PRIMARY KEY,
  walk_id uuid NOT NULL REFERENCES walks (id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- the walk version the image shows; a newer version is a new job
  walk_version integer NOT NULL CHECK (walk_version >= 1),
  template text NOT NULL CHECK (template ~ '^[a-z][a-z0-9_]{0,31}$'),
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  max_attempts integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 20),
  -- when a queued job may be claimed (later than created_at while it waits for a retry)
  run_after timestamptz NOT NULL DEFAULT now(),
  -- a running job whose lease passed is claimed again (its worker is presumed dead)
  lease_expires_at timestamptz,
  object_key text CHECK (object_key ~ '^share-images/'),
  error_code text CHECK (error_code ~ '^[a-z][a-z0-9_]{0,63}$'),
  error_message text CHECK (char_length(error_message) <= 500),
  -- W3C traceparent of the request that created the job; the worker's span links to it
  traceparent text CHECK (traceparent ~ '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  CONSTRAINT share_image_jobs_one_per_version UNIQUE (walk_id, walk_version, template),
  CONSTRAINT share_image_jobs_running_has_lease CHECK (status <> 'running' OR lease_expires_at IS NOT NULL),
  CONSTRAINT share_image_jobs_succeeded_has_object CHECK (status <> 'succeeded' OR object_key IS NOT NULL),
  CONSTRAINT share_image_jobs_failed_has_reason CHECK (status <> 'failed' OR error_code IS NOT NULL)
);

-- The claim and the queue-depth gauge read only unfinished rows.
CREATE INDEX share_image_jobs_ready_idx ON share_image_jobs (run_after)
  WHERE status = 'queued';
CREATE INDEX share_image_jobs_lease_idx ON share_image_jobs (lease_expires_at)
  WHERE status = 'running';
CREATE INDEX share_image_jobs_user_idx ON share_image_jobs (user_id);
