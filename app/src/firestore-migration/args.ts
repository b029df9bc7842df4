/** Command line of `npm run migrate:firestore`. */
import { parseArgs } from 'node:util';
import type { Scope } from './reader';

export const USAGE = `usage: npm run migrate:firestore -- [--dry-run] [--user <uid>] [--cohort <pct>] [--since <time>] [--verify]
                                   [--page-size <n>] [--thumbnails-to <bucket> [--thumbnail-url-base <url>]]

  --dry-run        read Firestore and PostgreSQL, report what a run would do, write nothing
  --user <uid>     only this user's walks and consents
  --cohort <pct>   only users in the backend cohort at this rollout percentage (GET /v1/config);
  --cohort <a>..<b>  only the users a wave from a % to b % adds (e.g. 10..50)
  --since <time>   only documents Firestore updated (its own server time, not the app's updated_at)
                   at or after <time>: RFC 3339 (2026-11-20T00:00:00Z) or a duration back from now
                   (90m, 6h, 2d). Every run lists all documents in scope and reads only those whose
                   update time moved since it took them, so a run without --since is cheap too.
  --verify         compare Firestore and PostgreSQL for the scope; exit 1 on any difference
  --page-size <n>  documents per page and per transaction (1..500, default 100)
  --thumbnails-to <bucket>    copy walk thumbnails from Firebase Storage into this bucket and
                   rewrite the walks' URLs (the old objects and URLs stay readable)
  --thumbnail-url-base <url>  where that bucket is served (default https://storage.googleapis.com/<bucket>)
  --yes            a run that writes, against a real project, without asking first

Environment: DATABASE_URL, FIREBASE_PROJECT_ID; for the emulators FIRESTORE_EMULATOR_HOST,
FIREBASE_AUTH_EMULATOR_HOST and FIREBASE_STORAGE_EMULATOR_HOST.
Prints a JSON report on stdout and progress on stderr. Exit codes: 0 done, 1 verify found
differences or the run failed, 2 bad usage, 3 stopped early (run again to resume).`;

export interface CliArgs {
  readonly command: 'run' | 'dry-run' | 'verify' | 'help';
  readonly scope: Scope;
  readonly pageSize: number;
  readonly thumbnails?: { readonly bucket: string; readonly urlBase?: string };
  /** Write without asking (a run against a real project asks first). */
  readonly yes: boolean;
}

export class UsageError extends Error {}

const DURATION = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export function parseSince(value: string, now: Date = new Date()): Date {
  const duration = DURATION.exec(value);
  if (duration) {
    return new Date(now.getTime() - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]);
  }
  if (RFC3339.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new UsageError(`--since must be an RFC 3339 time or a duration like 6h, got "${value}"`);
}

const PERCENT = String.raw`(\d{1,3}(?:\.\d+)?)`;
const COHORT = new RegExp(String.raw`^(?:${PERCENT}\.\.)?${PERCENT}$`);

/** `50` → users in the cohort at 50 %; `10..50` → the users the 50 % wave adds to the 10 % one. */
export function parseCohort(value: string): { from: number; to: number } {
  const match = COHORT.exec(value.trim());
  const from = match?.[1] === undefined ? 0 : Number(match[1]);
  const to = Number(match?.[2]);
  if (!match || to > 100 || from >= to) {
    throw new UsageError(`--cohort must be a percentage (0..100] or a range a..b with a < b, got "${value}"`);
  }
  return { from, to };
}

export function parseCliArgs(argv: string[], now: Date = new Date()): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'dry-run': { type: 'boolean', default: false },
        verify: { type: 'boolean', default: false },
        user: { type: 'string' },
        since: { type: 'string' },
        cohort: { type: 'string' },
        'page-size': { type: 'string' },
        'thumbnails-to': { type: 'string' },
        'thumbnail-url-base': { type: 'string' },
        yes: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values['dry-run'] && values.verify) throw new UsageError('--dry-run and --verify exclude each other');
  if (values.user !== undefined && values.user.trim() === '') throw new UsageError('--user needs a uid');
  const pageSize = values['page-size'] === undefined ? 100 : Number(values['page-size']);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 500) {
    throw new UsageError(`--page-size must be an integer in 1..500, got "${values['page-size']}"`);
  }
  const cohort = values.cohort === undefined ? undefined : parseCohort(values.cohort);
  const scope: Scope = {
    ...(cohort ? { cohort } : {}),
    ...(values.user !== undefined ? { userId: values.user } : {}),
    ...(values.since !== undefined ? { since: parseSince(values.since, now) } : {}),
  };
  const bucket = values['thumbnails-to'];
  const urlBase = values['thumbnail-url-base'];
  if (bucket !== undefined && !/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(bucket)) {
    throw new UsageError(`--thumbnails-to must be a bucket name, got "${bucket}"`);
  }
  if (urlBase !== undefined && (bucket === undefined || !/^https:\/\/[^\s]+$/.test(urlBase))) {
    throw new UsageError('--thumbnail-url-base needs --thumbnails-to and an https:// URL');
  }
  const command = values.help ? 'help' : values.verify ? 'verify' : values['dry-run'] ? 'dry-run' : 'run';
  return {
    command,
    scope,
    pageSize,
    yes: values.yes,
    ...(bucket !== undefined
      ? { thumbnails: { bucket, ...(urlBase !== undefined ? { urlBase } : {}) } }
      : {}),
  };
}
