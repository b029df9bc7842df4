/** What the middleware attaches to every request. */
import type { Logger } from '../observability/logger';
import type { AuthenticatedUser } from '../auth';

declare module 'express-serve-static-core' {
  interface Request {
    /** The caller's X-Request-Id when sane, else a new UUID; echoed and logged. */
    requestId: string;
    /** Child logger carrying request_id and trace. */
    log: Logger;
    /** Set by requireAuth. */
    user?: AuthenticatedUser;
  }
}

export {};
