/**
 * `npm start` / `npm run dev` as a developer runs them: a real process group
 * (as a terminal gives it) on free ports, with its data in a temporary folder,
 * and the checks that nothing of it is left afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, portIsFree } from '../../dev/ports';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

export interface LocalEnv {
  readonly child: ChildProcess;
  readonly dataDir: string;
  readonly ports: { api: number; metrics: number; pg: number; emulator: number; storage: number };
  output(): string;
  readonly exited: Promise<number | null>;
  /** Polls `check` until it holds; fails at once when npm exits first. */
  until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void>;
  /** SIGKILLs whatever is left of the group and removes the data folder. */
  cleanUp(): Promise<void>;
}

export interface LocalEnvOptions {
  /** The npm script. @default 'start' */
  readonly script?: 'start' | 'dev';
  /** Where npm runs (a repository checkout). @default the repository root */
  readonly cwd?: string;
  /** Called with the empty data folder before the start. */
  readonly prepare?: (dataDir: string) => void;
  /** Extra variables for the environment. */
  readonly env?: Record<string, string>;
}

export async function startLocalEnv(options: LocalEnvOptions = {}): Promise<LocalEnv> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'local-env-test-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as its own OS user when the run is root
  options.prepare?.(dataDir);
  const ports = {
    api: await freePort(),
    metrics: await freePort(),
    pg: await freePort(),
    emulator: await freePort(),
    storage: await freePort(),
  };
  // detached: its own process group, as a terminal gives `npm start`
  const child = spawn('npm', ['run', options.script ?? 'start', '--silent'], {
    cwd: options.cwd ?? REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      FIREBASE_AUTH_EMULATOR_HOST: '', // the harness's emulator is not this environment's
      LOCAL_DATA_DIR: dataDir,
      PORT: String(ports.api),
      METRICS_PORT: String(ports.metrics),
      LOCAL_PG_PORT: String(ports.pg),
      LOCAL_AUTH_EMULATOR_PORT: String(ports.emulator),
      LOCAL_STORAGE_PORT: String(ports.storage),
      ...options.env,
    },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve((exitCode = code))),
  );
  return {
    child,
    dataDir,
    ports,
    output: () => output,
    exited,
    async until(what, check, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!(await check().catch(() => false))) {
        if (exitCode !== undefined) throw new Error(`npm exited with ${exitCode} before ${what}`);
        if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async cleanUp() {
      // npm's group, then the environment's own session (the worker, PostgreSQL, the emulator), which
      // would otherwise go on writing into the folder (an emulator export, a checkpoint) after it is removed
      const ours = () => processesWithEnv(`LOCAL_DATA_DIR=${dataDir}`);
      for (const pid of [-child.pid!, ...ours()]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      const deadline = Date.now() + 30_000;
      while (ours().length > 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
      rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
    },
  };
}

/** Processes (not zombies) whose environment holds `entry` (NAME=value). */
function processesWithEnv(entry: string): number[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .flatMap((pid) => {
      try {
        if (/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return [];
        return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(entry) ? [Number(pid)] : [];
      } catch {
        return [];
      }
    });
}

/** Processes whose command line names `needle` (e.g. PostgreSQL's -D data directory). */
export function processesMentioning(needle: string): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        return cmdline.includes(needle) ? [`${pid}: ${cmdline}`] : [];
      } catch {
        return [];
      }
    });
}

/** Every port free, no process naming the data folder, the process group gone. */
export async function expectNothingLeft(env: LocalEnv): Promise<void> {
  for (const [name, port] of Object.entries(env.ports)) {
    expect([name, await portIsFree(port)]).toEqual([name, true]);
  }
  expect(processesMentioning(env.dataDir)).toEqual([]);
  let groupAlive = true;
  try {
    process.kill(-env.child.pid!, 0);
  } catch {
    groupAlive = false;
  }
  expect(groupAlive).toBe(false);
}
