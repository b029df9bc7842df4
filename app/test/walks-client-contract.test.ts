/**
 * The iOS app's client against this API (docs/api.md, "Client guide"): every
 * timestamp decodes as strict RFC 3339 at microsecond precision, "unknown" is
 * null and only null, a PUT without `locations` keeps them, lists page by
 * `next_cursor`, and a walk at the 10,000-location cap goes in, gzip-compressed.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { MAX_LOCATIONS } from '../src/walks/schemas';
import { apiClient, emulatorUser, useTestApp, type ApiClient, type EmulatorUser } from './harness';

const { app } = useTestApp();
let alice: EmulatorUser;
let asAlice: ApiClient;

beforeAll(async () => {
  alice = await emulatorUser();
  asAlice = apiClient(app.url, alice.authorization);
});

/**
 * RFC 3339 section 5.6 `date-time`, nothing more (no lower-case t/z, no
 * missing offset, no ISO 8601 extras), decoded to microseconds since the epoch
 * without a floating-point Date on the way: what a strict client does.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;
function decodeRfc3339(value: unknown): bigint {
  if (typeof value !== 'string') throw new Error(`not a string: ${String(value)}`);
  const m = RFC3339.exec(value);
  if (!m) throw new Error(`not RFC 3339: ${value}`);
  const [, y, mo, d, h, mi, s, fraction = '', offset] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31)
    throw new Error(`bad date: ${value}`);
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) throw new Error(`bad time: ${value}`);
  const seconds = BigInt(
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000,
  );
  const [sign, oh, om] =
    offset === 'Z' ? ['+', '0', '0'] : [offset![0], offset!.slice(1, 3), offset!.slice(4)];
  const shift = BigInt(Number(oh) * 3600 + Number(om) * 60) * (sign === '+' ? -1n : 1n);
  return (seconds + shift) * 1_000_000n + BigInt(fraction.slice(0, 6).padEnd(6, '0'));
}

const TIME_FIELDS = ['start_time', 'end_time', 'paused_at', 'created_at', 'updated_at'] as const;

/** Decodes every timestamp of a walk (and its locations) strictly; null stays null. */
function decodeWalkTimes(walk: Record<string, unknown>): Record<string, bigint | null> {
  const out: Record<string, bigint | null> = {};
  for (const field of TIME_FIELDS) out[field] = walk[field] === null ? null : decodeRfc3339(walk[field]);
  const locations = (walk.locations ?? []) as Record<string, unknown>[];
  locations.forEach((l, i) => (out[`locations.${i}`] = decodeRfc3339(l.timestamp)));
  return out;
}

// Doubles that need all 17 significant digits, as CoreLocation's do.
const FULL = Math.PI / 1e3;
const location = (i: number, extra: Record<string, unknown> = {}) => ({
  sequence_number: i,
  latitude: 35.68 + FULL + i * 1e-7,
  longitude: 139.76 - FULL - i * 1e-7,
  altitude: 40 + FULL,
  timestamp: `2026-11-22T15:00:${String(i % 60).padStart(2, '0')}.${String(123456 + i).slice(-6)}+09:00`,
  horizontal_accuracy: 4 + FULL,
  vertical_accuracy: 3 + FULL,
  speed: 1.3 + FULL,
  course: 359 + FULL,
  ...extra,
});

const walk = (extra: Record<string, unknown> = {}) => ({
  title: 'Evening walk',
  status: 'completed',
  start_time: '2026-11-22T15:00:00.123456+09:00',
  end_time: '2026-11-22T06:45:00.654321Z',
  locations: [location(0), location(1)],
  ...extra,
});

