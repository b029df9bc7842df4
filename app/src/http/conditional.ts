/**
 * If-None-Match (RFC 9110, 13.1.2): `*` or a list of entity tags compared
 * weakly, so `W/"x"` matches `"x"`. A header that parses to nothing matches nothing.
 */
export function ifNoneMatchMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const wanted = opaque(etag);
  return header.split(',').some((tag) => opaque(tag) === wanted);
}
