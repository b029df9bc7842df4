/**
 * A walk's content hash: the same canonical form is built from the Firestore
 * document (after mapping) and from the PostgreSQL rows, so equal hashes mean
 * the stored walk, locations included, is what Firestore holds. Timestamps
 * enter as microsecond text, so a lost microsecond changes the hash.
 */
import { createHash } from 'node:crypto';
import type { TargetConsent, TargetWalk } from './mapping';

export function walkContentHash(walk: TargetWalk): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify([
      walk.id,
      walk.user_id,
      walk.title,
      walk.description,
      walk.status,
      walk.start_time,
      walk.end_time,
      walk.paused_at,
      walk.total_paused_duration,
      walk.total_distance,
      walk.total_steps,
      walk.polyline_data,
      walk.thumbnail_image_url,
      walk.created_at,
      walk.updated_at,
      walk.locations.length,
    ]),
  );
  // Streamed entry by entry: a walk may hold thousands of locations.
  for (const location of walk.locations) {
    hash.update(
      JSON.stringify([
        location.sequence_number,
        location.latitude,
        location.longitude,
        location.altitude,
        location.timestamp,
        location.horizontal_accuracy,
        location.vertical_accuracy,
        location.speed,
        location.course,
      ]),
    );
  }
  return hash.digest('hex');
}

export function consentContentHash(consent: TargetConsent): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        consent.user_id,
        consent.consent_id,
        consent.policy_version,
        consent.consented_at,
        consent.consent_type,
        consent.device_platform,
        consent.device_os_version,
        consent.device_app_version,
      ]),
    )
    .digest('hex');
}
