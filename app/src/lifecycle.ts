import type { Logger } from './observability/logger';

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

/**
 * Wires SIGTERM, SIGINT and unexpected errors to a graceful `stop` and an exit
 * bounded by `shutdownTimeoutMs` (0 after a signal, 1 after an error).
 */
export function exitAfterStopOnSignals(
  stoppable: { stop(reason: string): Promise<void> },
  shutdownTimeoutMs: number,
  logger: Logger,
): void {
  const exitAfterStop = (reason: string, code: number) => {
    const force = setTimeout(() => {
      logger.error({ timeout_ms: shutdownTimeoutMs }, 'shutdown timed out; exiting');
      logger.flush();
      process.exit(1);
    }, shutdownTimeoutMs);
    force.unref();
    stoppable.stop(reason).then(
      () => {
        logger.flush();
        process.exit(code);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        logger.flush();
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => exitAfterStop('SIGTERM', 0));
  process.once('SIGINT', () => exitAfterStop('SIGINT', 0));
  // An error nobody expected leaves the process in an unknown state: stop, drain, exit.
  const fatal = (error: unknown) => {
    logger.fatal({ err: error }, 'unexpected error; shutting down');
    exitAfterStop('fatal error', 1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
}
