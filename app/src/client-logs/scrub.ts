/**
 * What must not leave the service in a client's log entry: tokens and other
 * secrets, e-mail addresses, identities the client claims (attribution comes
 * from the verified token only) and locations more precise than configured.
 * Applied to every string and number of an entry, by key and by content.
 */

export interface ScrubOptions {
  /** Decimal places a coordinate keeps (2 ≈ 1.1 km of latitude). */
  readonly coordinateDecimals: number;
}

export const REDACTED = '[REDACTED]';
export const REDACTED_EMAIL = '[EMAIL]';

/** Keys whose values are secrets whatever they look like. */
const SECRET_KEY = /token|secret|passw|authori[sz]ation|cookie|api[-_]?key|credential|signature/i;
/** Keys that would name a user: the batch's user is the token's, never a claim inside it. */
const IDENTITY_KEY =
  /^(user[-_]?id|uid|e[-_]?mail|user[-_]?e[-_]?mail|display[-_]?name|user[-_]?name|phone(_number)?)$/i;
const COORDINATE_KEY = /^(lat|latitude|lon|lng|long|longitude)$/i;

const JWT = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;
const BEARER = /\bBearer\s+[\w\-.~+/=]+/gi;
const SECRET_ASSIGNMENT =
  /\b([\w-]*(?:token|secret|password|api[-_]?key))(["']?\s*[:=]\s*["']?)([^\s"',;&}]+)/gi;
const EMAIL = /[\w.%+-]+@[A-Za-z\d-]+(?:\.[A-Za-z\d-]+)*\.[A-Za-z]{2,}/g;
const NAMED_COORDINATE = /\b(lat|latitude|lon|lng|long|longitude)(["']?\s*[:=]\s*["']?)(-?\d{1,3}\.\d+)/gi;
const COORDINATE_PAIR = /(?<![\w.])(-?\d{1,2}\.\d+)(\s*,\s*)(-?\d{1,3}\.\d+)(?![\w.])/g;

function roundCoordinate(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}

/** A coordinate written with more decimals than allowed, rounded; anything else as it was. */
function roundedText(text: string, decimals: number): string {
  const value = Number(text);
  const given = text.split('.')[1]?.length ?? 0;
  return Number.isFinite(value) && given > decimals
    ? roundCoordinate(value, decimals).toFixed(decimals)
    : text;
}

/** Free text: tokens, e-mail addresses and coordinates found inside it. */
export function scrubText(text: string, { coordinateDecimals }: ScrubOptions): string {
  return text
    .replace(JWT, REDACTED)
    .replace(BEARER, `Bearer ${REDACTED}`)
    .replace(SECRET_ASSIGNMENT, (_m, key: string, sep: string) => `${key}${sep}${REDACTED}`)
    .replace(EMAIL, REDACTED_EMAIL)
    .replace(
      NAMED_COORDINATE,
      (_m, key: string, sep: string, value: string) =>
        `${key}${sep}${roundedText(value, coordinateDecimals)}`,
    )
    .replace(COORDINATE_PAIR, (match, lat: string, sep: string, lon: string) =>
      Math.abs(Number(lat)) <= 90 && Math.abs(Number(lon)) <= 180
        ? `${roundedText(lat, coordinateDecimals)}${sep}${roundedText(lon, coordinateDecimals)}`
        : match,
    );
}

/** A copy of `value` with every field scrubbed; `key` is the field it sits under. */
export function scrub<T>(value: T, options: ScrubOptions, key = ''): T {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key) || IDENTITY_KEY.test(key)) return REDACTED as T;
    if (COORDINATE_KEY.test(key) && /^\s*-?\d{1,3}(\.\d+)?\s*$/.test(value))
      return roundedText(value.trim(), options.coordinateDecimals) as T;
    return scrubText(value, options) as T;
  }
  if (typeof value === 'number') {
    return (COORDINATE_KEY.test(key) ? roundCoordinate(value, options.coordinateDecimals) : value) as T;
  }
  if (Array.isArray(value)) return value.map((item) => scrub(item, options, key)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [scrubText(k, options), scrub(v, options, k)]),
    ) as T;
  }
  return value;
}
