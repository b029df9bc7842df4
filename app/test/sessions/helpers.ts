/** Shared setup of the sessions tests: the real app with an injected clock and key ring. */
import { getApps, initializeApp } from 'firebase-admin/app';
import { getAuth, type Auth } from 'firebase-admin/auth';
import type { Clock } from '../../src/lifecycle';
import type { FirebaseAccounts } from '../../src/sessions/firebase-accounts';
import {
  createSessions,
  generateSigningJwk,
  KeyRing,
  keyRingJson,
  type Sessions,
  type SigningJwk,
} from '../../src/sessions';
import {
  apiClient,
  harnessValue,
  startTestApp,
  useApp,
  type AppFixture,
  type ApiResponse,
  type TestApp,
  type TestDatabase,
} from '../harness';

/**
 * Real time plus whatever a test has advanced it by. It keeps running, so
 * sessions are never older than the emulator users (and their Firebase
 * `tokensValidAfterTime`) created after the app started, however slow the machine.
 */
export class FakeClock implements Clock {
  private offsetMs: number;

  /** `start`: what `now()` answers at construction (default: the real time). */
  constructor(start?: Date) {
    this.offsetMs = start ? start.getTime() - Date.now() : 0;
  }

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export const MINUTE_MS = 60_000;

export interface SessionsTestApp extends TestApp {
  readonly sessions: Sessions;
  readonly clock: FakeClock;
}

export interface SessionsAppOptions {
  readonly db: TestDatabase;
  readonly keys: readonly SigningJwk[];
  readonly clock?: FakeClock;
  readonly env?: Record<string, string>;
  /** Replace the Firebase account lookup (only to simulate a Firebase outage). */
  readonly accounts?: FirebaseAccounts;
}

/** The app as server.ts builds it, but with this clock and this key ring. */
export async function startSessionsApp(options: SessionsAppOptions): Promise<SessionsTestApp> {
  const clock = options.clock ?? new FakeClock();
  let sessions: Sessions | undefined;
  const app = await startTestApp({
    db: options.db,
    env: { SESSION_SIGNING_KEYS: keyRingJson(options.keys), ...options.env },
    deps: (base) => {
      sessions = createSessions({
        config: base.config,
        pool: base.pool,
        clock,
        logger: base.logger,
        metrics: base.metrics,
        lifecycle: base.lifecycle,
        accounts: options.accounts,
      });
      return { ...base, clock, sessions, verifiers: { ...base.verifiers, accessToken: sessions.verifier } };
    },
  });
  return Object.assign(app, { sessions: sessions as Sessions, clock });
}

/** For the whole test file: a fresh database and the sessions app on it (one fresh signing key unless given). */
export function useSessionsApp(
  options: Omit<SessionsAppOptions, 'db' | 'keys'> & { keys?: readonly SigningJwk[] } = {},
): AppFixture<SessionsTestApp> {
  return useApp((db) => startSessionsApp({ keys: [generateSigningJwk()], ...options, db }));
}

export interface SessionBody {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  user: { id: string; email: string | null; display_name: string | null };
}

/** A session, or (on failure) the error envelope. */
export type SessionOrError = SessionBody & {
  error: { code: string; message: string; details?: Array<{ field: string; issue: string }> };
};

export async function login(app: TestApp, idToken: string): Promise<ApiResponse<SessionOrError>> {
  return apiClient(app.url).post<SessionOrError>('/v1/sessions/login', { id_token: idToken });
}

export async function refresh(app: TestApp, refreshToken: string): Promise<ApiResponse<SessionOrError>> {
  return apiClient(app.url).post<SessionOrError>('/v1/sessions/refresh', { refresh_token: refreshToken });
}

/** firebase-admin against the run's Auth emulator (to disable users). */
export function emulatorAdmin(): Auth {
  const name = 'sessions-tests';
  const app =
    getApps().find((a) => a.name === name) ?? initializeApp({ projectId: harnessValue('projectId') }, name);
  return getAuth(app);
}

/** A route behind the bearer-token middleware (any walk endpoint): 200 when the token is accepted. */
export async function authenticatedStatus(app: TestApp, token: string): Promise<number> {
  return (await apiClient(app.url, `Bearer ${token}`).get('/v1/walks')).status;
}

export async function counterValue(
  metric: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> },
  labels: Record<string, string> = {},
): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}

export { keyRingJson, KeyRing };
