/** Process state that readiness and shutdown share. */
export class Lifecycle {
  private shutdownReason: string | undefined;

  get shuttingDown(): boolean {
    return this.shutdownReason !== undefined;
  }

  get reason(): string | undefined {
    return this.shutdownReason;
  }

  /** From now on /readyz answers 503; idempotent. */
  beginShutdown(reason: string): void {
    this.shutdownReason ??= reason;
  }
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
