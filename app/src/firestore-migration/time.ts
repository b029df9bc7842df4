/**
 * Firestore Timestamps as the text the service keeps: RFC 3339, UTC, six
 * fractional digits. Firestore stores microseconds and cuts anything finer
 * (https://cloud.google.com/firestore/docs/reference/rest/v1/Value#FIELDS.timestamp_value),
 * PostgreSQL's timestamptz keeps microseconds, so nothing is lost between
 * them; `Timestamp.toDate()` would round to JavaScript's milliseconds.
 */
import type { Timestamp } from 'firebase-admin/firestore';

export function timestampIso(value: Timestamp): string {
  const seconds = new Date(value.seconds * 1000).toISOString().slice(0, 19);
  return `${seconds}.${String(Math.floor(value.nanoseconds / 1000)).padStart(6, '0')}Z`;
}
