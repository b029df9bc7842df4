-- Lets the cutover's own identity read and write the tables walk-service owns.
-- Runs as the owner: npm run ops-job -- --env <env> --sql runbooks/sql/grant-firestore-migration.sql
GRANT USAGE ON SCHEMA public TO "{{firestore_migration_user}}";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{{firestore_migration_user}}";
