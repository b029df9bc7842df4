/** What the middleware attaches to every request. */
import type { Logger } from '../observability/logger';
import type { AuthenticatedUser } from '../auth';

declare module 'express-serve-static-core' {
  interface Request {
    /** The caller's X-Request-Id when sane, else a new UUID; echoed and logged. */
    requestId: string;
    /** The service's logger; while the request is served its lines carry request_id, trace and user_id. */
    log: Logger;
    /** Set by requireAuth. */
    user?: AuthenticatedUser;
  }
}

export {};
