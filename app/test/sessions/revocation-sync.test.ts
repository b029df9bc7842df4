/**
 * The revoked-session list of a replica: readiness waits for its first load,
 * and it keeps re-reading the database on its own (no test calls sync()).
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { RevokedSessions } from '../../src/sessions';
import { createLogger } from '../../src/observability/logger';
import { systemClock } from '../../src/lifecycle';
import { createTestDatabase, startTestApp, type TestDatabase } from '../harness';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A family revoked now, as another replica's logout writes it. */
async function revokeElsewhere(): Promise<string> {
  const userId = `user-${randomUUID()}`;
  const familyId = randomUUID();
  await db.pool.query('INSERT INTO users (id) VALUES ($1)', [userId]);
  await db.pool.query(
    `INSERT INTO session_families (id, user_id, created_at, last_refreshed_at, expires_at, revoked_at, revoked_reason)
     VALUES ($1, $2, now(), now(), now() + interval '1 day', now(), 'logout')`,
    [familyId, userId],
  );
  return familyId;
}

describe('readiness and the revoked-session list', () => {
  it('answers 503 revocation_list_pending until the first load succeeds, then ready', async () => {
    // Another transaction holds session_families: the replica's first load waits behind it.
    const blocker = await db.pool.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE session_families IN ACCESS EXCLUSIVE MODE');
    const app = await startTestApp({ db });
    try {
      expect(app.deps.sessions?.revokedSessions.loaded).toBe(false);
      const pending = await fetch(`${app.url}/readyz`);
      expect(pending.status).toBe(503);
      expect(await pending.json()).toEqual({ status: 'not_ready', reason: 'revocation_list_pending' });
      await blocker.query('COMMIT');
      await eventually(async () => (await fetch(`${app.url}/readyz`)).status === 200, 5000);
      expect(app.deps.sessions?.revokedSessions.loaded).toBe(true);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      blocker.release();
      await app.close();
    }
  });
});

describe('the periodic sync', () => {
  it('picks up revocations made elsewhere at every interval, survives failed rounds, stops on stop()', async () => {
    // statement_timeout 200 ms: a round stuck behind a lock fails instead of waiting
    const pool = new Pool({ connectionString: db.url, max: 2, statement_timeout: 200 });
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: { write: (line: string) => void lines.push(line) },
    });
    const list = new RevokedSessions({ pool, clock: systemClock, logger, syncIntervalMs: 100 });
    try {
      list.start();
      await eventually(() => list.loaded, 5000);
      const first = await revokeElsewhere();
      await eventually(() => list.isRevoked(first), 3000);

      const blocker = await db.pool.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE session_families IN ACCESS EXCLUSIVE MODE');
      await eventually(
        () => lines.some((line) => line.includes('could not refresh the revoked-session list')),
        3000,
      );
      expect(list.isRevoked(first)).toBe(true); // the last list stays in force
      await blocker.query('COMMIT');
      blocker.release();
      const second = await revokeElsewhere();
      await eventually(() => list.isRevoked(second), 3000);

      list.stop();
      const third = await revokeElsewhere();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(list.isRevoked(third)).toBe(false);
    } finally {
      list.stop();
      await pool.end();
    }
  });
});
