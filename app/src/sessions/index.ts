/**
 * The sessions component, assembled from the service's config and shared
 * dependencies: key ring, access tokens, revocation list, verifier, service
 * and HTTP routes. See docs/sessions.md.
 */
import type { Pool } from 'pg';
import type { AccessTokenVerifier, TokenVerifier } from '../auth';
import type { Config } from '../config';
import type { HttpComponent } from '../http/component';
import type { Clock, Lifecycle } from '../lifecycle';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { AccessTokens } from './access-tokens';
import { createFirebaseAccounts, type FirebaseAccounts } from './firebase-accounts';
import { generateSigningJwk, KeyRing, keyRingJson } from './key-ring';
import { RevokedSessions } from './revoked-sessions';
import { sessionsComponent } from './routes';
import { SessionService } from './service';
import { createAccessTokenVerifier } from './verifier';

export { AccessTokens, ACCESS_TOKEN_TTL_SECONDS } from './access-tokens';
export { KeyRing, KeyRingError, generateSigningJwk, keyRingJson, type SigningJwk } from './key-ring';
export { RevokedSessions } from './revoked-sessions';
export { SessionService, SESSION_POLICY } from './service';

export type SessionsConfig = Pick<
  Config,
  | 'deployed'
  | 'firebaseProjectId'
  | 'sessionSigningKeys'
  | 'sessionSigningKeysFile'
  | 'sessionIssuer'
  | 'sessionAudience'
  | 'sessionLoginRateLimit'
  | 'sessionRefreshRateLimit'
>;

export interface SessionsDeps {
  readonly config: SessionsConfig;
  readonly pool: Pool;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly lifecycle?: Lifecycle;
  /** Override the key ring (tests); otherwise read from the config. */
  readonly keyRing?: KeyRing;
  /** Override the Firebase account lookup; otherwise firebase-admin for config.firebaseProjectId. */
  readonly accounts?: FirebaseAccounts;
}

export interface Sessions {
  readonly keyRing: KeyRing;
  readonly accessTokens: AccessTokens;
  readonly revokedSessions: RevokedSessions;
  readonly verifier: AccessTokenVerifier;
  readonly service: SessionService;
  /** The HTTP routes; `firebase` verifies the ID tokens presented at login. */
  component(firebase: TokenVerifier): HttpComponent;
}

/** The configured ring; outside deployed environments a missing ring is replaced by a throwaway one. */
function configuredKeyRing(config: SessionsConfig, logger: Logger): KeyRing {
  if (config.sessionSigningKeys || config.sessionSigningKeysFile || config.deployed) {
    return KeyRing.load({ inline: config.sessionSigningKeys, file: config.sessionSigningKeysFile });
  }
  logger.warn(
    'no SESSION_SIGNING_KEYS set: signing with a throwaway key; sessions end when the process stops',
  );
  return KeyRing.parse(keyRingJson([generateSigningJwk('ephemeral')]));
}

export function createSessions(deps: SessionsDeps): Sessions {
  const { config, pool, clock, logger, metrics } = deps;
  const keyRing = deps.keyRing ?? configuredKeyRing(config, logger);
  const accessTokens = new AccessTokens({
    keyRing,
    issuer: config.sessionIssuer,
    audience: config.sessionAudience,
    clock,
  });
  const revokedSessions = new RevokedSessions({ pool, clock, logger, lifecycle: deps.lifecycle });
  const accounts = deps.accounts ?? createFirebaseAccounts(config.firebaseProjectId);
  const service = new SessionService({
    pool,
    clock,
    logger,
    accessTokens,
    revokedSessions,
    metrics,
    accounts,
  });
  const verifier = createAccessTokenVerifier(accessTokens, revokedSessions);
  return {
    keyRing,
    accessTokens,
    revokedSessions,
    verifier,
    service,
    component: (firebase) =>
      sessionsComponent({
        service,
        firebase,
        accessTokens: verifier,
        metrics,
        rateLimits: {
          loginPerMinute: config.sessionLoginRateLimit,
          refreshPerMinute: config.sessionRefreshRateLimit,
        },
      }),
  };
}
