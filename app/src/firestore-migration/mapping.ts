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
import { WalkInputSchema, type LocationInput } from '../walks/schemas';
import { timestampIso } from './time';

/** A stored location: the validated, normalised values of WalkInputSchema. */
export type TargetLocation = LocationInput;

/**
 * A migrated walk: what WalkInputSchema made of the document (the values the
 * API would store for the same input), plus the owner and Firestore's times.
 * Timestamps are UTC RFC 3339 text with microseconds.
 */
export interface TargetWalk {
  id: string;
  user_id: string;
  title: string;
  description: string;
  status: string;
  start_time: string | null;
  end_time: string | null;
  paused_at: string | null;
  total_paused_duration: number;
  total_distance: number;
  total_steps: number;
  polyline_data: string | null;
  thumbnail_image_url: string | null;
  created_at: string;
  updated_at: string;
  locations: TargetLocation[];
}

export interface TargetConsent {
  user_id: string;
  consent_id: string;
  policy_version: string;
  consented_at: string;
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
  | 'duplicate_id'
  | 'account_deleted'
  | 'thumbnail_unavailable'
  | 'database_rejected'
  | 'invalid_document';

export interface Quarantined {
  reason: QuarantineReason;
  detail: string;
}

export type MapResult<T> = { ok: true; value: T } | { ok: false; quarantine: Quarantined };

const iso = (value: Timestamp | null | undefined): string | null => (value ? timestampIso(value) : null);

/** The location as the app would send it to the API; WalkInputSchema normalises it. */
function locationInput(entry: SourceLocation, index: number) {
  return {
    sequence_number: index,
    latitude: entry.latitude,
    longitude: entry.longitude,
    altitude: entry.altitude ?? null,
    timestamp: timestampIso(entry.timestamp),
    horizontal_accuracy: entry.horizontalAccuracy ?? null,
    vertical_accuracy: entry.verticalAccuracy ?? null,
    speed: entry.speed ?? null,
    course: entry.course ?? null,
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
  // The body a PUT of this walk would carry: one schema decides for the API and the migration.
  const checked = WalkInputSchema.safeParse({
    id: docId.toLowerCase(),
    title: doc.title,
    description: doc.description ?? '',
    status: doc.status,
    start_time: iso(doc.start_time),
    end_time: iso(doc.end_time),
    paused_at: iso(doc.paused_at),
    total_paused_duration: doc.total_paused_duration ?? 0,
    total_distance: doc.total_distance ?? 0,
    total_steps: doc.total_steps ?? 0,
    polyline_data: doc.polyline_data ?? null,
    thumbnail_image_url: doc.thumbnail_image_url ?? null,
    locations: (doc.location_data ?? []).map(locationInput),
  });
  if (!checked.success) return { ok: false, quarantine: classify(checked.error.issues, 'snake') };
  const input = checked.data;
  return {
    ok: true,
    value: {
      id: docId.toLowerCase(),
      user_id: doc.user_id,
      title: input.title,
      description: input.description,
      status: input.status,
      start_time: input.start_time,
      end_time: input.end_time,
      paused_at: input.paused_at,
      total_paused_duration: input.total_paused_duration,
      total_distance: input.total_distance,
      total_steps: input.total_steps,
      polyline_data: input.polyline_data,
      thumbnail_image_url: input.thumbnail_image_url,
      created_at: timestampIso(doc.created_at),
      updated_at: timestampIso(doc.updated_at),
      locations: input.locations ?? [],
    },
  };
}

/** The walk as the service's repository writes it (and as a PUT body would carry it). */
export function toWalkWrite(walk: TargetWalk): WalkWrite {
  const { user_id: _user, created_at: _created, updated_at: _updated, ...write } = walk;
  return write;
}

/** Maps `users/{userId}/consents/{consentId}`. */
/**
 * A device field within the API's bounds (1–32 characters, migration 0005):
 * blank becomes null and a longer one is cut, so a consent, a legal record,
 * is never quarantined for its device metadata.
 */
function deviceField(value: string | null | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed ? trimmed.slice(0, 32) : null;
}

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
      consented_at: timestampIso(doc.consentedAt),
      consent_type: doc.consentType,
      device_platform: deviceField(doc.deviceInfo?.platform),
      device_os_version: deviceField(doc.deviceInfo?.osVersion),
      device_app_version: deviceField(doc.deviceInfo?.appVersion),
    },
  };
}
