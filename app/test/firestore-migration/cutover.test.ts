/**
 * The dual period of the cutover (issue 24), on the Firestore and Auth
 * emulators and real PostgreSQL: late writes, deletions of walks and of whole
 * accounts (and when they must not propagate), microsecond timestamps, and
 * documents that only a later layer rejects.
 */
import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Pool } from 'pg';
import { importAuthUsers, startMigrationEnv, type MigrationEnv } from './migration-env';
import { location } from './seed';

jest.setTimeout(120_000);

let migration: MigrationEnv;
let firestore: Firestore;
let pool: Pool;

const USERS = { dana: 'uid-dana', eve: 'uid-eve', finn: 'uid-finn' } as const;
const ID = {
  kept: 'A1A1A1A1-0000-4000-8000-000000000001',
  deleted: 'A1A1A1A1-0000-4000-8000-000000000002',
  editedThenDeleted: 'A1A1A1A1-0000-4000-8000-000000000003',
  eve: 'B2B2B2B2-0000-4000-8000-000000000001',
  finn: 'C3C3C3C3-0000-4000-8000-000000000001',
  precise: 'D4D4D4D4-0000-4000-8000-000000000001',
  late: 'E5E5E5E5-0000-4000-8000-000000000001',
} as const;

const walkDoc = (userId: string, extra: Record<string, unknown> = {}) => ({
  user_id: userId,
  title: 'Walk',
  status: 'completed',
  start_time: Timestamp.fromDate(new Date('2026-11-01T06:00:00Z')),
  end_time: Timestamp.fromDate(new Date('2026-11-01T07:00:00Z')),
  created_at: Timestamp.fromDate(new Date('2026-11-01T06:00:00Z')),
  updated_at: Timestamp.fromDate(new Date('2026-11-01T07:00:00Z')),
  location_data: [location(0), location(1)],
  ...extra,
});
const walks = () => firestore.collection('walks');
const cli = (...argv: string[]) => migration.cli(...argv);
const exists = async (id: string) =>
  (await pool.query('SELECT 1 FROM walks WHERE id = $1', [id.toLowerCase()])).rows.length === 1;

beforeAll(async () => {
  migration = await startMigrationEnv();
  ({ firestore, pool } = migration);
  await importAuthUsers(migration.auth, Object.values(USERS), new Date('2025-01-01T00:00:00Z'));
  await Promise.all([
    walks().doc(ID.kept).set(walkDoc(USERS.dana)),
    walks().doc(ID.deleted).set(walkDoc(USERS.dana)),
    walks().doc(ID.editedThenDeleted).set(walkDoc(USERS.dana)),
    walks().doc(ID.eve).set(walkDoc(USERS.eve)),
    walks().doc(ID.finn).set(walkDoc(USERS.finn)),
  ]);
  expect((await cli()).code).toBe(0);
});

afterAll(async () => {
  await migration?.close();
});

describe('late writes', () => {
  it('a document written after the last run with an old updated_at is taken by the next run', async () => {
    await walks()
      .doc(ID.late)
      .set(walkDoc(USERS.dana, { updated_at: Timestamp.fromDate(new Date('2025-06-01T00:00:00Z')) }));
    const { report } = await cli('--since', '5m');
    expect(report).toMatchObject({ counts: { walks: { inserted: 1 } } });
    expect(await exists(ID.late)).toBe(true);
    expect((await cli('--verify', '--since', '5m')).report).toMatchObject({
      ok: true,
      counts_compared: true,
    });
  });
});

describe('microseconds', () => {
  it('keeps Firestore microseconds in PostgreSQL and verify sees a lost microsecond', async () => {
    const at = new Timestamp(Date.parse('2026-11-01T06:40:00Z') / 1000, 123_456_000);
    await walks()
      .doc(ID.precise)
      .set(walkDoc(USERS.dana, { start_time: at, location_data: [{ ...location(0), timestamp: at }] }));
    await cli();
    const { rows } = await pool.query(
      `SELECT to_char(w.start_time AT TIME ZONE 'UTC', 'HH24:MI:SS.US') AS start,
              to_char(l."timestamp" AT TIME ZONE 'UTC', 'HH24:MI:SS.US') AS point
       FROM walks w JOIN walk_locations l ON l.walk_id = w.id WHERE w.id = $1`,
      [ID.precise.toLowerCase()],
    );
    expect(rows).toEqual([{ start: '06:40:00.123456', point: '06:40:00.123456' }]);
    expect((await cli('--verify', '--user', USERS.dana)).code).toBe(0);
    await pool.query(
      `UPDATE walk_locations SET "timestamp" = "timestamp" + interval '1 microsecond' WHERE walk_id = $1`,
      [ID.precise.toLowerCase()],
    );
    const verify = await cli('--verify', '--user', USERS.dana);
    expect(verify.code).toBe(1);
    expect(verify.report.differences).toEqual([
      expect.objectContaining({ kind: 'walk_content_differs', source_path: `walks/${ID.precise}` }),
    ]);
    await pool.query(
      `UPDATE walk_locations SET "timestamp" = "timestamp" - interval '1 microsecond' WHERE walk_id = $1`,
      [ID.precise.toLowerCase()],
    );
  });
});

