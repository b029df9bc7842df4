/** The local storage stand-in for one test file: its own key, its own folder, a random port. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSigningCredentials, startStorageStandIn } from '../../dev/storage-stand-in';

export interface TestStorage {
  readonly endpoint: string;
  readonly bucket: string;
  readonly credentialsFile: string;
  /** What the service reads to use it. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startTestStorage(options: { now?: () => number } = {}): Promise<TestStorage> {
  const dir = mkdtempSync(path.join(tmpdir(), 'storage-stand-in-'));
  const credentialsFile = generateSigningCredentials(path.join(dir, 'key.json'));
  const standIn = await startStorageStandIn({
    dataDir: path.join(dir, 'objects'),
    credentialsFile,
    ...(options.now && { now: options.now }),
  });
  const bucket = 'test-walk-images';
  return {
    endpoint: standIn.endpoint,
    bucket,
    credentialsFile,
    env: {
      WALK_IMAGES_BUCKET: bucket,
      STORAGE_API_ENDPOINT: standIn.endpoint,
      STORAGE_SIGNING_CREDENTIALS_FILE: credentialsFile,
    },
    async stop() {
      await standIn.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
