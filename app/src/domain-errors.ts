/**
 * Failures the domain (walks, sessions, token verification) reports, in its
 * own words. The HTTP edge (http/errors.ts) maps each kind to a status and
 * the error envelope; nothing here knows about HTTP.
 */

export type DomainErrorKind =
  /** The input breaks a rule the schema could not express (e.g. body id ≠ path id). */
  | 'invalid'
  /** Missing, or not the caller's: the two are never told apart. */
  | 'not_found'
  | 'conflict'
  /** A condition the caller set (If-Match) does not hold. */
  | 'precondition_failed'
  /** The caller's credentials are missing, wrong, expired or revoked. */
  | 'unauthenticated'
  /** A dependency cannot decide right now; retrying later may succeed. */
  | 'unavailable';

export interface DomainErrorOptions {
  /** The input field the failure is about (kind `invalid`). */
  readonly field?: string;
  /** A short machine-readable issue for `field`, e.g. `mismatch`. */
  readonly issue?: string;
  readonly cause?: unknown;
}

/** An expected failure; its message is safe to show the caller. */
export class DomainError extends Error {
  readonly field: string | undefined;
  readonly issue: string | undefined;

  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'DomainError';
    this.field = options.field;
    this.issue = options.issue;
  }

  static invalid(field: string, issue: string, message: string): DomainError {
    return new DomainError('invalid', message, { field, issue });
  }

  static notFound(what: string): DomainError {
    return new DomainError('not_found', `${what} not found`);
  }

  static unauthenticated(message: string, cause?: unknown): DomainError {
    return new DomainError('unauthenticated', message, { cause });
  }

  static unavailable(message: string, cause?: unknown): DomainError {
    return new DomainError('unavailable', message, { cause });
  }
}
