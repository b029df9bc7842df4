import { setTimeout as delay } from 'node:timers/promises';
import { deleteApp, type App } from 'firebase-admin/app';
import { getFirestore } from 'firebase-admin/firestore';

/**
 * Ends a firebase-admin app and its Firestore client. deleteApp alone leaves
 * Firestore's gRPC channels open, so a call failing later lands wherever the
 * process is by then; terminate() ends them once calls in flight settle
 * (bounded, so a stuck call cannot hold the process).
 */
export async function closeFirebaseApp(app: App, graceMs = 10_000): Promise<void> {
  await Promise.race([getFirestore(app).terminate(), delay(graceMs, undefined, { ref: false })]);
  await deleteApp(app);
}
