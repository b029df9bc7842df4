/**
 * The data set the migration tests run on: every field shape the app writes,
 * Timestamps everywhere a Date is encoded, omitted and explicit-null optionals,
 * a 5,000-location walk, and documents the tool must quarantine.
 */
import { randomUUID } from 'node:crypto';
import { Timestamp, type Firestore } from 'firebase-admin/firestore';

const ts = (iso: string) => Timestamp.fromDate(new Date(iso));

export const USERS = { alice: 'uid-alice', bob: 'uid-bob', carol: 'uid-carol' } as const;

/** Swift's UUID().uuidString is upper-case; the document id is the same string. */
export const WALK_IDS = {
  full: '3F0C1F4E-8A59-4B1F-9A0E-6F2B0A9F8C11',
  minimal: 'b7e2a3c4-1d2e-4f5a-8b9c-0d1e2f3a4b5c',
  explicitNulls: '6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  paused: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
  large: 'c0ffee00-1234-4abc-8def-0123456789ab',
  carol: 'e1e2e3e4-f5f6-4a7b-8c9d-0a1b2c3d4e5f',
} as const;

/** Malformed walk documents and the reason each must be quarantined for. */
export const MALFORMED: Record<string, { id: string; reason: string }> = {
  missingUser: { id: '11111111-2222-4333-8444-555555555555', reason: 'missing_user' },
  badLatitude: { id: '22222222-3333-4444-8555-666666666666', reason: 'invalid_coordinates' },
  nonUuid: { id: 'walk-from-an-old-build', reason: 'invalid_id' },
  unknownStatus: { id: '33333333-4444-4555-8666-777777777777', reason: 'invalid_status' },
  camelCaseWalk: { id: '44444444-5555-4666-8777-888888888888', reason: 'wrong_casing' },
  snakeCaseLocation: { id: '55555555-6666-4777-8888-999999999999', reason: 'wrong_casing' },
  stringDates: { id: '66666666-7777-4888-8999-aaaaaaaaaaaa', reason: 'invalid_document' },
};

export function location(i: number, start = Date.parse('2026-11-01T06:00:00Z')) {
  return {
    latitude: 35.68 + i * 1e-5,
    longitude: 139.76 + i * 1e-5,
    altitude: 40 + (i % 7) - 3.5,
    timestamp: Timestamp.fromMillis(start + i * 1000),
    horizontalAccuracy: 5 + (i % 3),
    verticalAccuracy: 3,
    speed: 1.3,
    course: (i * 7) % 360,
  };
}

function walk(id: string, userId: string, extra: Record<string, unknown> = {}) {
  return {
    id,
    user_id: userId,
    title: 'Morning walk',
    description: 'Along the river',
    start_time: ts('2026-11-01T06:00:00Z'),
    end_time: ts('2026-11-01T06:45:00Z'),
    total_distance: 3120.5,
    total_steps: 4100,
    polyline_data: 'o}~xE}{jtY??',
    thumbnail_image_url: 'https://images.tekutoko.example/t/1.png',
    status: 'completed',
    paused_at: null,
    total_paused_duration: 30,
    created_at: ts('2026-11-01T06:00:00.123Z'),
    updated_at: ts('2026-11-01T06:46:00.456Z'),
    location_data: [0, 1, 2].map((i) => location(i)),
    ...extra,
  };
}

