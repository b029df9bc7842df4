/**
 * Metric labels from client input, bounded: a label value a client chooses
 * freely would let one client create series without limit (and cost).
 */

/**
 * The operations the app instruments. No authoritative list exists: the app's
 * source is not in this repository and the API's starting point (API.md) names
 * none, so these are assumed names, not the app's contract. Anything else folds
 * into `other`, which keeps the series bounded whatever the app sends; align
 * the list once the app publishes its operation names.
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
