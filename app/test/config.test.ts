/** Configuration: validated once at start, one line per bad variable, non-zero exit. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError, loadConfig, loadMigrationConfig } from '../src/config';

const valid = {
  DATABASE_URL: 'postgres://walks@127.0.0.1:5432/walks',
  FIREBASE_PROJECT_ID: 'tekutoko-dev-example',
};

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

it('applies the documented defaults', () => {
  expect(loadConfig(valid)).toMatchObject({
    appEnv: 'local',
    port: 8080,
    metricsPort: 9464,
    dbPoolMax: 10,
    shutdownTimeoutMs: 25_000,
    rolloutPercent: 0,
    trustProxy: 0,
    clientLogRateLimit: 30,
    clientLogCoordinateDecimals: 2,
    logLevel: 'info',
    deployed: false,
  });
});

it('reports every bad variable on its own line, naming it', () => {
  const found = problems({
    APP_ENV: 'production',
    PORT: 'eighty',
    METRICS_PORT: '70000',
    DB_POOL_MAX: '0',
    ROLLOUT_PERCENT: '101',
    LOG_LEVEL: 'loud',
    SHUTDOWN_TIMEOUT_MS: '-1',
  });
  for (const name of [
    'APP_ENV',
    'PORT',
    'METRICS_PORT',
    'DATABASE_URL',
    'DB_POOL_MAX',
    'FIREBASE_PROJECT_ID',
    'ROLLOUT_PERCENT',
    'LOG_LEVEL',
    'SHUTDOWN_TIMEOUT_MS',
  ]) {
    expect(found.filter((line) => line.startsWith(`${name}: `))).toHaveLength(1);
  }
  for (const line of found) expect(line).not.toContain('\n');
});

it.each(['dev', 'staging', 'prod', 'preview'])(
  'refuses FIREBASE_AUTH_EMULATOR_HOST when APP_ENV=%s',
  (appEnv) => {
    const found = problems({
      ...valid,
      APP_ENV: appEnv,
      FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1:9099',
      SESSION_SIGNING_KEYS_FILE: '/var/run/secrets/keys.json',
      WALK_IMAGES_BUCKET: 'example-walk-images',
    });
    expect(found).toEqual([
      expect.stringMatching(/^FIREBASE_AUTH_EMULATOR_HOST: must not be set when APP_ENV=/),
    ]);
  },
);

it('accepts the emulator locally and in tests', () => {
  for (const appEnv of ['local', 'test']) {
    expect(
      loadConfig({ ...valid, APP_ENV: appEnv, FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1:9099' })
        .firebaseAuthEmulatorHost,
    ).toBe('127.0.0.1:9099');
  }
});

it('requires a signing key ring in deployed environments', () => {
  expect(problems({ ...valid, APP_ENV: 'prod', WALK_IMAGES_BUCKET: 'example-walk-images' })).toEqual([
    expect.stringMatching(/^SESSION_SIGNING_KEYS_FILE: is required/),
  ]);
});

describe('walk images storage', () => {
  const deployed = { ...valid, APP_ENV: 'prod', SESSION_SIGNING_KEYS_FILE: '/var/run/secrets/keys.json' };

  it('requires the bucket deployed, and then signs with the identity (no endpoint, no key)', () => {
    expect(problems(deployed)).toEqual([
      expect.stringMatching(/^WALK_IMAGES_BUCKET: is required when APP_ENV=prod/),
    ]);
    expect(loadConfig({ ...deployed, WALK_IMAGES_BUCKET: 'example-walk-images' }).storage).toEqual({
      bucket: 'example-walk-images',
      apiEndpoint: undefined,
      signingCredentialsFile: undefined,
      thumbnailMaxBytes: 5 * 1024 * 1024,
      uploadUrlTtlSeconds: 600,
      readUrlTtlSeconds: 3600,
    });
  });

  it('refuses the local stand-in and its key when deployed', () => {
    const found = problems({
      ...deployed,
      WALK_IMAGES_BUCKET: 'example-walk-images',
      STORAGE_API_ENDPOINT: 'http://127.0.0.1:9199',
      STORAGE_SIGNING_CREDENTIALS_FILE: '/tmp/key.json',
    });
    expect(found).toEqual([
      expect.stringMatching(/^STORAGE_API_ENDPOINT: must not be set when APP_ENV=prod/),
      expect.stringMatching(/^STORAGE_SIGNING_CREDENTIALS_FILE: must not be set when APP_ENV=prod/),
    ]);
  });

  it('locally: no bucket means no storage; the endpoint comes with its key', () => {
    expect(loadConfig(valid).storage).toBeUndefined();
    expect(
      problems({
        ...valid,
        WALK_IMAGES_BUCKET: 'local-walk-images',
        STORAGE_API_ENDPOINT: 'http://127.0.0.1:9199',
      }),
    ).toEqual([
      expect.stringMatching(
        /^STORAGE_SIGNING_CREDENTIALS_FILE: STORAGE_API_ENDPOINT and STORAGE_SIGNING_CREDENTIALS_FILE go together/,
      ),
    ]);
    expect(
      loadConfig({
        ...valid,
        WALK_IMAGES_BUCKET: 'local-walk-images',
        STORAGE_API_ENDPOINT: 'http://127.0.0.1:9199/',
        STORAGE_SIGNING_CREDENTIALS_FILE: '/tmp/key.json',
      }).storage,
    ).toMatchObject({ apiEndpoint: 'http://127.0.0.1:9199', signingCredentialsFile: '/tmp/key.json' });
  });

  it('refuses a bucket name Cloud Storage would refuse and sizes out of range', () => {
    const found = problems({ ...valid, WALK_IMAGES_BUCKET: 'Not A Bucket', THUMBNAIL_MAX_BYTES: '10' });
    expect(found).toEqual([
      expect.stringMatching(/^WALK_IMAGES_BUCKET: must be a Cloud Storage bucket name/),
      expect.stringMatching(/^THUMBNAIL_MAX_BYTES: must be at least 1024/),
    ]);
  });
});

it('never echoes the value of a URL or key variable', () => {
  const found = problems({ ...valid, DATABASE_URL: 'mysql://secret-password@db' });
  expect(found.join('\n')).not.toContain('secret-password');
});

it('gives the migrations Job only what it needs', () => {
  expect(loadMigrationConfig({ DATABASE_URL: valid.DATABASE_URL })).toEqual({
    databaseUrl: valid.DATABASE_URL,
    logLevel: 'info',
  });
});

it('makes the server exit non-zero with one line per bad variable', () => {
  const result = spawnSync(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(__dirname, '../src/server.ts')],
    {
      env: { PATH: process.env.PATH, PORT: 'x', APP_ENV: 'prod', FIREBASE_AUTH_EMULATOR_HOST: '127.0.0.1:1' },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  expect(result.status).toBe(1);
  const errors = result.stderr.trim().split('\n');
  expect(errors).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^config error: PORT: /),
      expect.stringMatching(/^config error: DATABASE_URL: /),
      expect.stringMatching(/^config error: FIREBASE_AUTH_EMULATOR_HOST: /),
    ]),
  );
  expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack trace
});

it('npm start reports each bad variable on its own line before starting anything (no stack)', () => {
  const result = spawnSync(
    process.execPath,
    ['--require', 'tsx/cjs', path.join(__dirname, '../dev/local-env.ts')],
    {
      env: { PATH: process.env.PATH, PORT: 'abc', METRICS_PORT: '70000', LOCAL_PG_PORT: 'x' },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  expect(result.status).toBe(1);
  expect(result.stderr.trim().split('\n')).toEqual([
    'config error: PORT: must be a whole number between 0 and 65535 (got "abc")',
    'config error: METRICS_PORT: must be at most 65535 (got "70000")',
    'config error: LOCAL_PG_PORT: must be a port number (got "x")',
  ]);
});
