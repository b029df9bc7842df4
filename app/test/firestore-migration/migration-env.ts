/**
 * What a migration test file runs on: the gcloud Firestore emulator, the
 * Firebase Auth emulator (firebase-tools), a fresh migrated PostgreSQL
 * database and, when asked for, firebase-tools' Cloud Storage emulator; the
 * CLI runs in-process against all of them.
 */
import { initializeApp, type App } from 'firebase-admin/app';
import { getAuth, type Auth } from 'firebase-admin/auth';
import { getFirestore, type Firestore } from 'firebase-admin/firestore';
import { getStorage, type Storage } from 'firebase-admin/storage';
import type { Pool } from 'pg';
import { startThrowawayAuthEmulator, type RunningAuthEmulator } from '../../dev/auth-emulator';
import { startStorageEmulator, type RunningStorageEmulator } from '../../dev/storage-emulator';
import { main } from '../../src/firestore-migration/cli';
import { closeFirebaseApp } from '../../src/firestore-migration/close-firebase';
import { createTestDatabase, type TestDatabase } from '../harness';
import { EMULATOR_PROJECT_ID, startFirestoreEmulator, type FirestoreEmulator } from './firestore-emulator';

export interface MigrationEnv {
  readonly firestore: Firestore;
  readonly auth: Auth;
  /** Only with `{ storage: true }`. */
  readonly storage?: Storage;
  readonly pool: Pool;
  readonly databaseUrl: string;
  /** The variables the CLI reads. */
  env(): NodeJS.ProcessEnv;
  /** Runs the CLI in-process; returns its exit code and parsed JSON report. */
  cli(...argv: string[]): Promise<{ code: number; report: Record<string, unknown>; stderr: string }>;
  close(): Promise<void>;
}

export async function startMigrationEnv(options: { storage?: boolean } = {}): Promise<MigrationEnv> {
  let firestoreEmulator: FirestoreEmulator | undefined;
  let firebase: RunningAuthEmulator | undefined;
  let database: TestDatabase | undefined;
  let storageEmulator: RunningStorageEmulator | undefined;
  try {
    [firestoreEmulator, firebase, database, storageEmulator] = await Promise.all([
      startFirestoreEmulator(),
      startThrowawayAuthEmulator(),
      createTestDatabase(),
      options.storage ? startStorageEmulator() : undefined,
    ]);
  } catch (error) {
    await Promise.allSettled([
      firestoreEmulator?.stop(),
      firebase?.stop(),
      database?.drop(),
      storageEmulator?.stop(),
    ]);
    throw error;
  }
  const variables = {
    FIREBASE_PROJECT_ID: EMULATOR_PROJECT_ID,
    FIRESTORE_EMULATOR_HOST: firestoreEmulator.host,
    FIREBASE_AUTH_EMULATOR_HOST: firebase.host,
    ...(storageEmulator && { FIREBASE_STORAGE_EMULATOR_HOST: storageEmulator.host }),
  };
  // firebase-admin reads these from the process environment, in the CLI and in the test alike.
  Object.assign(process.env, variables, { METADATA_SERVER_DETECTION: 'none' });
  const app: App = initializeApp({ projectId: EMULATOR_PROJECT_ID }, `migration-test-${Date.now()}`);
  const firestore = getFirestore(app);
  const env = () => ({ ...variables, DATABASE_URL: database!.url, LOG_LEVEL: 'silent' });
  const fs = firestoreEmulator;
  const fb = firebase;
  const db = database;
  const st = storageEmulator;
  return {
    firestore,
    auth: getAuth(app),
    ...(st && { storage: getStorage(app) }),
    pool: db.pool,
    databaseUrl: db.url,
    env,
    async cli(...argv) {
      let stdout = '';
      let stderr = '';
      const code = await main(argv, env(), {
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
      });
      return { code, report: stdout.trim().startsWith('{') ? JSON.parse(stdout) : {}, stderr };
    },
    async close() {
      await Promise.allSettled([closeFirebaseApp(app), db.drop()]);
      await Promise.allSettled([fs.stop(), fb.stop(), st?.stop()]);
      if (st) delete process.env.FIREBASE_STORAGE_EMULATOR_HOST;
    },
  };
}

/** Creates the seed's users in the Auth emulator, signed in with Google, created at a known time. */
export async function importAuthUsers(auth: Auth, uids: readonly string[], createdAt: Date): Promise<void> {
  const result = await auth.importUsers(
    uids.map((uid) => ({
      uid,
      email: `${uid}@example.com`,
      providerData: [{ uid: `google-${uid}`, providerId: 'google.com', email: `${uid}@example.com` }],
      metadata: { creationTime: createdAt.toUTCString(), lastSignInTime: createdAt.toUTCString() },
    })),
  );
  if (result.failureCount > 0)
    throw new Error(`importing Auth users failed: ${JSON.stringify(result.errors)}`);
}
