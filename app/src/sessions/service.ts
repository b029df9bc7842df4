/**
 * The session domain: login opens a family, refresh rotates its refresh
 * token, reuse of a retired token revokes the family, logout and logout-all
 * revoke. No req/res here; time comes from the injected clock.
 */
import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { inTransaction } from '../db/pool';
import { DomainError } from '../domain-errors';
import type { Clock } from '../lifecycle';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { AccessTokens } from './access-tokens';
import type { FirebaseAccounts } from './firebase-accounts';
import { hashRefreshToken, newRefreshToken, REFRESH_TOKEN_PATTERN } from './refresh-tokens';
import * as repo from './repository';
import type { RevokedSessions } from './revoked-sessions';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Lifetimes and housekeeping limits (docs/sessions.md, "Lifetimes"). */
export const SESSION_POLICY = {
  /** A refresh token not used within this time expires (the app then logs in again with Firebase). */
  refreshTokenTtlMs: 14 * DAY_MS,
  /** No refresh extends a family beyond this. */
  familyLifetimeMs: 30 * DAY_MS,
  /** Dead (expired or revoked) families are kept this long for investigation, then pruned. */
  deadFamilyRetentionMs: DAY_MS,
  /** Rows pruned per table per login/refresh. */
  pruneBatch: 100,
} as const;

export type RefreshRejection = 'unknown' | 'expired' | 'revoked' | 'reuse';

const REJECTION_MESSAGES: Record<RefreshRejection, string> = {
  unknown: 'the refresh token is invalid',
  expired: 'the refresh token has expired',
  revoked: 'the session has been revoked',
  reuse: 'the refresh token was already used; the session has been revoked',
};

/** A refused refresh, with the reason for metrics and logs (the caller sees only the message). */
export class RefreshRejected extends DomainError {
  constructor(readonly reason: RefreshRejection) {
    super('unauthenticated', REJECTION_MESSAGES[reason]);
  }
}

export interface SessionGrant {
  readonly sessionId: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
  readonly user: repo.UserRow;
}

export interface SessionServiceDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly accessTokens: AccessTokens;
  readonly revokedSessions: RevokedSessions;
  readonly metrics: Pick<Metrics, 'sessionRefreshTokenReuse'>;
  /** Consulted at every refresh: a disabled, deleted or signed-out Firebase user loses their sessions. */
  readonly accounts: FirebaseAccounts;
}

type RefreshOutcome =
  | { kind: 'rotated'; familyId: string; user: repo.UserRow; refreshToken: string }
  | { kind: 'rejected'; reason: RefreshRejection; familyId?: string; userId?: string; revoked?: boolean };

const later = (date: Date, ms: number) => new Date(date.getTime() + ms);
const earliest = (a: Date, b: Date) => (a.getTime() <= b.getTime() ? a : b);

