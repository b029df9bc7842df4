/**
 * The domain knows nothing of HTTP (STYLE.md, "Node.js Best Practices"): its
 * errors are DomainErrors, mapped to a status at the edge, and SQL helpers
 * exist once. Checked on the imports and declarations of the source itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DomainError, type DomainErrorKind } from '../src/domain-errors';
import { ERROR_STATUS, toAppError } from '../src/http/errors';

const SRC = path.resolve(__dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(path.join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [path.join(dir, entry.name)]
        : [],
  );
}

const files = sourceFiles(SRC).map((file) => ({
  name: path.relative(SRC, file),
  text: readFileSync(file, 'utf8'),
}));
const importsOf = (text: string) => [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => m[1]!);

/** Modules that speak HTTP: the http/ folder, each component's routes, the bearer-token middleware. */
const isEdge = (name: string) =>
  name.startsWith('http/') || name.endsWith('/routes.ts') || name === 'auth/middleware.ts';

describe('layering', () => {
  it('lets only the HTTP edge use the HTTP error type', () => {
    const offenders = files
      .filter((file) => !isEdge(file.name))
      .filter((file) =>
        importsOf(file.text).some(
          (spec) => path.resolve(SRC, path.dirname(file.name), spec) === path.join(SRC, 'http/errors'),
        ),
      )
      .map((file) => file.name);
    expect(offenders).toEqual([]);
  });

  it('maps every domain error kind to one status, with the field it names', () => {
    const expected: Record<DomainErrorKind, number> = {
      invalid: 400,
      unauthenticated: 401,
      not_found: 404,
      conflict: 409,
      precondition_failed: 412,
      unavailable: 503,
    };
    for (const [kind, status] of Object.entries(expected) as Array<[DomainErrorKind, number]>) {
      const mapped = toAppError(new DomainError(kind, `a ${kind} failure`, { field: 'f', issue: 'i' }));
      expect([kind, mapped?.status, mapped?.message, mapped?.details]).toEqual([
        kind,
        status,
        `a ${kind} failure`,
        [{ field: 'f', issue: 'i' }],
      ]);
      expect(ERROR_STATUS[mapped!.code]).toBe(status);
    }
    expect(toAppError(DomainError.unavailable('later'))?.retryAfterSeconds).toBe(5);
  });

  it('declares the Queryable type once, in db/pool.ts', () => {
    const declaring = files
      .filter((file) => /(?:type|interface) Queryable\b/.test(file.text))
      .map((file) => file.name);
    expect(declaring).toEqual(['db/pool.ts']);
  });

  it('has one transaction helper, in db/pool.ts', () => {
    const declaring = files.filter((file) => /\bBEGIN\b/.test(file.text)).map((file) => file.name);
    expect(declaring).toEqual(['db/pool.ts']);
  });
});
