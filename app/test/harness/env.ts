/** Names of the variables global setup passes to the test workers. */
export const HARNESS_ENV = {
  /** postgres:// URL of the server's admin database. */
  adminUrl: 'TEST_PG_ADMIN_URL',
  /** A migrated database new test databases are copied from. */
  templateDb: 'TEST_PG_TEMPLATE_DB',
  /** host:port of the Auth emulator (also exported as FIREBASE_AUTH_EMULATOR_HOST for firebase-admin). */
  emulatorHost: 'FIREBASE_AUTH_EMULATOR_HOST',
  projectId: 'FIREBASE_PROJECT_ID',
} as const;

export function harnessValue(name: keyof typeof HARNESS_ENV): string {
  const value = process.env[HARNESS_ENV[name]];
  if (!value)
    throw new Error(`${HARNESS_ENV[name]} is not set: run the tests through jest (global setup sets it)`);
  return value;
}

/** postgres:// URL of another database on the same server. */
export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}
