/**
 * docs/api.md is the HTTP contract in words: it documents exactly the
 * operations the running service publishes at /openapi.json, with the same
 * statuses, and the README points at it (nothing outside the repository).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, startTestApp, type TestApp, type TestDatabase } from './harness';

const ROOT = path.join(__dirname, '..', '..');
let db: TestDatabase;
let app: TestApp;
let spec: { paths: Record<string, Record<string, { responses?: Record<string, unknown> }>> };

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp({ db });
  spec = (await (await fetch(`${app.url}/openapi.json`)).json()) as typeof spec;
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
});

/** `### GET /v1/walks/{id}` headings, each with the `Responses: 200, 404` line that follows. */
function documented(md: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of md.matchAll(/^### (GET|POST|PUT|PATCH|DELETE) (\S+)\n[\s\S]*?^Responses: ([\d, ]+)$/gm))
    out.set(`${m[1]} ${m[2]}`, m[3]!.split(/,\s*/).sort());
  return out;
}

it('documents every published operation with its statuses, and nothing else', () => {
  const published = new Map<string, string[]>();
  for (const [p, ops] of Object.entries(spec.paths))
    for (const [method, op] of Object.entries(ops))
      published.set(`${method.toUpperCase()} ${p}`, Object.keys(op.responses ?? {}).sort());
  const doc = documented(readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8'));
  expect(Object.fromEntries([...doc].sort())).toEqual(Object.fromEntries([...published].sort()));
});

it('the README links the contract inside the repository only', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(readme).toContain('(docs/api.md)');
  const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!);
  expect(links.filter((l) => l.startsWith('..') || l.startsWith('/'))).toEqual([]);
});
