/**
 * Firestore document → PostgreSQL row, or a quarantine reason.
 *
 * Stage one checks the document's shape (types, casing, Timestamps); stage two
 * checks the walk with the service's own request schema (WalkInputSchema), so
 * nothing enters the database that the API would refuse to store.
 */
import type { Timestamp } from 'firebase-admin/firestore';
import type { z } from 'zod';
import { sourceConsentSchema, sourceWalkSchema, type SourceLocation, type SourceWalk } from './source-model';
import type { WalkWrite } from '../walks/repository';
import { WalkInputSchema } from '../walks/schemas';

export interface TargetLocation {
  sequence_number: number;
  latitude: number;
  longitude: number;
  altitude: number | null;
  timestamp: Date;
  horizontal_accuracy: number | null;
  vertical_accuracy: number | null;
  speed: number | null;
  course: number | null;
}

export interface TargetWalk {
  id: string;
  user_id: string;
  title: string;
  description: string;
  status: string;
  start_time: Date | null;
  end_time: Date | null;
  paused_at: Date | null;
  total_paused_duration: number;
  total_distance: number;
  total_steps: number;
  polyline_data: string | null;
  thumbnail_image_url: string | null;
  created_at: Date;
  updated_at: Date;
  locations: TargetLocation[];
}

export interface TargetConsent {
  user_id: string;
  consent_id: string;
  policy_version: string;
  consented_at: Date;
  consent_type: 'initial' | 'update';
  device_platform: string | null;
  device_os_version: string | null;
  device_app_version: string | null;
}

export type QuarantineReason =
  | 'missing_user'
  | 'invalid_id'
  | 'id_mismatch'
  | 'invalid_status'
  | 'invalid_coordinates'
  | 'wrong_casing'
  | 'owner_conflict'
  | 'invalid_document';

export interface Quarantined {
  reason: QuarantineReason;
  detail: string;
}

export type MapResult<T> = { ok: true; value: T } | { ok: false; quarantine: Quarantined };

const date = (value: Timestamp | null | undefined): Date | null => (value ? value.toDate() : null);

/** CoreLocation reports an unknown accuracy, speed or course as a negative number. */
const knownOrNull = (value: number | null | undefined): number | null =>
  value === null || value === undefined || value < 0 ? null : value;

function mapLocation(entry: SourceLocation, index: number): TargetLocation {
  return {
    sequence_number: index,
    latitude: entry.latitude,
    longitude: entry.longitude,
    altitude: entry.altitude ?? null,
    timestamp: entry.timestamp.toDate(),
    horizontal_accuracy: knownOrNull(entry.horizontalAccuracy),
    vertical_accuracy: knownOrNull(entry.verticalAccuracy),
    speed: knownOrNull(entry.speed),
    course: knownOrNull(entry.course),
  };
}

const SNAKE = /_[a-z]/;
const CAMEL = /[a-z][A-Z]/;

function isMisCased(issue: z.core.$ZodIssue, expect: 'snake' | 'camel'): boolean {
  if (issue.code !== 'unrecognized_keys') return false;
  // Location entries are camelCase even inside a snake_case walk.
  const style = issue.path[0] === 'location_data' ? 'camel' : expect;
  return issue.keys.some((key) => (style === 'snake' ? CAMEL.test(key) : SNAKE.test(key)));
}

/** Names a failed parse with a reason an operator can act on; a casing mix-up wins over its symptoms. */
function classify(issues: z.core.$ZodIssue[], expect: 'snake' | 'camel'): Quarantined {
  const detail = issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || '(document)'}: ${issue.message}`)
    .join('; ');
  if (issues.some((issue) => isMisCased(issue, expect))) return { reason: 'wrong_casing', detail };
  const first = issues[0];
  const field = String(first?.path[0] ?? '');
  const leaf = String(first?.path[first.path.length - 1] ?? '');
  if (field === 'user_id') return { reason: 'missing_user', detail };
  if (field === 'id') return { reason: 'invalid_id', detail };
  if (field === 'status') return { reason: 'invalid_status', detail };
  if ((field === 'location_data' || field === 'locations') && (leaf === 'latitude' || leaf === 'longitude')) {
    return { reason: 'invalid_coordinates', detail };
  }
  return { reason: 'invalid_document', detail };
}

/** Maps `walks/{docId}`; the UUID is lower-cased (Swift writes it upper-case, PostgreSQL prints lower). */
export function mapWalk(docId: string, data: unknown): MapResult<TargetWalk> {
  const parsed = sourceWalkSchema.safeParse(data);
  if (!parsed.success) return { ok: false, quarantine: classify(parsed.error.issues, 'snake') };
  const doc: SourceWalk = parsed.data;
  if (doc.id !== null && doc.id !== undefined && doc.id.toLowerCase() !== docId.toLowerCase()) {
    return {
      ok: false,
      quarantine: { reason: 'id_mismatch', detail: `id field ${doc.id} differs from document id ${docId}` },
    };
  }
  const walk: TargetWalk = {
    id: docId.toLowerCase(),
    user_id: doc.user_id,
    title: doc.title,
    description: doc.description ?? '',
    status: doc.status,
    start_time: date(doc.start_time),
    end_time: date(doc.end_time),
    paused_at: date(doc.paused_at),
    total_paused_duration: doc.total_paused_duration ?? 0,
    total_distance: doc.total_distance ?? 0,
    total_steps: doc.total_steps ?? 0,
    polyline_data: doc.polyline_data ?? null,
    thumbnail_image_url: doc.thumbnail_image_url ?? null,
    created_at: doc.created_at.toDate(),
    updated_at: doc.updated_at.toDate(),
    locations: (doc.location_data ?? []).map(mapLocation),
  };
  const checked = WalkInputSchema.safeParse(toWalkWrite(walk));
  if (!checked.success) return { ok: false, quarantine: classify(checked.error.issues, 'snake') };
  return { ok: true, value: walk };
}

const isoOrNull = (value: Date | null): string | null => (value ? value.toISOString() : null);

/** The walk as the service's repository writes it (and as a PUT body would carry it). */
export function toWalkWrite(walk: TargetWalk): WalkWrite {
  return {
    id: walk.id,
    title: walk.title,
    description: walk.description,
    status: walk.status,
    start_time: isoOrNull(walk.start_time),
    end_time: isoOrNull(walk.end_time),
    paused_at: isoOrNull(walk.paused_at),
    total_paused_duration: walk.total_paused_duration,
    total_distance: walk.total_distance,
    total_steps: walk.total_steps,
    polyline_data: walk.polyline_data,
    thumbnail_image_url: walk.thumbnail_image_url,
    locations: walk.locations.map((location) => ({
      ...location,
      timestamp: location.timestamp.toISOString(),
    })),
  };
}

/** Maps `users/{userId}/consents/{consentId}`. */
export function mapConsent(userId: string, consentId: string, data: unknown): MapResult<TargetConsent> {
  const parsed = sourceConsentSchema.safeParse(data);
  if (!parsed.success) return { ok: false, quarantine: classify(parsed.error.issues, 'camel') };
  const doc = parsed.data;
  return {
    ok: true,
    value: {
      user_id: userId,
      consent_id: consentId,
      policy_version: doc.policyVersion,
      consented_at: doc.consentedAt.toDate(),
      consent_type: doc.consentType,
      device_platform: doc.deviceInfo?.platform ?? null,
      device_os_version: doc.deviceInfo?.osVersion ?? null,
      device_app_version: doc.deviceInfo?.appVersion ?? null,
    },
  };
}
