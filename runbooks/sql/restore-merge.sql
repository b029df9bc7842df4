-- Partial restore, step 2: bring back rows that are missing from the live
-- tables (never overwrite a row written since), then drop the staging
-- tables. Runs as the owner through
-- npm run ops-job -- --env <env> --sql runbooks/sql/restore-merge.sql
CREATE TEMP TABLE restored ON COMMIT DROP AS SELECT 0 AS users, 0 AS walks, 0 AS locations;
WITH u AS (
  INSERT INTO users (id, email, display_name, created_at, updated_at)
  SELECT id, email, display_name, created_at, updated_at FROM restore_users
  ON CONFLICT (id) DO NOTHING RETURNING 1
) UPDATE restored SET users = (SELECT count(*) FROM u);
WITH w AS (
  INSERT INTO walks (id, user_id, title, description, status, start_time, end_time, paused_at,
                     total_paused_duration, total_distance, total_steps, polyline_data,
                     thumbnail_image_url, version, created_at, updated_at)
  SELECT id, user_id, title, description, status, start_time, end_time, paused_at,
         total_paused_duration, total_distance, total_steps, polyline_data,
         thumbnail_image_url, version, created_at, updated_at
    FROM restore_walks
  ON CONFLICT (id) DO NOTHING RETURNING id
), l AS (
  -- Locations only of walks this step brought back: a live walk keeps its own.
  INSERT INTO walk_locations
  SELECT rl.* FROM restore_walk_locations rl JOIN w ON w.id = rl.walk_id
  ON CONFLICT DO NOTHING RETURNING 1
) UPDATE restored SET walks = (SELECT count(*) FROM w), locations = (SELECT count(*) FROM l);
DROP TABLE restore_users, restore_walks, restore_walk_locations;
SELECT * FROM restored;