export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  /** Opens a session family for a user whose Firebase ID token was verified; creates or updates the user row. */
  async login(identity: repo.UserRow): Promise<SessionGrant> {
    const now = this.deps.clock.now();
    const familyId = randomUUID();
    const refreshToken = newRefreshToken();
    const familyExpiresAt = later(now, SESSION_POLICY.familyLifetimeMs);
    const user = await inTransaction(this.deps.pool, async (client) => {
      const row = await repo.upsertUser(client, identity, now);
      await repo.insertFamily(client, {
        id: familyId,
        userId: row.id,
        createdAt: now,
        expiresAt: familyExpiresAt,
      });
      await repo.insertRefreshToken(client, {
        hash: hashRefreshToken(refreshToken),
        familyId,
        issuedAt: now,
        expiresAt: earliest(later(now, SESSION_POLICY.refreshTokenTtlMs), familyExpiresAt),
      });
      return row;
    });
    await this.pruneQuietly();
    return this.grant(familyId, user, refreshToken);
  }

  /** Exchanges a refresh token for a new pair; exactly one of concurrent exchanges of one token wins. */
  async refresh(presented: string): Promise<SessionGrant> {
    if (!REFRESH_TOKEN_PATTERN.test(presented)) throw new RefreshRejected('unknown');
    const hash = hashRefreshToken(presented);
    const owner = await repo.findRefreshTokenOwner(this.deps.pool, hash);
    if (!owner) throw new RefreshRejected('unknown');
    if (!owner.used && !owner.familyRevoked) await this.requireAccountInGoodStanding(owner);
    const now = this.deps.clock.now();
    const outcome = await inTransaction(this.deps.pool, async (client): Promise<RefreshOutcome> => {
      const state = await repo.lockRefreshToken(client, hash);
      if (!state) return { kind: 'rejected', reason: 'unknown' };
      const { familyId, userId } = state;
      if (state.usedAt) {
        // Someone holds a retired token: the client and a thief both have this family. End it for both.
        const revoked = await repo.revokeFamily(client, familyId, 'reuse', now);
        return { kind: 'rejected', reason: 'reuse', familyId, userId, revoked };
      }
      if (state.familyRevokedAt) return { kind: 'rejected', reason: 'revoked', familyId, userId };
      if (state.tokenExpiresAt <= now || state.familyExpiresAt <= now) {
        return { kind: 'rejected', reason: 'expired', familyId, userId };
      }
      const user = await repo.findUser(client, userId);
      if (!user) return { kind: 'rejected', reason: 'revoked', familyId, userId };
      const refreshToken = newRefreshToken();
      await repo.markRefreshTokenUsed(client, hash, now);
      await repo.insertRefreshToken(client, {
        hash: hashRefreshToken(refreshToken),
        familyId,
        issuedAt: now,
        expiresAt: earliest(later(now, SESSION_POLICY.refreshTokenTtlMs), state.familyExpiresAt),
      });
      await repo.touchFamily(client, familyId, now);
      return { kind: 'rotated', familyId, user, refreshToken };
    });

    if (outcome.kind === 'rejected') {
      if (outcome.reason === 'reuse') {
        this.deps.metrics.sessionRefreshTokenReuse.inc();
        if (outcome.familyId) this.deps.revokedSessions.add([outcome.familyId], now);
        this.deps.logger.warn(
          { session_id: outcome.familyId, user_id: outcome.userId, family_revoked_now: outcome.revoked },
          'refresh token reuse detected; session family revoked',
        );
      }
      throw new RefreshRejected(outcome.reason);
    }
    await this.pruneQuietly();
    return this.grant(outcome.familyId, outcome.user, outcome.refreshToken);
  }

  /**
   * Firebase is asked outside the locking transaction (no network call while
   * holding a row lock). If it cannot be asked, the refresh goes ahead: an
   * outage should not sign everybody out, and login would fail anyway.
   */
  private async requireAccountInGoodStanding(owner: repo.RefreshTokenOwner): Promise<void> {
    const standing = await this.deps.accounts.standing(owner.userId);
    let reason: repo.RevokedReason | undefined;
    if (standing.kind === 'disabled' || standing.kind === 'deleted') reason = 'account_disabled';
    else if (
      standing.kind === 'active' &&
      standing.tokensValidAfter &&
      standing.tokensValidAfter > owner.familyCreatedAt
    ) {
      reason = 'account_revoked';
    } else if (standing.kind === 'unknown') {
      this.deps.logger.warn(
        { err: standing.error, user_id: owner.userId },
        'could not check the account in Firebase; refreshing anyway',
      );
    }
    if (!reason) return;
    const now = this.deps.clock.now();
    await repo.revokeFamily(this.deps.pool, owner.familyId, reason, now);
    this.deps.revokedSessions.add([owner.familyId], now);
    this.deps.logger.info(
      { session_id: owner.familyId, user_id: owner.userId, reason },
      'session revoked: the Firebase account is disabled, deleted or signed out',
    );
    throw new RefreshRejected('revoked');
  }

  /** Ends one session: its refresh tokens at once, its access tokens as soon as replicas sync. */
  async logout(userId: string, sessionId: string): Promise<void> {
    const now = this.deps.clock.now();
    await repo.revokeFamily(this.deps.pool, sessionId, 'logout', now, userId);
    this.deps.revokedSessions.add([sessionId], now);
  }

  /** Ends every session of the user; returns how many were live. */
  async logoutAll(userId: string): Promise<number> {
    const now = this.deps.clock.now();
    const ids = await repo.revokeUserFamilies(this.deps.pool, userId, now);
    this.deps.revokedSessions.add(ids, now);
    return ids.length;
  }

  /** One bounded round of housekeeping (see SESSION_POLICY.pruneBatch). */
  async prune(): Promise<{ tokens: number; families: number }> {
    const now = this.deps.clock.now();
    const deadBefore = new Date(now.getTime() - SESSION_POLICY.deadFamilyRetentionMs);
    return repo.pruneExpired(this.deps.pool, now, deadBefore, SESSION_POLICY.pruneBatch);
  }

  /** Housekeeping must never fail a login or refresh. */
  private async pruneQuietly(): Promise<void> {
    try {
      await this.prune();
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'session pruning failed; will retry on the next write');
    }
  }

  private async grant(sessionId: string, user: repo.UserRow, refreshToken: string): Promise<SessionGrant> {
    const access = await this.deps.accessTokens.issue(user.id, sessionId);
    return { sessionId, accessToken: access.token, refreshToken, expiresIn: access.expiresIn, user };
  }
}
