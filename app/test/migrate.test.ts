/** The migration runner against a real PostgreSQL: what the deploy Job and `npm start` rely on. */
import { migrateUp, pendingMigrations, shippedMigrations } from '../src/db/migrate';
import { createTestDatabase, type TestDatabase } from './harness';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ migrated: false });
});
afterAll(() => db.drop());

it('concurrent runs wait for each other: one applies every migration, the other finds none pending', async () => {
  const runs = await Promise.all([migrateUp({ databaseUrl: db.url }), migrateUp({ databaseUrl: db.url })]);
  const shipped = shippedMigrations();
  expect(runs.map((ran) => ran.length).sort((a, b) => a - b)).toEqual([0, shipped.length]);
  expect(runs.flat()).toEqual(shipped);
  expect(await pendingMigrations(db.pool, shipped)).toEqual([]);
});
