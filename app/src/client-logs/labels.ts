/**
 * Metric labels from client input, bounded: a label value a client chooses
 * freely would let one client create series without limit (and cost).
 */

/**
 * The operations the app instruments, as it names them. A new one is added
 * here when the app starts logging it; until then it counts as `other`.
 */
export const CLIENT_OPERATIONS = [
  'appLaunch',
  'signIn',
  'signOut',
  'sessionRefresh',
  'walkStart',
  'walkPause',
  'walkResume',
  'walkFinish',
  'walkSave',
  'walkSync',
  'walkDelete',
  'walkList',
  'locationUpdate',
  'locationPermission',
  'backgroundTask',
  'imageUpload',
  'thumbnailGenerate',
  'configFetch',
  'consentUpdate',
  'networkRequest',
] as const;

export const OTHER = 'other';
const KNOWN_OPERATIONS = new Set<string>(CLIENT_OPERATIONS);

export function operationLabel(operation: string): string {
  return KNOWN_OPERATIONS.has(operation) ? operation : OTHER;
}

/** Distinct app versions one process labels; later ones count as `other` until it restarts. */
export const MAX_APP_VERSION_LABELS = 20;

/**
 * `major.minor.patch` of the app version (no pre-release or build suffix),
 * first come first labelled up to `max` distinct values: releases arrive a few
 * a month, so the cap is only reached by a client inventing versions.
 */
export function appVersionLabeller(max = MAX_APP_VERSION_LABELS): (version: string) => string {
  const seen = new Set<string>();
  return (version) => {
    const core = /^\d{1,4}(\.\d{1,4}){1,2}/.exec(version)?.[0];
    if (!core) return OTHER;
    if (seen.has(core)) return core;
    if (seen.size >= max) return OTHER;
    seen.add(core);
    return core;
  };
}
