/**
 * `npm run seed [-- --email E] [--firestore]`: a realistic user for the local
 * environment (`npm start` running): walker@example.com with walks in every
 * status, written through the API (PUT, so running it again changes nothing).
 * With --firestore, the same user's walks and a consent as the iOS app wrote
 * them to Firestore, into the emulator at FIRESTORE_EMULATOR_HOST, to try
 * `npm run migrate:firestore` locally.
 */
import { createHash } from 'node:crypto';
import { initializeApp } from 'firebase-admin/app';
import { closeFirebaseApp } from '../src/firestore-migration/close-firebase';
import { getFirestore, Timestamp } from 'firebase-admin/firestore';
import { type CommandArgs, defineCommand, runCli, UsageError } from '../src/cli';
import { EMULATOR_PROJECT_ID, emulatorIdToken } from './auth-emulator';
import { fetchOnce, localApiUrl, localAuthEmulatorHost, localEnvPrefix } from './local-settings';

const SEED = defineCommand({
  usage: `usage: npm run seed [-- --email you@example.com] [--firestore]

With npm start running: a user with walks (completed, in progress, paused, not started),
written through the local API; running it again changes nothing.
  --email <address>  the user (default walker@example.com; password local-password)
  --firestore        also write the user's walks and a consent, in the iOS app's Firestore
                     shape, to the Firestore emulator at FIRESTORE_EMULATOR_HOST`,
  options: {
    email: { type: 'string', default: 'walker@example.com' },
    firestore: { type: 'boolean', default: false },
  },
});

