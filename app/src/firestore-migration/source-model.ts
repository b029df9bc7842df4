/**
 * The documents the iOS app wrote to Firestore, as firebase-admin returns them.
 *
 * Two casings live side by side: a walk is encoded by Firestore's Codable
 * encoder with snake_case CodingKeys, while the entries of its `location_data`
 * array and the consent documents use camelCase. The schemas are strict, so a
 * key in the wrong casing is reported instead of being read as "missing".
 */
import { Timestamp } from 'firebase-admin/firestore';
import { z } from 'zod';

const timestamp = z.custom<Timestamp>((value) => value instanceof Timestamp, {
  message: 'expected a Firestore Timestamp',
});

/** Swift optionals are omitted when nil; older builds wrote an explicit null. */
const optional = <T extends z.ZodType>(schema: T) => schema.nullish();

export const sourceLocationSchema = z.strictObject({
  latitude: z.number(),
  longitude: z.number(),
  altitude: optional(z.number()),
  timestamp,
  horizontalAccuracy: optional(z.number()),
  verticalAccuracy: optional(z.number()),
  speed: optional(z.number()),
  course: optional(z.number()),
});
export type SourceLocation = z.infer<typeof sourceLocationSchema>;

export const sourceWalkSchema = z.strictObject({
  id: optional(z.string()),
  user_id: z.string({ message: 'user_id is missing' }).min(1, 'user_id is empty'),
  title: z.string(),
  description: optional(z.string()),
  start_time: optional(timestamp),
  end_time: optional(timestamp),
  total_distance: optional(z.number()),
  total_steps: optional(z.number()),
  polyline_data: optional(z.string()),
  thumbnail_image_url: optional(z.string()),
  status: z.string(),
  paused_at: optional(timestamp),
  total_paused_duration: optional(z.number()),
  created_at: timestamp,
  updated_at: timestamp,
  location_data: optional(z.array(sourceLocationSchema)),
});
export type SourceWalk = z.infer<typeof sourceWalkSchema>;

export const sourceConsentSchema = z.strictObject({
  policyVersion: z.string().min(1),
  consentedAt: timestamp,
  consentType: z.enum(['initial', 'update']),
  deviceInfo: optional(
    z.strictObject({
      platform: optional(z.string()),
      osVersion: optional(z.string()),
      appVersion: optional(z.string()),
    }),
  ),
});
export type SourceConsent = z.infer<typeof sourceConsentSchema>;

/** Firestore collection layout of the app. */
export const WALKS_COLLECTION = 'walks';
export const USERS_COLLECTION = 'users';
export const CONSENTS_COLLECTION = 'consents';