export async function seedFixtures(db: Firestore): Promise<void> {
  const walks = db.collection('walks');
  const writer = db.bulkWriter();
  const put = (id: string, data: Record<string, unknown>) => void writer.set(walks.doc(id), data);

  put(
    WALK_IDS.full,
    walk(WALK_IDS.full, USERS.alice, {
      location_data: [
        location(0),
        // CoreLocation's "unknown": negative accuracy, speed and course.
        {
          ...location(1),
          horizontalAccuracy: -1,
          verticalAccuracy: -1,
          speed: -1,
          course: -1,
          altitude: -12.5,
        },
        location(2),
      ],
    }),
  );
  // Optional fields omitted, as Swift's synthesized Encodable does for nil.
  put(WALK_IDS.minimal, {
    user_id: USERS.alice,
    title: 'Not started yet',
    status: 'not_started',
    created_at: ts('2026-11-02T08:00:00Z'),
    updated_at: ts('2026-11-02T08:00:00Z'),
  });
  put(
    WALK_IDS.explicitNulls,
    walk(WALK_IDS.explicitNulls, USERS.alice, {
      status: 'in_progress',
      end_time: null,
      description: null,
      polyline_data: null,
      thumbnail_image_url: null,
      location_data: [{ latitude: -33.86, longitude: 151.2, timestamp: ts('2026-11-01T06:00:00Z') }],
    }),
  );
  put(
    WALK_IDS.paused,
    walk(WALK_IDS.paused, USERS.bob, {
      status: 'paused',
      end_time: null,
      paused_at: ts('2026-11-03T07:10:00Z'),
      total_paused_duration: 125.5,
    }),
  );
  put(
    WALK_IDS.large,
    walk(WALK_IDS.large, USERS.bob, {
      title: 'Long hike',
      end_time: ts('2026-11-01T08:00:00Z'),
      location_data: Array.from({ length: 5000 }, (_, i) => location(i)),
    }),
  );
  put(WALK_IDS.carol, walk(WALK_IDS.carol, USERS.carol, { title: 'Carol walks' }));

  const { user_id: _omitUser, ...withoutUser } = walk(MALFORMED.missingUser!.id, USERS.alice);
  put(MALFORMED.missingUser!.id, withoutUser);
  put(
    MALFORMED.badLatitude!.id,
    walk(MALFORMED.badLatitude!.id, USERS.alice, { location_data: [{ ...location(0), latitude: 123.4 }] }),
  );
  put(MALFORMED.nonUuid!.id, walk(MALFORMED.nonUuid!.id, USERS.alice));
  put(MALFORMED.unknownStatus!.id, walk(MALFORMED.unknownStatus!.id, USERS.bob, { status: 'finished' }));
  const { start_time: startTime, ...camel } = walk(MALFORMED.camelCaseWalk!.id, USERS.bob);
  put(MALFORMED.camelCaseWalk!.id, { ...camel, startTime });
  const { horizontalAccuracy, ...entry } = location(0);
  put(
    MALFORMED.snakeCaseLocation!.id,
    walk(MALFORMED.snakeCaseLocation!.id, USERS.bob, {
      location_data: [{ ...entry, horizontal_accuracy: horizontalAccuracy }],
    }),
  );
  put(
    MALFORMED.stringDates!.id,
    walk(MALFORMED.stringDates!.id, USERS.carol, { created_at: '2026-11-01T06:00:00Z' }),
  );

  const consents = (uid: string) => db.collection('users').doc(uid).collection('consents');
  void writer.set(consents(USERS.alice).doc('consent-a1'), {
    policyVersion: '2026-01',
    consentedAt: ts('2026-01-10T09:00:00Z'),
    consentType: 'initial',
    deviceInfo: { platform: 'iOS', osVersion: '18.1', appVersion: '1.4.0' },
  });
  void writer.set(consents(USERS.alice).doc('consent-a2'), {
    policyVersion: '2026-06',
    consentedAt: ts('2026-06-01T09:00:00Z'),
    consentType: 'update',
    deviceInfo: { platform: 'iOS', osVersion: '18.5', appVersion: '1.6.2' },
  });
  void writer.set(consents(USERS.bob).doc('consent-b1'), {
    policyVersion: '2026-01',
    consentedAt: ts('2026-02-01T09:00:00Z'),
    consentType: 'initial',
  });
  void writer.set(consents(USERS.carol).doc('consent-c1'), {
    policy_version: '2026-01',
    consented_at: ts('2026-02-01T09:00:00Z'),
    consent_type: 'initial',
  });
  await writer.close();
}

export const FIXTURE_COUNTS = {
  validWalks: Object.keys(WALK_IDS).length,
  malformedWalks: Object.keys(MALFORMED).length,
  validConsents: 3,
  malformedConsents: 1,
};

/** `walks` walks of `locationsPerWalk` locations for `users` users, for the timing run. */
export async function seedBulk(db: Firestore, walks: number, users: number, locationsPerWalk: number) {
  const writer = db.bulkWriter();
  for (let i = 0; i < walks; i++) {
    const id = randomUUID();
    void writer.set(
      db.collection('walks').doc(id),
      walk(id, `bulk-user-${i % users}`, {
        location_data: Array.from({ length: locationsPerWalk }, (_, j) => location(j)),
      }),
    );
  }
  await writer.close();
}
