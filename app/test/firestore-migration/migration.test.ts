/**
 * The Firestore → PostgreSQL migration against the real Firestore emulator and
 * the real PostgreSQL: dry run, run, verify, re-run, edits, conflicts, a crash
 * resumed from its checkpoint, and the wave scopes (one user, a cohort, --since).
 * One emulator for the file (its start-up is the main cost); the tests run in order.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Timestamp, type Firestore } from 'firebase-admin/firestore';
import type { Pool } from 'pg';
import { inBackendCohort } from '../../src/appconfig/rollout';
import { main } from '../../src/firestore-migration/cli';
import { importAuthUsers, startMigrationEnv, type MigrationEnv } from './migration-env';
import { location, MALFORMED, seedFixtures, USERS, WALK_IDS } from './seed';

// Generous: the emulator and a 5,000-location walk are slow on a loaded 2-core CI machine.
jest.setTimeout(120_000);

let migration: MigrationEnv;
let firestore: Firestore;
let pool: Pool;

const VALID_WALKS = Object.keys(WALK_IDS).length;
const MALFORMED_WALKS = Object.keys(MALFORMED).length;
const ALL_TABLES =
  'firestore_migration_checkpoints, firestore_migration_quarantine, firestore_migration_ledger, firestore_migration_seen, consents, walks, users';
const ACCOUNTS_CREATED = new Date('2025-04-01T09:30:00Z');

const env = () => migration.env();
const cli = (...argv: string[]) => migration.cli(...argv);

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`, params);
  return Number(rows[0]!.n);
}

/** Row versions of everything the migration writes: equal snapshots mean nothing was written. */
async function writeSnapshot(): Promise<string> {
  const { rows } = await pool.query(
    `SELECT (SELECT string_agg(id::text || ':' || xmin::text, ',' ORDER BY id) FROM walks) AS walks,
            (SELECT string_agg(walk_id::text || sequence_number || ':' || xmin::text, ',' ORDER BY walk_id, sequence_number)
               FROM walk_locations) AS locations,
            (SELECT string_agg(consent_id || ':' || xmin::text, ',' ORDER BY consent_id) FROM consents) AS consents,
            (SELECT string_agg(id || ':' || xmin::text, ',' ORDER BY id) FROM users) AS users,
            (SELECT string_agg(source_path || ':' || xmin::text, ',' ORDER BY source_path) FROM firestore_migration_ledger) AS ledger`,
  );
  return JSON.stringify(rows[0]);
}

beforeAll(async () => {
  migration = await startMigrationEnv();
  ({ firestore, pool } = migration);
  await importAuthUsers(migration.auth, Object.values(USERS), ACCOUNTS_CREATED);
  await seedFixtures(firestore);
});

afterAll(async () => {
  await migration?.close();
});

