/**
 * The served /openapi.json through the tools that consume it (issue 23):
 * Redocly CLI's recommended rules, then openapi-typescript, whose types an
 * openapi-fetch client compiles against before it calls the running service.
 * Run in a folder under node_modules/.cache so the client resolves the
 * repository's packages.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, emulatorUser, startTestApp, type TestApp, type TestDatabase } from './harness';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const bin = (pkg: string, file: string) =>
  path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
/** No telemetry or update check from Redocly CLI (the test runs offline). */
const QUIET = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };

let db: TestDatabase;
let app: TestApp;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  app = await startTestApp({ db });
  const cache = path.join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  dir = mkdtempSync(path.join(cache, 'openapi-client-'));
  const res = await fetch(`${app.url}/openapi.json`);
  writeFileSync(path.join(dir, 'openapi.json'), await res.text());
});
afterAll(async () => {
  await app?.close();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface RedoclyReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
}

it("passes Redocly CLI lint with the repository's rules (recommended), without errors or warnings", async () => {
  const out = await run(
    process.execPath,
    [
      bin('@redocly/cli', 'bin/cli.js'),
      'lint',
      'openapi.json',
      `--config=${path.join(ROOT, 'redocly.yaml')}`,
      '--format=json',
    ],
    { cwd: dir, env: QUIET, maxBuffer: 16 * 1024 * 1024 },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  const report = JSON.parse(out.stdout.slice(out.stdout.indexOf('{'))) as RedoclyReport;
  const problems = report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
  expect(problems).toEqual([]);
  expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
}, 120_000);

it('declares a 4xx response on every /v1 operation (the Redocly rule is off only for the probes)', async () => {
  const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  };
  const without = Object.entries(doc.paths)
    .filter(([p]) => p.startsWith('/v1/'))
    .flatMap(([p, ops]) => Object.entries(ops).map(([method, op]) => ({ name: `${method} ${p}`, op })))
    .filter(({ op }) => !Object.keys(op.responses).some((code) => code.startsWith('4')))
    .map(({ name }) => name);
  expect(without).toEqual([]);
});

it('generates a TypeScript client with openapi-typescript that compiles and calls the service', async () => {
  await run(
    process.execPath,
    [
      bin('openapi-typescript', 'bin/cli.js'),
      'openapi.json',
      // fields with a default are optional in a request (openapi-typescript assumes responses)
      '--default-non-nullable=false',
      '-o',
      'schema.ts',
    ],
    {
      cwd: dir,
    },
  );
  writeFileSync(
    path.join(dir, 'client.ts'),
    `import createClient from 'openapi-fetch';
import type { paths } from './schema';

async function main(): Promise<void> {
  const api = createClient<paths>({ baseUrl: process.env.BASE_URL });
  const login = await api.POST('/v1/sessions/login', { body: { id_token: process.env.ID_TOKEN ?? '' } });
  if (!login.data) throw new Error(\`login: \${login.response.status}\`);
  const headers = { Authorization: \`Bearer \${login.data.access_token}\` };
  const created = await api.POST('/v1/walks', { headers, body: { title: 'Morning loop', status: 'in_progress' } });
  if (!created.data) throw new Error(\`create: \${JSON.stringify(created.error)}\`);
  const id: string = created.data.id;
  const page = await api.GET('/v1/walks', { headers, params: { query: { limit: 5 } } });
  const one = await api.GET('/v1/walks/{id}', { headers, params: { path: { id } } });
  const bad = await api.GET('/v1/walks', { headers, params: { query: { limit: 500 } } });
  console.log(JSON.stringify({
    created: created.response.status,
    listed: page.data?.walks.map((w) => w.title),
    version: one.data?.version,
    badLimit: bad.error?.error.code,
  }));
}
main().catch((error: unknown) => { console.error(error); process.exit(1); });
`,
  );
  // the generated types are usable as written: strict compile of the client against them
  await run(
    process.execPath,
    [
      bin('typescript', 'bin/tsc'),
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--module',
      'nodenext',
      '--target',
      'es2022',
      'client.ts',
    ],
    { cwd: dir },
  ).catch((error: { stdout?: string }) => {
    throw new Error(`the generated client does not compile:\n${error.stdout}`);
  });
  const user = await emulatorUser();
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'client.ts'], {
    cwd: dir,
    env: { ...process.env, BASE_URL: app.url, ID_TOKEN: user.idToken },
  });
  expect(JSON.parse(stdout)).toEqual({
    created: 201,
    listed: ['Morning loop'],
    version: 1,
    badLimit: 'INVALID_REQUEST',
  });
}, 120_000);

it('names the server it was fetched from, for generators that need a base URL', async () => {
  const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as { servers: { url: string }[] };
  expect(doc.servers).toEqual([{ url: app.url, description: expect.any(String) }]);
});
