-- Point-in-time recovery, on the clone (runbooks/database.md): `gcloud sql
-- export csv` reads as Cloud SQL's import/export user, a member of
-- cloudsqlsuperuser that has no privilege on the tables the IAM user owns.
-- The owner lets it read them; the clone is deleted after the export. Runs as
-- the owner through
-- npm run ops-job -- --env <env> --instance <clone> --sql runbooks/sql/restore-export-grant.sql
GRANT SELECT ON users, walks, walk_locations, consents TO cloudsqlsuperuser;