describe('timestamps', () => {
  it('keeps microseconds end to end and answers in UTC with six fractional digits', async () => {
    const id = randomUUID();
    const put = await asAlice.put(`/v1/walks/${id}`, walk());
    expect(put.status).toBe(201);
    const got = await asAlice.get(`/v1/walks/${id}`);
    const list = await asAlice.get('/v1/walks');
    for (const body of [put.body, got.body, list.body.walks[0]]) {
      const times = decodeWalkTimes(body);
      expect(times.start_time).toBe(decodeRfc3339('2026-11-22T06:00:00.123456Z'));
      expect(times.end_time).toBe(decodeRfc3339('2026-11-22T06:45:00.654321Z'));
      for (const field of TIME_FIELDS) {
        if (body[field] !== null)
          expect(body[field]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      }
    }
    expect(got.body.start_time).toBe('2026-11-22T06:00:00.123456Z');
    expect(got.body.locations[1].timestamp).toBe('2026-11-22T06:00:01.123457Z');
    // Nanoseconds are cut, as Firestore cuts them; the same instant in another offset is the same value.
    const again = await asAlice.put(
      `/v1/walks/${id}`,
      walk({ start_time: '2026-11-22T06:00:00.123456999Z' }),
    );
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(1); // nothing changed
  });
});

describe('unknown values', () => {
  it("takes CoreLocation's -1 and null as the same unknown, and answers null", async () => {
    const id = randomUUID();
    const unknown = {
      horizontal_accuracy: -1,
      vertical_accuracy: -1,
      speed: -1,
      course: -1,
      altitude: -12.5,
    };
    const res = await asAlice.put(
      `/v1/walks/${id}`,
      walk({ locations: [location(0, unknown), location(1, { speed: null })] }),
    );
    expect(res.status).toBe(201);
    expect(res.body.locations[0]).toMatchObject({
      horizontal_accuracy: null,
      vertical_accuracy: null,
      speed: null,
      course: null,
      altitude: -12.5, // a real altitude below sea level
    });
    expect(res.body.locations[1].speed).toBeNull();
    const nulls = {
      horizontal_accuracy: null,
      vertical_accuracy: null,
      speed: null,
      course: null,
      altitude: -12.5,
    };
    const same = await asAlice.put(
      `/v1/walks/${id}`,
      walk({ locations: [location(0, nulls), location(1, { speed: null })] }),
    );
    expect(same.body.version).toBe(1); // -1 and null stored the same thing
  });
});

describe('PUT without locations', () => {
  it('keeps the stored locations; an explicit [] clears them', async () => {
    const id = randomUUID();
    await asAlice.put(`/v1/walks/${id}`, walk());
    // What the app builds from a list item: everything but locations.
    const { locations: _none, ...fromListItem } = walk({ title: 'Renamed from the list' });
    const kept = await asAlice.put(`/v1/walks/${id}`, fromListItem);
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ title: 'Renamed from the list', version: 2 });
    expect(kept.body.locations).toHaveLength(2);
    const cleared = await asAlice.put(`/v1/walks/${id}`, { ...fromListItem, locations: [] });
    expect(cleared.body.locations).toEqual([]);
    const created = await asAlice.put(`/v1/walks/${randomUUID()}`, fromListItem);
    expect(created.status).toBe(201);
    expect(created.body.locations).toEqual([]);
  });
});

describe('lists', () => {
  it('pages with walks and next_cursor only (no total_count, page or limit)', async () => {
    const res = await asAlice.get('/v1/walks?limit=1');
    expect(Object.keys(res.body).sort()).toEqual(['next_cursor', 'walks']);
    expect(typeof res.body.next_cursor).toBe('string');
    expect(res.body.walks[0]).not.toHaveProperty('locations');
  });
});

describe('the longest walk', () => {
  const longest = () =>
    walk({
      title: 'All day',
      polyline_data: 'x'.repeat(60_000),
      locations: Array.from({ length: MAX_LOCATIONS }, (_, i) => location(i)),
    });

  it(`accepts ${MAX_LOCATIONS} full-precision locations, gzip-compressed or not`, async () => {
    const body = JSON.stringify(longest());
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024); // over the general body limit
    const zipped = gzipSync(body);
    const id = randomUUID();
    const res = await fetch(`${app.url}/v1/walks/${id}`, {
      method: 'PUT',
      headers: {
        authorization: alice.authorization,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      body: zipped,
    });
    expect(res.status).toBe(201);
    const stored = await asAlice.get(`/v1/walks/${id}`);
    expect(stored.body.locations).toHaveLength(MAX_LOCATIONS);
    expect(stored.body.locations[MAX_LOCATIONS - 1]).toMatchObject({
      sequence_number: MAX_LOCATIONS - 1,
      latitude: location(MAX_LOCATIONS - 1).latitude,
      course: 359 + FULL,
    });
    // The same body uncompressed is a retry that changes nothing.
    const plain = await asAlice.put(`/v1/walks/${id}`, body);
    expect(plain.status).toBe(200);
    expect(plain.body.version).toBe(1);
  });

  it('refuses one location more, naming the field', async () => {
    const over = longest();
    over.locations.push(location(MAX_LOCATIONS));
    const res = await asAlice.put(`/v1/walks/${randomUUID()}`, over);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.error)).toContain('locations');
  });
});
