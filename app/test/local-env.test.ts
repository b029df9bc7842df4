/**
 * `npm start` as a developer runs it: a process group (the terminal's), sent
 * SIGTERM or SIGINT (Ctrl-C) with a request in flight. The service drains
 * first (the request is answered, with its database), then PostgreSQL and the
 * Auth emulator stop, and nothing is left: every port is free and no process
 * holds the data directory, also after a failed start.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { emulatorIdToken } from '../dev/auth-emulator';
import { waitFor } from '../dev/ports';
import { expectNothingLeft, startLocalEnv } from './harness/local-env';

jest.setTimeout(240_000);
// Whole process groups under real signals: on a loaded 2-core machine a start can miss its
// timing once; a retry keeps the assertions strict without making CI flaky.
jest.retryTimes(1, { logErrorsBeforeRetry: true });

/** Sends a PUT whose body is still arriving; resolves with the status once it is answered. */
function slowPut(port: number, authorization: string, id: string) {
  const body = JSON.stringify({
    title: 'in flight',
    description: '',
    status: 'completed',
    start_time: '2026-11-22T06:00:00Z',
    end_time: '2026-11-22T06:45:00Z',
    paused_at: null,
    total_paused_duration: 0,
    total_distance: 3120.5,
    total_steps: 4100,
    polyline_data: null,
    thumbnail_image_url: null,
    locations: [],
  });
  const half = Math.floor(body.length / 2);
  let finish!: () => void;
  const answered = new Promise<number>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: `/v1/walks/${id}`,
        headers: {
          authorization,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
    req.write(body.slice(0, half));
    finish = () => req.end(body.slice(half));
  });
  return { answered, finish: () => finish() };
}

describe('npm start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s to its process group: answers the request in flight, then stops PostgreSQL and the emulator; nothing is left',
    async (signal) => {
      const env = await startLocalEnv();
      try {
        const api = `http://127.0.0.1:${env.ports.api}`;
        const exitedEarly = env.exited.then((code) =>
          Promise.reject(new Error(`npm start exited with ${code}`)),
        );
        const ready = waitFor('npm start', async () => (await fetch(`${api}/readyz`)).ok, 180_000);
        await Promise.race([ready, exitedEarly]).catch((error) => {
          throw new Error(`${(error as Error).message}\n${env.output()}`);
        });
        const { idToken } = await emulatorIdToken(
          `127.0.0.1:${env.ports.emulator}`,
          'dev@example.com',
          'dev-password',
        );
        // the storage stand-in serves the walk images bucket (its port is checked free at the end too)
        const listed = await fetch(`http://127.0.0.1:${env.ports.storage}/storage/v1/b/local-walk-images/o`);
        expect(listed.status).toBe(200);
        const put = slowPut(env.ports.api, `Bearer ${idToken}`, '0b6f1c3e-5d1a-4c9e-9b7a-2f4e8d6c1a01');
        await new Promise((resolve) => setTimeout(resolve, 300)); // the request is on the server
        process.kill(-env.child.pid!, signal);
        await new Promise((resolve) => setTimeout(resolve, 1500)); // PostgreSQL would be gone by now
        put.finish();
        expect(await put.answered).toBe(201);
        // npm itself may report the signal it got (128 + 15 for SIGTERM); the environment stopped cleanly
        expect([0, signal === 'SIGTERM' ? 143 : 130]).toContain(await env.exited);
        // npm may exit on the group's SIGINT before the environment (its own session) has finished
        // stopping; the environment's own last line says when it has.
        await waitFor('the environment to stop', async () => /\nstopped\n/.test(env.output()), 120_000);
        expect(env.output()).toMatch(
          /stopping walk-service, then PostgreSQL and the Auth emulator…\n[\s\S]*shutdown complete[\s\S]*\nstopped\n/,
        );
        await expectNothingLeft(env);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- npm start output ---\n${env.output()}`);
      } finally {
        await env.cleanUp();
      }
    },
  );

  it('leaves nothing running when the start fails (initdb refuses the data directory)', async () => {
    const env = await startLocalEnv({
      prepare: (dir) => {
        // not a cluster and not empty: initdb refuses it
        mkdirSync(path.join(dir, 'postgres'));
        writeFileSync(path.join(dir, 'postgres', 'stray-file'), 'x');
      },
    });
    try {
      expect(await env.exited).toBe(1);
      expect(env.output()).toMatch(/npm start: /);
      await expectNothingLeft(env);
    } finally {
      await env.cleanUp();
    }
  });
});