describe('deletions', () => {
  it('a walk deleted in Firestore is deleted in PostgreSQL, unless the service changed it since', async () => {
    // The user's new app renamed this one through the API after the migration wrote it.
    await pool.query(
      `UPDATE walks SET title = 'Renamed', version = version + 1, updated_at = now() WHERE id = $1`,
      [ID.editedThenDeleted.toLowerCase()],
    );
    await walks().doc(ID.deleted).delete();
    await walks().doc(ID.editedThenDeleted).delete();

    const before = await cli('--verify', '--user', USERS.dana);
    expect(before.code).toBe(1);
    expect(before.report.differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'walk_deleted_in_firestore', source_path: `walks/${ID.deleted}` }),
        expect.objectContaining({
          kind: 'walk_deleted_in_firestore',
          source_path: `walks/${ID.editedThenDeleted}`,
        }),
      ]),
    );

    const { report } = await cli();
    expect(report).toMatchObject({
      counts: { deletions: { walks_deleted: 1, walks_kept_changed_in_service: 1 } },
      deletions_kept: [
        expect.objectContaining({ kind: 'walk', source_path: `walks/${ID.editedThenDeleted}` }),
      ],
    });
    expect(await exists(ID.deleted)).toBe(false);
    expect(await exists(ID.editedThenDeleted)).toBe(true);
    expect(await exists(ID.kept)).toBe(true);
    // A cohort or --since run lists the whole scope too, so it sees deletions as well; nothing left to do.
    expect((await cli('--since', '1m')).report).toMatchObject({
      counts: { deletions: { walks_deleted: 0 } },
    });
  });

  it('a user deleted from Firebase Auth is deleted with their data, unless the service changed their walks', async () => {
    // The app's account deletion: Firestore documents and the Auth user go.
    await walks().doc(ID.eve).delete();
    await migration.auth.deleteUser(USERS.eve);
    // finn deletes his account too, but had saved a new walk through the new app meanwhile.
    await pool.query(
      `INSERT INTO walks (id, user_id, title, status) VALUES ('f0f0f0f0-0000-4000-8000-000000000009', $1, 'Made in the new app', 'not_started')`,
      [USERS.finn],
    );
    await migration.auth.deleteUser(USERS.finn);

    const before = await cli('--verify');
    expect(before.report.differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'account_deleted_in_auth', user_id: USERS.eve }),
        expect.objectContaining({ kind: 'account_deleted_in_auth', user_id: USERS.finn }),
      ]),
    );
    const { report } = await cli();
    expect(report).toMatchObject({
      counts: { deletions: { accounts_deleted: 1, accounts_kept_changed_in_service: 1 } },
    });
    expect(report.deletions_kept).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'account', user_id: USERS.finn })]),
    );
    const users = await pool.query('SELECT id FROM users ORDER BY id');
    expect(users.rows.map((r) => r.id)).toEqual([USERS.dana, USERS.finn]);
    // Once the old app touches finn's remaining Firestore walk, it is quarantined, not taken.
    await walks().doc(ID.finn).update({ title: 'edited after the account went' });
    const later = await cli();
    expect(later.report.quarantined).toEqual([
      expect.objectContaining({ source_path: `walks/${ID.finn}`, reason: 'account_deleted' }),
    ]);
  });
});

describe('documents only a later layer rejects (issue 17)', () => {
  it('normalises what the schema accepts, quarantines what the database refuses, and goes on', async () => {
    await importAuthUsers(migration.auth, ['uid-gus'], new Date('2025-01-01T00:00:00Z'));
    // Accepted by the schema and stored in the form the database's check wants.
    await walks()
      .doc('0A0A0A0A-0000-4000-8000-000000000001')
      .set(walkDoc('uid-gus', { thumbnail_image_url: 'HTTPS://images.example/t.jpg' }));
    await walks()
      .doc('0A0A0A0A-0000-4000-8000-000000000002')
      .set(walkDoc('uid-gus', { thumbnail_image_url: 'https:images.example/u.jpg' }));
    // Two documents whose ids differ only in case name the same walk.
    await walks().doc('0B0B0B0B-0000-4000-8000-00000000000A').set(walkDoc('uid-gus'));
    await walks()
      .doc('0b0b0b0b-0000-4000-8000-00000000000a')
      .set(walkDoc('uid-gus', { title: 'twin' }));
    // A rule the schema does not know about (as a future migration might add).
    await pool.query(
      `ALTER TABLE walks ADD CONSTRAINT test_no_forbidden_titles CHECK (title <> 'forbidden')`,
    );
    await walks()
      .doc('0C0C0C0C-0000-4000-8000-000000000001')
      .set(walkDoc('uid-gus', { title: 'forbidden' }));
    await walks()
      .doc('0C0C0C0C-0000-4000-8000-000000000002')
      .set(walkDoc('uid-gus', { title: 'fine' }));
    try {
      const { code, report } = await cli('--user', 'uid-gus', '--page-size', '2');
      expect(code).toBe(0);
      expect(report).toMatchObject({ completed: true, counts: { walks: { inserted: 4, quarantined: 2 } } });
      expect(report.quarantined).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            reason: 'duplicate_id',
            source_path: 'walks/0b0b0b0b-0000-4000-8000-00000000000a',
          }),
          expect.objectContaining({
            reason: 'database_rejected',
            source_path: 'walks/0C0C0C0C-0000-4000-8000-000000000001',
            detail: expect.stringContaining('test_no_forbidden_titles'),
          }),
        ]),
      );
      const { rows } = await pool.query(
        `SELECT thumbnail_image_url FROM walks WHERE user_id = 'uid-gus' AND thumbnail_image_url IS NOT NULL ORDER BY 1`,
      );
      expect(rows.map((r) => r.thumbnail_image_url)).toEqual([
        'https://images.example/t.jpg',
        'https://images.example/u.jpg',
      ]);
      expect((await cli('--verify', '--user', 'uid-gus')).report).toMatchObject({ ok: true, quarantined: 2 });
    } finally {
      await pool.query('ALTER TABLE walks DROP CONSTRAINT test_no_forbidden_titles');
    }
  });
});
