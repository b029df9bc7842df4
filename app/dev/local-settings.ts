/**
 * Where the local environment lives, for every command that starts it or
 * talks to it (npm start/dev, token, seed, reset): the same variables and
 * defaults everywhere, so `LOCAL_AUTH_EMULATOR_PORT=19099 npm start` and
 * `LOCAL_AUTH_EMULATOR_PORT=19099 npm run token` meet.
 */
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** The variables a person may set, with their defaults. */
export const LOCAL_DEFAULTS = {
  PORT: '8080',
  LOCAL_AUTH_EMULATOR_PORT: '9099',
  LOCAL_PG_PORT: '54329',
  LOCAL_STORAGE_PORT: '9199',
  LOCAL_DATA_DIR: '.local',
} as const;

type Name = keyof typeof LOCAL_DEFAULTS;

function setting(name: Name, env: NodeJS.ProcessEnv): string {
  return env[name]?.trim() || LOCAL_DEFAULTS[name];
}

export function localDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(ROOT, setting('LOCAL_DATA_DIR', env));
}

/** The data folder as a person reads it: `.local` inside the checkout, absolute elsewhere. */
export function shownDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const relative = path.relative(ROOT, localDataDir(env));
  return relative && !relative.startsWith('..') ? relative : localDataDir(env);
}

export function localAuthEmulatorPort(env: NodeJS.ProcessEnv = process.env): number {
  return Number(setting('LOCAL_AUTH_EMULATOR_PORT', env));
}

/** The storage stand-in (app/dev/storage-stand-in.ts); its base URL is STORAGE_API_ENDPOINT. */
export function localStoragePort(env: NodeJS.ProcessEnv = process.env): number {
  return Number(setting('LOCAL_STORAGE_PORT', env));
}

export function localPgPort(env: NodeJS.ProcessEnv = process.env): number {
  return Number(setting('LOCAL_PG_PORT', env));
}

/** FIREBASE_AUTH_EMULATOR_HOST when set (firebase-admin's own variable), else the local emulator. */
export function localAuthEmulatorHost(env: NodeJS.ProcessEnv = process.env): string {
  return env.FIREBASE_AUTH_EMULATOR_HOST?.trim() || `127.0.0.1:${localAuthEmulatorPort(env)}`;
}

export function localApiUrl(env: NodeJS.ProcessEnv = process.env): string {
  return `http://127.0.0.1:${setting('PORT', env)}`;
}

function shellWord(value: string): string {
  return /^[\w./:@-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * `NAME=value ` for each of `names` set to something other than its default:
 * the prefix that makes a printed command reach this environment from another terminal.
 */
export function localEnvPrefix(names: readonly Name[], env: NodeJS.ProcessEnv = process.env): string {
  return names
    .filter((name) => setting(name, env) !== LOCAL_DEFAULTS[name])
    .map((name) => `${name}=${shellWord(setting(name, env))} `)
    .join('');
}

/**
 * fetch for a command that ends: walk-service keeps idle connections for 620 s
 * (server.ts, for the load balancer), and an idle keep-alive socket would hold
 * the command's process open for minutes after its work is done.
 */
export function fetchOnce(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), connection: 'close' },
  });
}