describe('a full migration', () => {
  it('dry run reports what a run would do and writes nothing', async () => {
    const { code, report } = await cli('--dry-run');
    expect(code).toBe(0);
    expect(report).toMatchObject({
      mode: 'dry-run',
      completed: true,
      counts: {
        documents_read: { walks: VALID_WALKS + MALFORMED_WALKS, consents: 4 },
        walks: { inserted: VALID_WALKS, quarantined: MALFORMED_WALKS, updated: 0, unchanged: 0 },
        consents: { inserted: 3, quarantined: 1 },
        rows_written: { users: 0, walks: 0, walk_locations: 0, consents: 0 },
      },
    });
    expect(await count('walks')).toBe(0);
    expect(await count('users')).toBe(0);
    expect(await count('firestore_migration_checkpoints')).toBe(0);
    expect(await count('firestore_migration_quarantine')).toBe(0);
  });

  it('migrates every valid walk and consent and quarantines the rest with a reason', async () => {
    const { code, report } = await cli();
    expect(code).toBe(0);
    expect(report).toMatchObject({
      mode: 'run',
      completed: true,
      resumed_from_checkpoint: false,
      counts: {
        walks: { inserted: VALID_WALKS, quarantined: MALFORMED_WALKS },
        consents: { inserted: 3, quarantined: 1 },
        rows_written: { users: 3, walks: VALID_WALKS, walk_locations: 3 + 1 + 3 + 5000 + 3, consents: 3 },
      },
    });
    const quarantined = report.quarantined as { source_path: string; reason: string }[];
    const expected = Object.values(MALFORMED).map(({ id, reason }) => ({
      source_path: `walks/${id}`,
      reason,
    }));
    expected.push({ source_path: `users/${USERS.carol}/consents/consent-c1`, reason: 'wrong_casing' });
    expect(
      quarantined.map(({ source_path, reason }) => ({ source_path, reason })).sort(bySourcePath),
    ).toEqual(expected.sort(bySourcePath));
    expect(await count('firestore_migration_quarantine')).toBe(MALFORMED_WALKS + 1);
  });

  it('stores snake_case walk fields, camelCase location fields and Timestamps exactly', async () => {
    const { rows: walks } = await pool.query('SELECT * FROM walks WHERE id = $1', [WALK_IDS.full]);
    expect(walks[0]).toMatchObject({
      id: WALK_IDS.full.toLowerCase(),
      user_id: USERS.alice,
      title: 'Morning walk',
      description: 'Along the river',
      status: 'completed',
      start_time: new Date('2026-11-01T06:00:00Z'),
      end_time: new Date('2026-11-01T06:45:00Z'),
      paused_at: null,
      total_paused_duration: 30,
      total_distance: 3120.5,
      total_steps: 4100,
      polyline_data: 'o}~xE}{jtY??',
      thumbnail_image_url: 'https://images.tekutoko.example/t/1.png',
      created_at: new Date('2026-11-01T06:00:00.123Z'),
      updated_at: new Date('2026-11-01T06:46:00.456Z'),
      version: 1,
    });
    const { rows: points } = await pool.query(
      'SELECT * FROM walk_locations WHERE walk_id = $1 ORDER BY sequence_number',
      [WALK_IDS.full],
    );
    expect(points).toHaveLength(3);
    expect(points[0]).toMatchObject({ horizontal_accuracy: 5, vertical_accuracy: 3, speed: 1.3, course: 0 });
    // CoreLocation's negative "unknown" values become NULL; a negative altitude is a real altitude.
    expect(points[1]).toMatchObject({
      sequence_number: 1,
      altitude: -12.5,
      horizontal_accuracy: null,
      vertical_accuracy: null,
      speed: null,
      course: null,
      timestamp: location(1).timestamp.toDate(),
    });

    const { rows: minimal } = await pool.query('SELECT * FROM walks WHERE id = $1', [WALK_IDS.minimal]);
    expect(minimal[0]).toMatchObject({
      status: 'not_started',
      description: '',
      start_time: null,
      end_time: null,
      total_distance: 0,
      total_steps: 0,
      polyline_data: null,
    });
    expect(await count('walk_locations WHERE walk_id = $1', [WALK_IDS.minimal])).toBe(0);

    const { rows: large } = await pool.query(
      `SELECT count(*)::int AS n, min(sequence_number) AS first, max(sequence_number) AS last,
              bool_and(abs(latitude - (35.68 + sequence_number * 0.00001)) < 1e-9) AS ordered
       FROM walk_locations WHERE walk_id = $1`,
      [WALK_IDS.large],
    );
    expect(large[0]).toEqual({ n: 5000, first: 0, last: 4999, ordered: true });

    const { rows: consents } = await pool.query('SELECT * FROM consents ORDER BY user_id, consent_id');
    expect(consents.map((c) => [c.user_id, c.consent_id, c.consent_type])).toEqual([
      [USERS.alice, 'consent-a1', 'initial'],
      [USERS.alice, 'consent-a2', 'update'],
      [USERS.bob, 'consent-b1', 'initial'],
    ]);
    expect(consents[1]).toMatchObject({
      policy_version: '2026-06',
      consented_at: new Date('2026-06-01T09:00:00Z'),
      device_platform: 'iOS',
      device_os_version: '18.5',
      device_app_version: '1.6.2',
    });
    expect(consents[2]).toMatchObject({
      device_platform: null,
      device_os_version: null,
      device_app_version: null,
    });
  });

  it("copies each owner's sign-in provider and account creation time from Firebase Auth", async () => {
    const { rows } = await pool.query('SELECT id, auth_provider, created_at FROM users ORDER BY id');
    expect(rows).toEqual(
      [USERS.alice, USERS.bob, USERS.carol].map((id) => ({
        id,
        auth_provider: 'google.com',
        created_at: ACCOUNTS_CREATED,
      })),
    );
  });

  it('verify finds both sides equal', async () => {
    const { code, report } = await cli('--verify');
    expect(report).toMatchObject({
      ok: true,
      users_compared: 3,
      walks_compared: VALID_WALKS,
      consents_compared: 3,
      counts_compared: true,
      quarantined: MALFORMED_WALKS + 1,
      difference_count: 0,
    });
    expect(code).toBe(0);
  });

  it('a re-run changes nothing', async () => {
    const before = await writeSnapshot();
    const { code, report } = await cli();
    expect(code).toBe(0);
    expect(report).toMatchObject({
      counts: {
        walks: { inserted: 0, updated: 0, unchanged: VALID_WALKS, quarantined: MALFORMED_WALKS },
        consents: { inserted: 0, updated: 0, unchanged: 3 },
        rows_written: { users: 0, walks: 0, walk_locations: 0, consents: 0 },
      },
    });
    expect(await writeSnapshot()).toBe(before);
  });

  it('verify reports a walk whose stored locations differ, and exits non-zero', async () => {
    await pool.query('UPDATE walk_locations SET speed = 9 WHERE walk_id = $1 AND sequence_number = 4321', [
      WALK_IDS.large,
    ]);
    await pool.query('DELETE FROM consents WHERE consent_id = $1', ['consent-b1']);
    const { code, report } = await cli('--verify');
    expect(code).toBe(1);
    expect(report).toMatchObject({ ok: false, difference_count: 3 });
    expect(report.differences).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'walk_content_differs', source_path: `walks/${WALK_IDS.large}` }),
        expect.objectContaining({ kind: 'consent_missing_in_postgres', user_id: USERS.bob }),
        expect.objectContaining({
          kind: 'consent_count_differs',
          user_id: USERS.bob,
          firestore: 1,
          postgres: 0,
        }),
      ]),
    );
    await pool.query('UPDATE walk_locations SET speed = 1.3 WHERE walk_id = $1 AND sequence_number = 4321', [
      WALK_IDS.large,
    ]);
    expect((await cli()).report).toMatchObject({ counts: { consents: { inserted: 1, unchanged: 2 } } });
    expect((await cli('--verify')).code).toBe(0);
  });
});

