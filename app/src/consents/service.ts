/**
 * Consents: an append-only log per user, idempotent on the app's id, and the
 * "does this user need to consent again?" answer. Knows nothing of HTTP.
 */
import type { Pool } from 'pg';
import { z } from 'zod';
import type { AuthenticatedUser } from '../auth';
import { inTransaction } from '../db/pool';
import { DomainError } from '../domain-errors';
import type { Clock } from '../lifecycle';
import * as policies from '../policies/repository';
import { ensureUser } from '../walks/repository';
import * as repo from './repository';
import type { Consent, ConsentInput, ConsentStatus } from './schemas';

const CursorSchema = z.object({ t: z.iso.datetime(), i: z.string().min(1).max(64) }).strict();

export function encodeCursor(position: repo.ListPosition): string {
  return Buffer.from(JSON.stringify({ t: position.time, i: position.id })).toString('base64url');
}

export function decodeCursor(cursor: string): repo.ListPosition {
  try {
    const parsed = CursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { time: parsed.t, id: parsed.i };
  } catch {
    throw DomainError.invalid('cursor', 'invalid', 'cursor is not a next_cursor this service issued');
  }
}

/** How old a consent sent late by an offline device may be. */
const MAX_LATE_DAYS = 30;
/** Clock skew allowed for a device's time. */
const MAX_AHEAD_MS = 5 * 60_000;

/** When the user decided: the app's time if it sent one (bounded), else now. */
function decisionTime(sent: string | undefined, now: Date): Date {
  if (sent === undefined) return now;
  const at = new Date(sent);
  if (at.getTime() > now.getTime() + MAX_AHEAD_MS)
    throw DomainError.invalid('consented_at', 'in_future', 'consented_at is in the future');
  if (at.getTime() < now.getTime() - MAX_LATE_DAYS * 86_400_000)
    throw DomainError.invalid(
      'consented_at',
      'too_old',
      `consented_at is more than ${MAX_LATE_DAYS} days old`,
    );
  return at;
}

const SAME_FIELDS = [
  'policy_version',
  'consent_type',
  'device_platform',
  'device_os_version',
  'device_app_version',
] as const;

export interface ConsentsServiceDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  /** Called once per consent actually recorded (not for a retry). */
  readonly onRecorded?: (consent: Consent) => void;
}

export function createConsentsService({ pool, clock, onRecorded }: ConsentsServiceDeps) {
  return {
    /** Records a consent; a retry with the same id and content returns the stored one. */
    async record(
      user: AuthenticatedUser,
      input: ConsentInput,
    ): Promise<{ consent: Consent; created: boolean }> {
      const now = clock.now();
      const decidedAt = decisionTime(input.consented_at, now);
      const result = await inTransaction(pool, async (client) => {
        if (!(await policies.findPolicy(client, input.policy_version))) {
          throw DomainError.invalid(
            'policy_version',
            'unknown_version',
            `policy_version ${input.policy_version} is not a published policy`,
          );
        }
        await ensureUser(client, user);
        return repo.insertConsent(client, user.id, input, decidedAt);
      });
      if (!result.created && SAME_FIELDS.some((f) => result.consent[f] !== input[f])) {
        throw new DomainError('conflict', `consent ${input.id} was recorded with different content`);
      }
      if (result.created) onRecorded?.(result.consent);
      return result;
    },

    async list(user: AuthenticatedUser, limit: number, cursor: string | undefined) {
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      const rows = await repo.listConsents(pool, user.id, after, limit + 1);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return {
        consents: page,
        next_cursor:
          rows.length > limit && last ? encodeCursor({ time: last.consented_at, id: last.id }) : null,
      };
    },

    async status(user: AuthenticatedUser): Promise<ConsentStatus> {
      const [{ policy: current }, consented] = await Promise.all([
        policies.findCurrent(pool, clock.now()),
        repo.consentedVersion(pool, user.id),
      ]);
      const status = (needs: boolean): ConsentStatus => ({
        current_policy_version: current?.version ?? null,
        consented_version: consented ?? null,
        needs_consent: needs,
      });
      if (!current) return status(false);
      if (consented === undefined) return status(true);
      if (consented === current.version) return status(false);
      const dates = await policies.effectiveDates(pool, [consented]);
      const consentedDate = dates.get(consented);
      // a version consented ahead of its effective date counts; an unknown one does not
      return status(consentedDate === undefined || consentedDate < current.effective_date);
    },
  };
}

export type ConsentsService = ReturnType<typeof createConsentsService>;
