/**
 * Starts the Google Cloud CLI's Firestore emulator for one test file.
 *
 * Start-up takes about 2.5 s on the CI machine (gcloud's Python wrapper plus the
 * JVM); readiness is the emulator answering `GET /` with "Ok". It runs in its own
 * process group so stop() ends gcloud, its shell wrapper and the JVM together.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../dev/ports';

export const EMULATOR_PROJECT_ID = 'demo-tekutoko';

export interface FirestoreEmulator {
  /** host:port, the value for FIRESTORE_EMULATOR_HOST. */
  readonly host: string;
  /** Deletes every document of the project. */
  clear(): Promise<void>;
  stop(): Promise<void>;
}

async function waitUntilReady(host: string, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`Firestore emulator exited with ${child.exitCode}:\n${output()}`);
    }
    try {
      const response = await fetch(`http://${host}/`);
      if (response.ok && (await response.text()).trim() === 'Ok') return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Firestore emulator not ready after ${timeoutMs} ms:\n${output()}`);
}

export async function startFirestoreEmulator(timeoutMs = 60_000): Promise<FirestoreEmulator> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const child = spawn('gcloud', ['emulators', 'firestore', 'start', `--host-port=${host}`, '--quiet'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const groupAlive = () => {
    try {
      process.kill(-child.pid!, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  // Ends gcloud, its shell wrapper and the JVM: waits until the whole process group is gone.
  const stop = async () => {
    if (!child.pid) return;
    signalGroup('SIGTERM');
    const deadline = Date.now() + 10_000;
    // A zombie left unreaped by a container's init still counts as alive: give up after a while.
    while (groupAlive() && Date.now() < deadline + 5000) {
      if (Date.now() > deadline) signalGroup('SIGKILL');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000))]);
  };

  try {
    await waitUntilReady(host, child, () => log, timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host,
    stop,
    async clear() {
      const url = `http://${host}/emulator/v1/projects/${EMULATOR_PROJECT_ID}/databases/(default)/documents`;
      const response = await fetch(url, { method: 'DELETE' });
      if (!response.ok) throw new Error(`clearing the Firestore emulator failed: ${response.status}`);
    },
  };
}
