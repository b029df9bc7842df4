/**
 * `npm run dev` as a developer uses it: the local environment starts, a source
 * file under app/src is edited, walk-service restarts (a new process) and
 * answers with the edit; Ctrl-C stops everything and nothing is left. The edit
 * happens in a temporary copy of the checkout (app/, package.json,
 * tsconfig.json, node_modules linked), never in the repository itself.
 */
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { waitFor } from '../dev/ports';
import { expectNothingLeft, processesMentioning, REPO_ROOT, startLocalEnv } from './harness/local-env';

jest.setTimeout(300_000);
// A whole process group under real signals on a loaded 2-core machine (as local-env.test.ts).
jest.retryTimes(1, { logErrorsBeforeRetry: true });

/** Compile caches in TMPDIR that tsx and Node keep for every later run (not per-run leftovers). */
const CACHES = ['tsx-0', 'node-compile-cache'];

/** What `npm run dev` needs of a checkout, copied; dependencies linked. */
function temporaryCheckout(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'npm-run-dev-test-'));
  for (const entry of ['package.json', 'tsconfig.json', 'app/src', 'app/dev', 'app/migrations']) {
    cpSync(path.join(REPO_ROOT, entry), path.join(root, entry), { recursive: true });
  }
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return root;
}

/**
 * A shell in another terminal: none of the variables the environment was started
 * with. Asynchronous: the environment's output comes through this process's pipes.
 */
function otherTerminal(
  command: string,
  cwd: string,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(PORT|METRICS_PORT|LOCAL_\w+|FIREBASE_\w+)$/.test(name),
    ),
  );
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', command],
      { cwd, env, encoding: 'utf8', timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

/** The line of the start banner that runs `command`, up to the command (the rest is its description). */
function printed(output: string, command: string): string {
  const line = output.split('\n').find((l) => l.includes(command));
  if (!line) throw new Error(`the banner prints no ${command}`);
  return line.slice(0, line.indexOf(command) + command.length).trim();
}

/** The service process's start time, from its own metrics (prom-client's default process metrics). */
async function serviceStartTime(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const match = /^process_start_time_seconds (\d+)/m.exec(text);
  if (!match) throw new Error('no process_start_time_seconds in /metrics');
  return Number(match[1]);
}

describe('npm run dev', () => {
  it('restarts walk-service when a file under app/src changes and serves the change; the commands it prints work from another terminal; nothing is left after Ctrl-C', async () => {
    const checkout = temporaryCheckout();
    // the environment's own temporary files land here, so the test can see that none are left
    const tempDir = path.join(checkout, 'tmp');
    mkdirSync(tempDir);
    chmodSync(checkout, 0o755); // PostgreSQL runs as its own OS user when the run is root
    chmodSync(tempDir, 0o1777); // and reads its password file from TMPDIR
    const env = await startLocalEnv({ script: 'dev', cwd: checkout, env: { TMPDIR: tempDir } });
    const api = `http://127.0.0.1:${env.ports.api}`;
    try {
      await env.until('the environment to run', async () => /is running/.test(env.output()), 180_000);
      expect(await (await fetch(`${api}/healthz`)).json()).toEqual({ status: 'ok' });
      // the commands the banner prints work as printed from another terminal (non-default ports here)
      const seed = await otherTerminal(printed(env.output(), 'npm run seed'), checkout);
      expect(seed).toEqual({
        stdout: expect.any(String),
        status: 0,
        stderr: expect.stringMatching(/created/),
      });
      const token = printed(env.output(), '--email you@example.com)');
      expect(token).toMatch(/^TOKEN=\$\(/);
      const call = await otherTerminal(
        `${token} && ${printed(env.output(), '/v1/walks')} -s --fail-with-body`,
        checkout,
      );
      expect(call).toEqual({ status: 0, stdout: '{"walks":[],"next_cursor":null}', stderr: '' });
      const firstStart = await serviceStartTime(env.ports.metrics);

      // process_start_time_seconds has whole-second resolution: a restart must land in a later second
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const routes = path.join(checkout, 'app/src/health/routes.ts');
      const source = readFileSync(routes, 'utf8');
      expect(source).toContain("res.json({ status: 'ok' });");
      writeFileSync(routes, source.replace("res.json({ status: 'ok' });", "res.json({ status: 'edited' });"));

      await env.until(
        'walk-service serving the edit',
        async () =>
          ((await (await fetch(`${api}/healthz`)).json()) as { status: string }).status === 'edited',
        60_000,
      );
      expect(await serviceStartTime(env.ports.metrics)).toBeGreaterThan(firstStart);

      process.kill(-env.child.pid!, 'SIGINT');
      expect([0, 130]).toContain(await env.exited);
      await waitFor('the environment to stop', async () => /\nstopped\n/.test(env.output()), 120_000);
      await expectNothingLeft(env);
      expect(processesMentioning(checkout)).toEqual([]);
      // tsx's and Node's compile caches are shared by every run, by design; nothing else may stay
      expect(readdirSync(tempDir).filter((name) => !CACHES.includes(name))).toEqual([]);
      // and the printed reset empties this environment's data folder (LOCAL_DATA_DIR), not .local/
      const reset = await otherTerminal(`${printed(env.output(), 'npm run reset')} -- --yes`, checkout);
      expect({ status: reset.status, stdout: reset.stdout }).toEqual({
        status: 0,
        stdout: expect.stringContaining(`\ndeleted ${env.dataDir}/; the next npm start begins`),
      });
      expect(existsSync(env.dataDir)).toBe(false);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- npm run dev output ---\n${env.output()}`);
    } finally {
      await env.cleanUp();
      rmSync(checkout, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
    }
    expect(existsSync(checkout)).toBe(false);
    expect(existsSync(env.dataDir)).toBe(false);
  });
});
