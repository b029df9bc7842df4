/**
 * `npm run migrate:firestore -- [--dry-run] [--user <uid>] [--since <time>] [--verify]`
 *
 * Copies walks and consents from the app's Firestore into PostgreSQL (see
 * runbooks/cutover.md). firebase-admin reads the *_EMULATOR_HOST variables
 * itself, so the same command runs against the emulators or a real project.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { initializeApp } from 'firebase-admin/app';
import { getAuth } from 'firebase-admin/auth';
import { getFirestore } from 'firebase-admin/firestore';
import { getStorage } from 'firebase-admin/storage';
import { ConfigError, loadConfig, skipMetadataProbeWithEmulators } from '../config';
import { createPool } from '../db/pool';
import { createLogger } from '../observability/logger';
import { confirm, UsageError as CommandUsageError } from '../cli';
import { parseCliArgs, UsageError, USAGE } from './args';
import { describeFailure, progressReporter } from './progress';
import { runMigration, type MigrationDeps } from './run';
import { closeFirebaseApp } from './close-firebase';
import { createThumbnailMover } from './thumbnails';
import { verifyMigration } from './verify';

export const EXIT = { ok: 0, failed: 1, usage: 2, stopped: 3 } as const;
/** How long a stopped --verify waits for the page in flight before closing the clients anyway. */
const VERIFY_STOP_GRACE_MS = 5_000;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Firestore and Auth from the same side: the run looks every walk's user up in
 * Auth, so emulator walks against a real project's accounts (or the reverse)
 * can only fail, late and with a credentials error naming neither variable.
 */
function emulatorsTogether(config: { firestoreEmulatorHost?: string; firebaseAuthEmulatorHost?: string }) {
  const [firestore, auth] = [config.firestoreEmulatorHost, config.firebaseAuthEmulatorHost];
  if (firestore && !auth)
    throw new ConfigError([
      `FIREBASE_AUTH_EMULATOR_HOST: must be set with FIRESTORE_EMULATOR_HOST=${firestore} (the run looks each walk's user up in Auth: set the Auth emulator's host:port)`,
    ]);
  if (auth && !firestore)
    throw new ConfigError([
      `FIRESTORE_EMULATOR_HOST: must be set with FIREBASE_AUTH_EMULATOR_HOST=${auth} (emulator accounts with a real project's Firestore), or unset FIREBASE_AUTH_EMULATOR_HOST`,
    ]);
}

/** Runs the command; returns the exit code. `signal` stops a run after the page in flight. */
export async function main(
  argv: string[],
  /** Defaults to the process environment (read by app/src/config). */
  env?: NodeJS.ProcessEnv,
  io: CliIo = processIo,
  signal?: AbortSignal,
): Promise<number> {
  let args;
  let config;
  try {
    args = parseCliArgs(argv);
    if (args.command === 'help') {
      io.stdout(`${USAGE}\n`);
      return EXIT.ok;
    }
    config = loadConfig(env);
    emulatorsTogether(config);
    skipMetadataProbeWithEmulators(config);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n\n${USAGE}\n`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      for (const problem of error.problems) io.stderr(`config error: ${problem}\n`);
      return EXIT.usage;
    }
    throw error;
  }

  if (args.command === 'run' && !config.firestoreEmulatorHost) {
    try {
      await confirm(
        `copy walks and consents from Firestore project ${config.firebaseProjectId} into the PostgreSQL of DATABASE_URL?`,
        { yes: args.yes },
      );
    } catch (error) {
      io.stderr(`${(error as Error).message}\n`);
      return error instanceof CommandUsageError ? EXIT.usage : EXIT.failed;
    }
  }
  const logger = createLogger({ level: config.logLevel, destination: process.stderr });
  const progress = progressReporter(io.stderr);
  // One client runs the batches; page writes of a 5,000-location walk need more than an API call's timeout.
  const pool = createPool({ ...config, dbPoolMax: 2, dbStatementTimeoutMs: 120_000 }, logger);
  // Application Default Credentials against a real project; none needed by the emulator.
  const app = initializeApp({ projectId: config.firebaseProjectId }, `firestore-migration-${Date.now()}`);
  const { thumbnails } = args;
  const deps: MigrationDeps = {
    firestore: getFirestore(app),
    auth: getAuth(app),
    ...(thumbnails && {
      thumbnails: createThumbnailMover({
        storage: getStorage(app),
        destinationBucket: thumbnails.bucket,
        ...(thumbnails.urlBase !== undefined && { urlBase: thumbnails.urlBase }),
      }),
    }),
    pool,
    progress,
  };
  const started = Date.now();
  try {
    if (args.command === 'verify') {
      // verify reads only: Ctrl-C ends it at once (exit 3), nothing to finish or resume
      const verifying = verifyMigration(deps, { scope: args.scope, pageSize: args.pageSize, signal });
      verifying.catch(() => undefined);
      const stopped = new Promise<'stopped'>((resolve) => {
        if (signal?.aborted) resolve('stopped');
        signal?.addEventListener('abort', () => resolve('stopped'), { once: true });
      });
      const report = await Promise.race([verifying, stopped]);
      if (report === 'stopped') {
        // the reads stop at the next page; closing the client under an in-flight call would leave its error behind
        await Promise.race([
          verifying.catch(() => undefined),
          delay(VERIFY_STOP_GRACE_MS, undefined, { ref: false }),
        ]);
        io.stderr('verify stopped before it finished: nothing was compared to the end, nothing changed\n');
        return EXIT.stopped;
      }
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      io.stderr(
        report.ok
          ? `verify: Firestore and PostgreSQL match (${report.walks_compared} walks compared)\n`
          : `verify: ${report.difference_count} differences (listed in the report on stdout)\n`,
      );
      // the report on stdout and the line on stderr say it; the log line is for LOG_LEVEL=debug
      logger.debug(
        { differences: report.difference_count, walks_compared: report.walks_compared },
        report.ok ? 'verify: Firestore and PostgreSQL match' : 'verify: differences found',
      );
      return report.ok ? EXIT.ok : EXIT.failed;
    }
    const report = await runMigration(deps, {
      scope: args.scope,
      dryRun: args.command === 'dry-run',
      pageSize: args.pageSize,
      signal,
    });
    const walksRead = report.counts.documents_read.walks;
    io.stdout(
      `${JSON.stringify(
        {
          ...report,
          ms_per_1000_walks: walksRead ? Math.round((report.duration_ms / walksRead) * 1000) : null,
        },
        null,
        2,
      )}\n`,
    );
    logger.debug({ scope: report.scope_key, walks: report.counts.walks }, `${report.mode} finished`);
    const { pages, documents } = progress.totals();
    io.stderr(
      `${report.completed ? `${report.mode} finished` : 'stopped early; run the same command again to resume'}: ` +
        `${pages} pages, ${documents} documents in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    return report.completed ? EXIT.ok : EXIT.stopped;
  } catch (error) {
    io.stderr(`migrate:firestore failed: ${describeFailure(error)}\n`);
    logger.debug({ err: error }, 'Firestore migration failed');
    return EXIT.failed;
  } finally {
    logger.flush();
    await closeFirebaseApp(app);
    await pool.end();
  }
}

if (require.main === module) {
  const controller = new AbortController();
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    process.once(name, () => {
      process.stderr.write(
        process.argv.includes('--verify')
          ? `${name}: stopping verify (read-only; exit 3)\n`
          : `${name}: stopping after the page in flight; run again to resume\n`,
      );
      controller.abort();
    });
  }
  main(process.argv.slice(2), undefined, processIo, controller.signal).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `migrate:firestore failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = EXIT.failed;
    },
  );
}
