/**
 * Where configuration comes from, lowest first: cdktf.json "context",
 * CDKTF_CONTEXT_JSON (what the cdktf CLI passes), `-c key=value` arguments,
 * then explicit context; environment variables (TEKUTOKO_*, PREVIEW_PR) fill
 * keys no context sets (see environments.ts). Kept free of cdktf imports so
 * the operator scripts load fast.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { ConfigInput } from './environments';

/** cdktf.json at the repository root. */
export const CDKTF_JSON_PATH = join(__dirname, '..', '..', 'cdktf.json');

export interface ContextSources {
  /** Highest-priority context (tests, scripts). */
  readonly context?: ConfigInput;
  /** @default process.env */
  readonly env?: ConfigInput;
  /** @default process.argv.slice(2) — parsed for `-c key=value` / `--context key=value`. */
  readonly argv?: readonly string[];
  /** @default true — read cdktf.json "context" and CDKTF_CONTEXT_JSON. */
  readonly readContextFiles?: boolean;
}

/** `-c key=value` pairs from the command line. */
export function contextFromArgv(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const inline = /^--context=(.*)$/.exec(arg)?.[1];
    const pair = inline ?? (arg === '-c' || arg === '--context' ? argv[++i] : undefined);
    if (pair === undefined) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`context argument must be key=value, got "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** The "context" object of cdktf.json ({} when the file or key is absent). */
export function readCdktfJsonContext(path = CDKTF_JSON_PATH): Record<string, unknown> {
  try {
    const json = JSON.parse(readFileSync(path, 'utf8')) as { context?: Record<string, unknown> };
    return { ...(json.context ?? {}) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`cannot read the context of ${path}: ${(e as Error).message}`);
  }
}

/** Merged context and the env-var map configuration is loaded from. */
export function resolveContext(sources: ContextSources = {}): { context: ConfigInput; env: ConfigInput } {
  const env = sources.env ?? process.env;
  let files: Record<string, unknown> = {};
  if (sources.readContextFiles !== false) {
    const raw = env.CDKTF_CONTEXT_JSON;
    const fromCli = typeof raw === 'string' && raw !== '' ? (JSON.parse(raw) as Record<string, unknown>) : {};
    files = { ...readCdktfJsonContext(), ...fromCli };
  }
  const context = {
    ...files,
    ...contextFromArgv(sources.argv ?? process.argv.slice(2)),
    ...(sources.context ?? {}),
  };
  return { context, env };
}