describe('changes after the first run', () => {
  it('takes a walk edited in Firestore since the last run, locations included', async () => {
    await firestore
      .collection('walks')
      .doc(WALK_IDS.full)
      .update({
        title: 'Morning walk (edited)',
        location_data: [location(0), location(1), location(2), location(3)],
        updated_at: Timestamp.fromDate(new Date('2026-11-05T10:00:00Z')),
      });
    await firestore.collection('users').doc(USERS.alice).collection('consents').doc('consent-a1').update({
      'deviceInfo.appVersion': '1.4.1',
    });
    const { report } = await cli();
    expect(report).toMatchObject({
      counts: {
        walks: { updated: 1, unchanged: VALID_WALKS - 1, inserted: 0 },
        consents: { updated: 1, unchanged: 2 },
        rows_written: { walks: 1, walk_locations: 4, consents: 1 },
      },
    });
    const { rows } = await pool.query('SELECT title, version, updated_at FROM walks WHERE id = $1', [
      WALK_IDS.full,
    ]);
    expect(rows[0]).toEqual({
      title: 'Morning walk (edited)',
      version: 2,
      updated_at: new Date('2026-11-05T10:00:00Z'),
    });
    expect(await count('walk_locations WHERE walk_id = $1', [WALK_IDS.full])).toBe(4);
    expect((await cli('--verify')).code).toBe(0);
  });

  it('takes a corrected document out of the quarantine', async () => {
    await firestore.collection('walks').doc(MALFORMED.unknownStatus!.id).update({ status: 'completed' });
    const { report } = await cli();
    expect(report).toMatchObject({ counts: { walks: { inserted: 1, quarantined: MALFORMED_WALKS - 1 } } });
    expect(
      await count('firestore_migration_quarantine WHERE source_path = $1', [
        `walks/${MALFORMED.unknownStatus!.id}`,
      ]),
    ).toBe(0);
  });

  it('decides a conflict by server times (Firestore updateTime vs the service write), never by the device clock', async () => {
    const doc = firestore.collection('walks').doc(WALK_IDS.paused);
    // An old app version on another device writes Firestore; its clock runs a year ahead ...
    await doc.update({
      title: 'Old app edit',
      updated_at: Timestamp.fromDate(new Date('2027-11-05T12:00:00Z')),
    });
    // ... and after that the user's new app saves the walk through the API (version 1 → 2, service clock).
    await pool.query(
      `UPDATE walks SET title = 'Renamed in the new app', version = version + 1,
         updated_at = clock_timestamp() WHERE id = $1`,
      [WALK_IDS.paused],
    );
    expect((await cli()).report).toMatchObject({
      counts: { walks: { conflict_kept_service: 1, updated: 0 } },
    });
    const title = async () =>
      (await pool.query('SELECT title FROM walks WHERE id = $1', [WALK_IDS.paused])).rows[0].title;
    expect(await title()).toBe('Renamed in the new app');
    // Decided once: the next run reads only the quarantined documents again, not this one.
    expect((await cli()).report).toMatchObject({
      counts: { documents_read: { walk_bodies: MALFORMED_WALKS - 1 }, walks: { conflict_kept_service: 0 } },
    });

    // The old app writes again, later by Firestore's clock, with a device time in the past: Firestore wins.
    await doc.update({
      title: 'Old app edit, later',
      updated_at: Timestamp.fromDate(new Date('2020-01-01T00:00:00Z')),
    });
    expect((await cli()).report).toMatchObject({
      counts: { walks: { updated: 1, conflict_kept_service: 0 } },
    });
    expect(await title()).toBe('Old app edit, later');
  });

  it('never brings back a walk the service deleted, even when an old app edits it afterwards', async () => {
    await pool.query('DELETE FROM walks WHERE id = $1', [WALK_IDS.carol]);
    expect((await cli()).report).toMatchObject({ counts: { walks: { deleted_in_service: 0, inserted: 0 } } });
    await firestore.collection('walks').doc(WALK_IDS.carol).update({ title: 'Edited on an old phone' });
    expect((await cli()).report).toMatchObject({ counts: { walks: { deleted_in_service: 1, inserted: 0 } } });
    expect(await count('walks WHERE id = $1', [WALK_IDS.carol])).toBe(0);
    const { code, report } = await cli('--verify', '--user', USERS.carol);
    expect(code).toBe(1);
    expect(report.differences).toEqual([
      expect.objectContaining({ kind: 'walk_missing_in_postgres', source_path: `walks/${WALK_IDS.carol}` }),
      expect.objectContaining({ kind: 'walk_count_differs', firestore: 1, postgres: 0 }),
    ]);
  });
});

