-- Partial restore, step 2: bring back rows that are missing from the live
-- tables (never overwrite a row written since), then drop the staging
-- tables. Runs as the owner through
-- npm run ops-job -- --env <env> --sql runbooks/sql/restore-merge.sql
CREATE TEMP TABLE restored ON COMMIT DROP AS SELECT 0 AS users, 0 AS walks, 0 AS locations, 0 AS consents;
WITH u AS (
  INSERT INTO users (id, email, display_name, auth_provider, created_at, updated_at)
  SELECT id, email, display_name, auth_provider, created_at, updated_at FROM restore_users
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
-- Consents are an append-only legal record: bring back every one that is missing.
WITH c AS (
  INSERT INTO consents (user_id, consent_id, policy_version, consented_at, consent_type,
                        device_platform, device_os_version, device_app_version, created_at)
  SELECT user_id, consent_id, policy_version, consented_at, consent_type,
         device_platform, device_os_version, device_app_version, created_at
    FROM restore_consents
  ON CONFLICT (user_id, consent_id) DO NOTHING RETURNING 1
) UPDATE restored SET consents = (SELECT count(*) FROM c);
DROP TABLE restore_users, restore_walks, restore_walk_locations, restore_consents;
SELECT * FROM restored;
