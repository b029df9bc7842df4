/**
 * The local environment's Auth emulator leaves nothing in the system temp
 * directory: after Ctrl-C `npm start` may exit before the emulator has
 * finished its export, so its working folder lives beside the data instead.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../dev/ports';
import { startAuthEmulator } from '../dev/auth-emulator';

it('keeps its working folder beside the data dir, never in the temp dir, and removes it on stop', async () => {
  const outer = process.env.TMPDIR;
  const tmp = mkdtempSync(path.join(tmpdir(), 'emulator-tmp-'));
  const local = mkdtempSync(path.join(tmpdir(), 'emulator-local-'));
  const dataDir = path.join(local, 'auth-emulator');
  process.env.TMPDIR = tmp; // os.tmpdir() as the emulator module sees it
  try {
    const emulator = await startAuthEmulator({
      port: await freePort(),
      hubPort: await freePort(),
      loggingPort: await freePort(),
      dataDir,
    });
    try {
      expect(readdirSync(tmp)).toEqual([]);
      expect(existsSync(path.join(local, 'run-auth-emulator'))).toBe(true);
    } finally {
      await emulator.stop();
    }
    expect(readdirSync(tmp)).toEqual([]);
    expect(existsSync(path.join(local, 'run-auth-emulator'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'firebase-export-metadata.json'))).toBe(true);
  } finally {
    if (outer === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = outer;
    rmSync(tmp, { recursive: true, force: true });
    rmSync(local, { recursive: true, force: true });
  }
}, 120_000);
