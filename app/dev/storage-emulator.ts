/**
 * firebase-tools' Cloud Storage emulator in a child process (see
 * storage-emulator-main.ts for what it leaves out). Clients reach it through
 * FIREBASE_STORAGE_EMULATOR_HOST (firebase-admin) or STORAGE_EMULATOR_HOST
 * (@google-cloud/storage). Its own TMPDIR keeps its blobs apart from any other
 * emulator's: the storage layer keeps them under `$TMPDIR/firebase/storage`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from './ports';
import { EMULATOR_PROJECT_ID } from './auth-emulator';

export interface RunningStorageEmulator {
  /** host:port, the value of FIREBASE_STORAGE_EMULATOR_HOST. */
  readonly host: string;
  stop(): Promise<void>;
}

export async function startStorageEmulator(projectId = EMULATOR_PROJECT_ID): Promise<RunningStorageEmulator> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const workDir = mkdtempSync(path.join(tmpdir(), 'storage-emulator-'));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'storage-emulator-main.ts'), String(port), projectId],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: workDir, NO_UPDATE_NOTIFIER: '1' } },
  );
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(workDir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'the Cloud Storage emulator',
      async () => {
        if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
        // the GCS JSON API's object list: answers once the Express app listens
        return (await fetch(`http://${host}/storage/v1/b/readiness/o`)).ok;
      },
      30_000,
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return { host, stop };
}