describe('runs that stop and runs of part of the data', () => {
  beforeEach(async () => {
    await pool.query(`TRUNCATE ${ALL_TABLES} CASCADE`);
  });

  it('resumes a crashed run from its checkpoint', async () => {
    // Hold carol's user row in an open transaction: the run blocks on the page
    // that holds her walk, after committing every page before it, and is killed there.
    const blocker = await pool.connect();
    await blocker.query('BEGIN');
    await blocker.query(`INSERT INTO users (id) VALUES ($1)`, [USERS.carol]);
    const child = spawn(
      path.resolve('node_modules/.bin/tsx'),
      ['app/src/firestore-migration/cli.ts', '--page-size', '2'],
      { env: { ...process.env, ...env() }, detached: true, stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await waitFor(async () => {
        const { rows } = await pool.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`,
          [(await blocker.query('SELECT pg_backend_pid() AS pid')).rows[0].pid],
        );
        return rows[0].n > 0;
      });
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    // The killed run's connection ends once its lock wait does; its advisory lock goes with it.
    await waitFor(
      async () =>
        (await count(
          `pg_stat_activity WHERE datname = current_database() AND application_name = 'walk-service'`,
        )) === 0,
    );

    const { rows } = await pool.query(
      'SELECT phase, cursor, completed_at FROM firestore_migration_checkpoints WHERE scope_key = $1',
      ['all'],
    );
    // Pages of two in document-id order; the sixth holds carol's walk.
    expect(rows[0]).toMatchObject({ phase: 'walks', completed_at: null });
    expect(rows[0].cursor.path).toBe(`walks/${WALK_IDS.minimal}`);
    const migrated = await pool.query('SELECT id::text FROM walks ORDER BY id');
    expect(migrated.rows.map((r) => r.id)).toEqual(
      [WALK_IDS.full, WALK_IDS.explicitNulls, WALK_IDS.paused, WALK_IDS.minimal, MALFORMED.unknownStatus!.id]
        .map((id) => id.toLowerCase())
        .sort(),
    );

    const { code, report } = await cli('--page-size', '2');
    expect(code).toBe(0);
    expect(report).toMatchObject({
      resumed_from_checkpoint: true,
      completed: true,
      counts: { walks: { inserted: VALID_WALKS + 1 }, consents: { inserted: 3 } },
    });
    expect((await cli('--verify')).code).toBe(0);
  });

  it('stops after the page in flight when asked, and the next run resumes', async () => {
    const controller = new AbortController();
    controller.abort();
    const stopped = await main(
      ['--page-size', '3'],
      env(),
      { stdout: () => {}, stderr: () => {} },
      controller.signal,
    );
    expect(stopped).toBe(3);
    expect(await count('walks')).toBeGreaterThan(0);
    expect(await count('walks')).toBeLessThan(VALID_WALKS + 1);
    const { report } = await cli('--page-size', '3');
    expect(report).toMatchObject({
      resumed_from_checkpoint: true,
      counts: { walks: { inserted: VALID_WALKS + 1 } },
    });
  });

  it('migrates a single user for a wave', async () => {
    const { code, report } = await cli('--user', USERS.bob);
    expect(code).toBe(0);
    expect(report).toMatchObject({
      scope_key: `user:${USERS.bob}`,
      counts: {
        documents_read: { walks: 5, consents: 1 },
        walks: { inserted: 3, quarantined: 2 },
        consents: { inserted: 1 },
      },
    });
    const owners = await pool.query('SELECT DISTINCT user_id FROM walks');
    expect(owners.rows).toEqual([{ user_id: USERS.bob }]);
    expect((report.quarantined as { user_id: string }[]).every((q) => q.user_id === USERS.bob)).toBe(true);
    expect((await cli('--verify', '--user', USERS.bob)).code).toBe(0);
    const alice = await cli('--verify', '--user', USERS.alice);
    expect(alice.code).toBe(1);
    expect(alice.report).toMatchObject({ walks_compared: 3 });
  });

  it('migrates only the users of a rollout cohort', async () => {
    const percent = 60;
    const inCohort = Object.values(USERS).filter((uid) => inBackendCohort(uid, percent));
    expect(inCohort).toEqual([USERS.alice, USERS.carol]);
    const { report } = await cli('--cohort', String(percent));
    expect(report).toMatchObject({ scope_key: `all|cohort:0..${percent}` });
    const owners = await pool.query<{ user_id: string }>(
      'SELECT DISTINCT user_id FROM walks ORDER BY user_id',
    );
    expect(owners.rows.map((r) => r.user_id)).toEqual([...inCohort].sort());
    expect((await cli('--verify', '--cohort', String(percent))).code).toBe(0);
    // The users a wave from 30 % to 60 % adds: carol (bucket 5414), not alice (2015).
    const wave = await cli('--verify', '--cohort', `30..${percent}`);
    expect(wave.report).toMatchObject({ ok: true, users_compared: 1, scope: { cohort: `30..${percent}` } });
  });

  it('--since selects by Firestore updateTime: a late write with an old updated_at is taken', async () => {
    const since = new Date(Date.now() - 1000); // the emulator and this process share a clock
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // The app's offline_walks retry re-sends the walk with the updated_at of months ago.
    await firestore
      .collection('walks')
      .doc(WALK_IDS.minimal)
      .update({ title: 'Synced late', updated_at: Timestamp.fromDate(new Date('2026-01-01T00:00:00Z')) });
    const { report } = await cli('--since', since.toISOString());
    expect(report).toMatchObject({ counts: { walks: { inserted: 1 } } });
    const { rows } = await pool.query('SELECT id::text, title FROM walks ORDER BY id');
    expect(rows).toEqual([{ id: WALK_IDS.minimal.toLowerCase(), title: 'Synced late' }]);
  });

  it('refuses bad arguments with exit code 2', async () => {
    expect((await cli('--since', 'yesterday')).code).toBe(2);
    expect((await cli('--page-size', '0')).code).toBe(2);
    expect((await cli('--dry-run', '--verify')).code).toBe(2);
    expect((await cli('--cohort', '101')).code).toBe(2);
    expect((await cli('--cohort', '50..10')).code).toBe(2);
    expect((await cli('--what')).code).toBe(2);
  });
});

const bySourcePath = (a: { source_path: string }, b: { source_path: string }) =>
  a.source_path.localeCompare(b.source_path);

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not met in time');
}
