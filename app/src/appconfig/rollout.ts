/**
 * Which users' apps talk to this backend instead of Firestore.
 *
 * Each user id hashes to a fixed bucket in [0, 10000); a user is in the cohort
 * when their bucket is below the rollout percentage in basis points. Raising
 * the percentage only adds users, so nobody flips back between waves. The
 * salt is part of the contract: changing it would reshuffle every user.
 */
import { createHash } from 'node:crypto';

const SALT = 'tekutoko/backend-cohort/v1';
export const BUCKETS = 10_000;

export function rolloutBucket(userId: string): number {
  const digest = createHash('sha256').update(`${SALT}:${userId}`).digest();
  return digest.readUInt32BE(0) % BUCKETS;
}

export function inBackendCohort(userId: string, rolloutPercent: number): boolean {
  return rolloutBucket(userId) < Math.round(rolloutPercent * (BUCKETS / 100));
}

export interface AppConfig {
  backend_cohort: boolean;
  rollout_percent: number;
}

export function appConfigFor(userId: string, rolloutPercent: number): AppConfig {
  return { backend_cohort: inBackendCohort(userId, rolloutPercent), rollout_percent: rolloutPercent };
}