/** A stable UUID (version 4 layout) per name, so a re-run PUTs the same walks. */
function stableUuid(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface SeedWalk {
  readonly id: string;
  readonly title: string;
  readonly status: 'completed' | 'in_progress' | 'paused' | 'not_started';
  readonly start: Date | null;
  readonly minutes: number;
}

/** A loop around the Imperial Palace in Tokyo: one point a second at walking pace. */
function loop(start: Date, minutes: number) {
  const points = Math.min(minutes * 60, 1800);
  return Array.from({ length: points }, (_, i) => {
    const angle = (2 * Math.PI * i) / points;
    return {
      sequence_number: i,
      latitude: 35.6852 + 0.008 * Math.sin(angle),
      longitude: 139.7528 + 0.01 * Math.cos(angle),
      altitude: 20 + 5 * Math.sin(angle * 3),
      timestamp: new Date(start.getTime() + i * 1000).toISOString(),
      horizontal_accuracy: 5,
      vertical_accuracy: 3,
      speed: 1.35,
      course: ((angle * 180) / Math.PI + 90) % 360,
    };
  });
}

function seedWalks(email: string): SeedWalk[] {
  const day = (d: number, h: number) => new Date(Date.UTC(2026, 10, d, h - 9)); // Tokyo time
  return [
    ['Morning loop around the palace', 'completed', day(2, 6), 45],
    ['Lunch walk to Hibiya Park', 'completed', day(3, 12), 25],
    ['Evening stroll', 'completed', day(5, 19), 35],
    ['Sunday long walk', 'completed', day(8, 9), 95],
    ['Commute on foot', 'paused', day(10, 8), 20],
    ['Walking now', 'in_progress', day(11, 7), 10],
    ['Planned: Yanaka old town', 'not_started', null, 0],
  ].map(([title, status, start, minutes], i) => ({
    id: stableUuid(`${email}/walk/${i}`),
    title: title as string,
    status: status as SeedWalk['status'],
    start: start as Date | null,
    minutes: minutes as number,
  }));
}

function apiBody(walk: SeedWalk) {
  const end = walk.start && new Date(walk.start.getTime() + walk.minutes * 60_000);
  const locations = walk.start ? loop(walk.start, walk.minutes) : [];
  return {
    title: walk.title,
    description: walk.status === 'not_started' ? '' : 'Seeded by npm run seed',
    status: walk.status,
    start_time: walk.start?.toISOString() ?? null,
    end_time: walk.status === 'completed' ? end!.toISOString() : null,
    paused_at: walk.status === 'paused' ? end!.toISOString() : null,
    total_paused_duration: walk.status === 'paused' ? 120 : 0,
    total_distance: Math.round(walk.minutes * 60 * 1.35),
    total_steps: walk.minutes * 110,
    locations,
  };
}

async function seedApi(service: string, idToken: string, walks: SeedWalk[]): Promise<void> {
  const login = await fetchOnce(`${service}/v1/sessions/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id_token: idToken }),
  }).catch(() => {
    throw new Error(`no walk-service at ${service}: run npm start first`);
  });
  const session = (await login.json()) as { access_token?: string };
  if (!session.access_token) throw new Error(`login at ${service} failed with ${login.status}`);
  for (const walk of walks) {
    const res = await fetchOnce(`${service}/v1/walks/${walk.id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${session.access_token}` },
      body: JSON.stringify(apiBody(walk)),
    });
    if (!res.ok) throw new Error(`PUT /v1/walks/${walk.id} answered ${res.status}: ${await res.text()}`);
    process.stderr.write(
      `  ${res.status === 201 ? 'created  ' : 'unchanged'} ${walk.status.padEnd(11)} ${walk.title}\n`,
    );
  }
}

/** The app's own Firestore shape (app/src/firestore-migration/source-model.ts). */
async function seedFirestore(uid: string, email: string, walks: SeedWalk[]): Promise<void> {
  const app = initializeApp({ projectId: EMULATOR_PROJECT_ID }, `seed-${Date.now()}`);
  const db = getFirestore(app);
  try {
    const batch = db.batch();
    for (const walk of walks) {
      const body = apiBody(walk);
      const at = (iso: string | null) => (iso ? Timestamp.fromDate(new Date(iso)) : null);
      // Swift's UUID().uuidString is upper case
      const id = `${walk.id.toUpperCase()}`;
      batch.set(db.collection('walks').doc(id), {
        id,
        user_id: uid,
        title: body.title,
        description: body.description,
        status: body.status,
        start_time: at(body.start_time),
        end_time: at(body.end_time),
        paused_at: at(body.paused_at),
        total_paused_duration: body.total_paused_duration,
        total_distance: body.total_distance,
        total_steps: body.total_steps,
        created_at: Timestamp.fromDate(walk.start ?? new Date(Date.UTC(2026, 10, 12))),
        updated_at: Timestamp.fromDate(walk.start ?? new Date(Date.UTC(2026, 10, 12))),
        location_data: body.locations.map((l) => ({
          latitude: l.latitude,
          longitude: l.longitude,
          altitude: l.altitude,
          timestamp: Timestamp.fromDate(new Date(l.timestamp)),
          horizontalAccuracy: l.horizontal_accuracy,
          verticalAccuracy: l.vertical_accuracy,
          speed: l.speed,
          course: l.course,
        })),
      });
    }
    batch.set(
      db
        .collection('users')
        .doc(uid)
        .collection('consents')
        .doc(stableUuid(`${email}/consent`)),
      {
        policyVersion: '2026-10',
        consentedAt: Timestamp.fromDate(new Date(Date.UTC(2026, 10, 1))),
        consentType: 'initial',
        deviceInfo: { platform: 'iOS', osVersion: '26.1', appVersion: '2.4.0' },
      },
    );
    await batch.commit();
  } finally {
    await closeFirebaseApp(app);
  }
}

async function main({ values }: CommandArgs<typeof SEED>): Promise<void> {
  // before anything is written: a half-done seed is worse than none
  if (values.firestore && !process.env.FIRESTORE_EMULATOR_HOST?.trim())
    throw new UsageError(
      '--firestore needs FIRESTORE_EMULATOR_HOST (host:port of a Firestore emulator), e.g.\n' +
        '  gcloud emulators firestore start --host-port=127.0.0.1:8086   (in another terminal)\n' +
        '  FIRESTORE_EMULATOR_HOST=127.0.0.1:8086 npm run seed -- --firestore',
    );
  const emulatorHost = localAuthEmulatorHost();
  const service = localApiUrl();
  const { uid, idToken } = await emulatorIdToken(emulatorHost, values.email, 'local-password').catch(() => {
    throw new Error(`no Auth emulator at ${emulatorHost}: run npm start first`);
  });
  const walks = seedWalks(values.email);
  process.stderr.write(`seeding ${values.email} (uid ${uid}) through ${service}\n`);
  await seedApi(service, idToken, walks);
  if (values.firestore) {
    const firestoreHost = process.env.FIRESTORE_EMULATOR_HOST!.trim();
    await seedFirestore(uid, values.email, walks);
    // the migration reads both emulators (it looks every walk's user up in Auth)
    process.stderr.write(
      `wrote ${walks.length} walks and a consent for ${uid} to the Firestore emulator at ${firestoreHost}\n` +
        `try: FIRESTORE_EMULATOR_HOST=${firestoreHost} FIREBASE_AUTH_EMULATOR_HOST=${emulatorHost} ` +
        `FIREBASE_PROJECT_ID=${EMULATOR_PROJECT_ID} DATABASE_URL=<the PostgreSQL URL npm start printed> ` +
        `npm run -s migrate:firestore -- --dry-run --user ${uid}\n`,
    );
  }
  process.stdout.write(
    `${values.email} has ${walks.length} walks; TOKEN=$(${localEnvPrefix(['PORT', 'LOCAL_AUTH_EMULATOR_PORT'])}npm run -s token -- --email ${values.email})\n`,
  );
}

runCli(module, SEED, main);
