/**
 * Which session families were revoked within the last access-token lifetime,
 * held in memory so verifying an access token needs no database call.
 *
 * Each replica re-reads the whole window (a small index range scan) every
 * `syncIntervalMs`; the replica that revokes a family adds it at once. So a
 * logout or logout-all ends the family's access tokens immediately on that
 * replica and within one sync interval on the others. If a sync fails the
 * last list stays in force (fail open, logged), bounded by the token lifetime.
 * Until the first load succeeds the replica knows no revocations at all, so
 * /readyz keeps traffic away from it until then (`loaded`).
 */
import type { Pool } from 'pg';
import type { Clock, Lifecycle } from '../lifecycle';
import type { Logger } from '../observability/logger';
import { ACCESS_TOKEN_TTL_SECONDS } from './access-tokens';
import { revokedFamiliesSince } from './repository';

/** Revocations older than this cannot matter: every access token of the family has expired. */
export const REVOCATION_WINDOW_MS = (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000;
export const DEFAULT_SYNC_INTERVAL_MS = 5000;

export interface RevokedSessionsOptions {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly lifecycle?: Lifecycle;
  readonly syncIntervalMs?: number;
}

export class RevokedSessions {
  /** family id → revocation time (ms) */
  private revoked = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private loadedOnce = false;

  constructor(private readonly options: RevokedSessionsOptions) {}

  isRevoked(sessionId: string): boolean {
    return this.revoked.has(sessionId);
  }

  /** Records revocations made by this replica, effective at once. */
  add(sessionIds: readonly string[], revokedAt: Date): void {
    for (const id of sessionIds) this.revoked.set(id, revokedAt.getTime());
  }

  /** True once the list has been read from the database at least once. */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  get size(): number {
    return this.revoked.size;
  }

  /** Replaces the list with the database's view of the window (keeping local additions made meanwhile). */
  sync(): Promise<void> {
    this.syncing ??= this.load().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  private async load(): Promise<void> {
    const since = this.options.clock.now().getTime() - REVOCATION_WINDOW_MS;
    const rows = await revokedFamiliesSince(this.options.pool, new Date(since));
    const next = new Map<string, number>();
    for (const row of rows) next.set(row.id, row.revokedAt.getTime());
    // additions made while the query ran, or whose row this replica's clock placed just outside it
    for (const [id, at] of this.revoked) if (at >= since && !next.has(id)) next.set(id, at);
    this.revoked = next;
    this.loadedOnce = true;
  }

  /** Loads once, then keeps syncing until stop() (or shutdown, or the pool ends). */
  start(): void {
    if (this.timer) return;
    const tick = () => {
      const { pool, lifecycle, logger } = this.options;
      if (lifecycle?.shuttingDown || (pool as Pool & { ended?: boolean }).ended) {
        this.stop();
        return;
      }
      this.sync().catch((error: unknown) =>
        logger.warn({ err: error }, 'could not refresh the revoked-session list; keeping the last one'),
      );
    };
    tick();
    this.timer = setInterval(tick, this.options.syncIntervalMs ?? DEFAULT_SYNC_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
