/** The storage stand-in (app/dev/storage-stand-in.ts) for a test file, and the env that points at it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSigningCredentials, startStorageStandIn } from '../../dev/storage-stand-in';
import type { StorageConfig } from '../../src/config';

export const TEST_BUCKET = 'test-walk-images';

export interface TestStorage {
  readonly env: Record<string, string>;
  readonly config: StorageConfig;
  stop(): Promise<void>;
}

export async function startTestStorage(): Promise<TestStorage> {
  const dir = mkdtempSync(path.join(tmpdir(), 'share-images-test-'));
  const credentialsFile = generateSigningCredentials(path.join(dir, 'signer.json'));
  const standIn = await startStorageStandIn({ dataDir: path.join(dir, 'objects'), credentialsFile });
  return {
    env: {
      WALK_IMAGES_BUCKET: TEST_BUCKET,
      STORAGE_API_ENDPOINT: standIn.endpoint,
      STORAGE_SIGNING_CREDENTIALS_FILE: credentialsFile,
    },
    config: {
      bucket: TEST_BUCKET,
      apiEndpoint: standIn.endpoint,
      signingCredentialsFile: credentialsFile,
      thumbnailMaxBytes: 5 * 1024 * 1024,
      uploadUrlTtlSeconds: 600,
      readUrlTtlSeconds: 600,
    },
    async stop() {
      await standIn.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
