-- Partial restore, step 1 (runbooks/database.md): empty staging tables shaped
-- like the live ones, which `postgres` (cloudsqlsuperuser, not the owner) may
-- fill with `gcloud sql import csv`. Runs as the owner through
-- npm run ops-job -- --env <env> --sql runbooks/sql/restore-prepare.sql
CREATE TABLE restore_users (LIKE users);
CREATE TABLE restore_walks (LIKE walks);
CREATE TABLE restore_walk_locations (LIKE walk_locations);
CREATE TABLE restore_consents (LIKE consents);
GRANT SELECT, INSERT ON restore_users, restore_walks, restore_walk_locations, restore_consents TO cloudsqlsuperuser;
