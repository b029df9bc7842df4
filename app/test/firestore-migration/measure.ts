/**
 * Times the migration on seeded emulator data, end to end through the real command:
 *
 *   npx tsx app/test/firestore-migration/measure.ts [--walks 2000] [--users 50] [--locations 200]
 *
 * Starts a Firestore emulator and an embedded PostgreSQL 17 (both thrown away
 * afterwards), seeds the test fixtures plus `--walks` generated walks, applies
 * the migrations, then runs `npm run migrate:firestore` for a dry run, a run,
 * --verify and a re-run, and prints what each reported and how long it took.
 * A measurement, not a test: it gates nothing.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { deleteApp, initializeApp } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';
import { startEmbeddedPostgres } from '../../dev/embedded-postgres';
import { freePort } from '../../dev/ports';
import { migrateUp } from '../../src/db/migrate';
import { EMULATOR_PROJECT_ID, startFirestoreEmulator } from './firestore-emulator';
import { seedBulk, seedFixtures } from './seed';

const run = promisify(execFile);

async function main() {
  const { values } = parseArgs({
    options: {
      walks: { type: 'string', default: '2000' },
      users: { type: 'string', default: '50' },
      locations: { type: 'string', default: '200' },
    },
  });
  const [walks, users, locations] = [values.walks, values.users, values.locations].map(Number) as [
    number,
    number,
    number,
  ];
  const dir = mkdtempSync(path.join(tmpdir(), 'firestore-migration-measure-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as its own OS user when this runs as root
  const emulator = await startFirestoreEmulator();
  const postgres = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'pg'),
    port: await freePort(),
    persistent: false,
  }).catch(async (error: unknown) => {
    await emulator.stop();
    throw error;
  });
  const app = initializeApp({ projectId: EMULATOR_PROJECT_ID }, 'measure');
  try {
    process.env.FIRESTORE_EMULATOR_HOST = emulator.host;
    const databaseUrl = postgres.url();
    await migrateUp({ databaseUrl });
    const firestore = getFirestore(app);
    let started = Date.now();
    await seedFixtures(firestore);
    await seedBulk(firestore, walks, users, locations);
    console.log(`seeded fixtures + ${walks} walks x ${locations} locations in ${Date.now() - started} ms`);

    const env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      FIREBASE_PROJECT_ID: EMULATOR_PROJECT_ID,
      FIRESTORE_EMULATOR_HOST: emulator.host,
      METADATA_SERVER_DETECTION: 'none',
      LOG_LEVEL: 'warn',
    };
    const command = async (...args: string[]) => {
      started = Date.now();
      const result = await run('npm', ['run', '-s', 'migrate:firestore', '--', ...args], {
        env,
        maxBuffer: 64 * 1024 * 1024,
      }).catch((error: { stdout: string; code: number }) => ({ stdout: error.stdout, code: error.code }));
      const report = JSON.parse(result.stdout);
      return { report, wallMs: Date.now() - started, code: 'code' in result ? result.code : 0 };
    };
    for (const args of [['--dry-run'], [], ['--verify'], []]) {
      const { report, wallMs, code } = await command(...args);
      const label = `migrate:firestore ${args.join(' ') || '(run)'}`;
      if (report.counts) {
        const read = report.counts.documents_read.walks;
        console.log(
          `${label}: exit ${code}, ${wallMs} ms wall, ${report.duration_ms} ms in the tool, ` +
            `${Math.round((report.duration_ms / read) * 1000)} ms per 1000 walks\n` +
            `  read ${JSON.stringify(report.counts.documents_read)} walks ${JSON.stringify(report.counts.walks)}\n` +
            `  consents ${JSON.stringify(report.counts.consents)} rows_written ${JSON.stringify(report.counts.rows_written)}\n` +
            `  quarantined ${report.quarantined.length}: ${[...new Set(report.quarantined.map((q: { reason: string }) => q.reason))].join(', ')}`,
        );
      } else {
        console.log(
          `${label}: exit ${code}, ok=${report.ok}, ${wallMs} ms wall, ${report.duration_ms} ms in the tool, ` +
            `${report.walks_compared} walks / ${report.consents_compared} consents / ${report.users_compared} users compared, ` +
            `${report.difference_count} differences, ${report.quarantined} quarantined`,
        );
      }
    }
  } finally {
    await deleteApp(app);
    await Promise.allSettled([emulator.stop(), postgres.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
