import { Timestamp } from 'firebase-admin/firestore';
import { mapConsent, mapWalk } from '../../src/firestore-migration/mapping';
import { walkContentHash } from '../../src/firestore-migration/content-hash';

const ts = (iso: string) => Timestamp.fromDate(new Date(iso));
const ID = '3F0C1F4E-8A59-4B1F-9A0E-6F2B0A9F8C11';

function doc(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: ID,
    user_id: 'uid-1',
    title: 'Morning walk',
    status: 'completed',
    start_time: ts('2026-11-01T06:00:00Z'),
    end_time: ts('2026-11-01T06:45:00Z'),
    created_at: ts('2026-11-01T06:00:00Z'),
    updated_at: ts('2026-11-01T06:46:00Z'),
    ...extra,
  };
}

const entry = (extra: Record<string, unknown> = {}) => ({
  latitude: 35.68,
  longitude: 139.76,
  altitude: 40,
  timestamp: ts('2026-11-01T06:00:01Z'),
  horizontalAccuracy: 5,
  verticalAccuracy: 3,
  speed: 1.3,
  course: 90,
  ...extra,
});

describe('walk mapping', () => {
  it('maps snake_case walk fields and camelCase location keys, keeping order', () => {
    const result = mapWalk(ID, doc({ location_data: [entry(), entry({ latitude: 35.69, course: 180 })] }));
    if (!result.ok) throw new Error(result.quarantine.detail);
    expect(result.value).toMatchObject({
      id: ID.toLowerCase(),
      user_id: 'uid-1',
      start_time: '2026-11-01T06:00:00.000000Z',
      description: '',
      total_distance: 0,
      total_steps: 0,
      polyline_data: null,
    });
    expect(result.value.locations).toEqual([
      expect.objectContaining({ sequence_number: 0, latitude: 35.68, horizontal_accuracy: 5, course: 90 }),
      expect.objectContaining({ sequence_number: 1, latitude: 35.69, course: 180 }),
    ]);
  });

  it('stores negative accuracy, speed and course as null but keeps a negative altitude', () => {
    const result = mapWalk(
      ID,
      doc({
        location_data: [
          entry({ horizontalAccuracy: -1, verticalAccuracy: -1, speed: -1, course: -1, altitude: -3 }),
        ],
      }),
    );
    if (!result.ok) throw new Error(result.quarantine.detail);
    expect(result.value.locations[0]).toMatchObject({
      altitude: -3,
      horizontal_accuracy: null,
      vertical_accuracy: null,
      speed: null,
      course: null,
    });
  });

  it('treats omitted and explicit-null optionals alike', () => {
    const omitted = mapWalk(ID, doc({ status: 'in_progress', end_time: undefined }));
    const nulls = mapWalk(
      ID,
      doc({ status: 'in_progress', end_time: null, description: null, polyline_data: null }),
    );
    if (!omitted.ok || !nulls.ok) throw new Error('expected both to map');
    expect(walkContentHash(omitted.value)).toBe(walkContentHash(nulls.value));
  });

  it.each([
    ['camelCase walk key', doc({ startTime: ts('2026-11-01T06:00:00Z') }), 'wrong_casing'],
    [
      'snake_case location key',
      doc({ location_data: [{ ...entry(), horizontal_accuracy: 5 }] }),
      'wrong_casing',
    ],
    ['missing user', doc({ user_id: undefined }), 'missing_user'],
    ['empty user', doc({ user_id: '' }), 'missing_user'],
    ['unknown status', doc({ status: 'done' }), 'invalid_status'],
    ['latitude out of range', doc({ location_data: [entry({ latitude: -91 })] }), 'invalid_coordinates'],
    ['longitude out of range', doc({ location_data: [entry({ longitude: 181 })] }), 'invalid_coordinates'],
    ['date as a string', doc({ created_at: '2026-11-01T06:00:00Z' }), 'invalid_document'],
    ['end before start', doc({ end_time: ts('2026-11-01T05:00:00Z') }), 'invalid_document'],
    ['completed without end', doc({ end_time: null }), 'invalid_document'],
    ['title too long', doc({ title: 'x'.repeat(101) }), 'invalid_document'],
    ['plain-http thumbnail', doc({ thumbnail_image_url: 'http://a.example/t.png' }), 'invalid_document'],
  ])('quarantines a document with %s', (_name, data, reason) => {
    const result = mapWalk(ID, data);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.quarantine.reason).toBe(reason);
  });

  it('quarantines a non-UUID document id and an id field that disagrees with it', () => {
    const nonUuid = mapWalk('walk-1', doc({ id: 'walk-1' }));
    const mismatch = mapWalk(ID, doc({ id: 'b7e2a3c4-1d2e-4f5a-8b9c-0d1e2f3a4b5c' }));
    expect(!nonUuid.ok && nonUuid.quarantine.reason).toBe('invalid_id');
    expect(!mismatch.ok && mismatch.quarantine.reason).toBe('id_mismatch');
  });

  it('changes the content hash when a location changes', () => {
    const a = mapWalk(ID, doc({ location_data: [entry()] }));
    const b = mapWalk(ID, doc({ location_data: [entry({ speed: 1.4 })] }));
    if (!a.ok || !b.ok) throw new Error('expected both to map');
    expect(walkContentHash(a.value)).not.toBe(walkContentHash(b.value));
  });
});

describe('consent mapping', () => {
  const consent = {
    policyVersion: '2026-01',
    consentedAt: ts('2026-01-10T09:00:00Z'),
    consentType: 'initial',
    deviceInfo: { platform: 'iOS', osVersion: '18.1', appVersion: '1.4.0' },
  };

  it('maps camelCase consent fields and device info', () => {
    const result = mapConsent('uid-1', 'auto-1', consent);
    expect(result).toEqual({
      ok: true,
      value: {
        user_id: 'uid-1',
        consent_id: 'auto-1',
        policy_version: '2026-01',
        consented_at: '2026-01-10T09:00:00.000000Z',
        consent_type: 'initial',
        device_platform: 'iOS',
        device_os_version: '18.1',
        device_app_version: '1.4.0',
      },
    });
  });

  it('accepts a consent without device info', () => {
    const { deviceInfo: _omit, ...bare } = consent;
    const result = mapConsent('uid-1', 'auto-2', { ...bare, consentType: 'update' });
    expect(result.ok && result.value.device_platform).toBeNull();
  });

  it('keeps device fields within the API bounds the database checks (blank → null, cut at 32), never quarantining a consent for them', () => {
    const result = mapConsent('uid-1', 'auto-4', {
      ...consent,
      deviceInfo: { platform: '', osVersion: `18.1 (${'x'.repeat(40)})`, appVersion: ' 1.4.0 ' },
    });
    expect(
      result.ok && [
        result.value.device_platform,
        result.value.device_os_version,
        result.value.device_app_version,
      ],
    ).toEqual([null, `18.1 (${'x'.repeat(26)}`, '1.4.0']);
  });

  it('quarantines snake_case consent keys as a casing error', () => {
    const result = mapConsent('uid-1', 'auto-3', {
      policy_version: '2026-01',
      consented_at: consent.consentedAt,
      consent_type: 'initial',
    });
    expect(!result.ok && result.quarantine.reason).toBe('wrong_casing');
  });

  it('quarantines an unknown consent type', () => {
    const result = mapConsent('uid-1', 'auto-4', { ...consent, consentType: 'withdrawn' });
    expect(!result.ok && result.quarantine.reason).toBe('invalid_document');
  });
});
