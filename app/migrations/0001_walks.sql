-- Up Migration
-- Users (id = Firebase UID), walks and their ordered locations. The rules of
-- API.md are repeated here as CHECKs so no writer (the service, the Firestore
-- migration, a console session) can store a walk the API would refuse.

CREATE TABLE users (
  id text PRIMARY KEY CHECK (char_length(id) BETWEEN 1 AND 128),
  email text,
  display_name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE walks (
  id uuid PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 100),
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
  status text NOT NULL CHECK (status IN ('not_started', 'in_progress', 'paused', 'completed')),
  start_time timestamptz,
  end_time timestamptz,
  paused_at timestamptz,
  total_paused_duration double precision NOT NULL DEFAULT 0 CHECK (total_paused_duration >= 0),
  total_distance double precision NOT NULL DEFAULT 0 CHECK (total_distance >= 0),
  total_steps integer NOT NULL DEFAULT 0 CHECK (total_steps >= 0),
  polyline_data text,
  thumbnail_image_url text CHECK (thumbnail_image_url ~ '^https://'),
  -- optimistic concurrency: +1 on every write, sent as the ETag
  version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- the list order: newest start_time first, walks without one by created_at
  sort_time timestamptz GENERATED ALWAYS AS (coalesce(start_time, created_at)) STORED,
  CONSTRAINT walks_end_not_before_start CHECK (start_time IS NULL OR end_time IS NULL OR end_time >= start_time),
  CONSTRAINT walks_completed_has_end CHECK (status <> 'completed' OR end_time IS NOT NULL)
);

-- Keyset pagination: WHERE user_id = $1 AND (sort_time, id) < ($2, $3) ORDER BY sort_time DESC, id DESC
CREATE INDEX walks_user_list_idx ON walks (user_id, sort_time DESC, id DESC);

CREATE TABLE walk_locations (
  walk_id uuid NOT NULL REFERENCES walks (id) ON DELETE CASCADE,
  sequence_number integer NOT NULL CHECK (sequence_number >= 0),
  latitude double precision NOT NULL CHECK (latitude BETWEEN -90 AND 90),
  longitude double precision NOT NULL CHECK (longitude BETWEEN -180 AND 180),
  altitude double precision,
  "timestamp" timestamptz NOT NULL,
  -- iOS reports -1 for "invalid" accuracy, speed and course: no range checks here
  horizontal_accuracy double precision,
  vertical_accuracy double precision,
  speed double precision,
  course double precision,
  PRIMARY KEY (walk_id, sequence_number)
);
