/**
 * Starts the Google Cloud CLI's Firestore emulator for one test file.
 *
 * Start-up takes about 2.5 s on the CI machine (gcloud's Python wrapper plus the
 * JVM); readiness is the emulator answering `GET /` with "Ok". It runs in its own
 * process group so stop() ends gcloud, its shell wrapper and the JVM together.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const EMULATOR_PROJECT_ID = 'demo-tekutoko';

export interface FirestoreEmulator {
  /** host:port, the value for FIRESTORE_EMULATOR_HOST. */
  readonly host: string;
  /** Deletes every document of the project. */
  clear(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
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

  const stop = async () => {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
    }
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
