/**
 * Every command a person types follows one convention (app/src/cli.ts):
 * `--help` prints the usage and exits 0 before anything runs; an unknown
 * flag prints the problem and the usage line on stderr and exits 2. Each is
 * run as people run it: npm scripts through npm, the others through tsx.
 */
import { execFile } from 'child_process';
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';

const ROOT = join(__dirname, '..', '..');

interface Outcome {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** No DATABASE_URL, no cloud variables: help must not need them. */
const BARE_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(DATABASE_URL|TEKUTOKO_|PREVIEW_PR|FIREBASE_)/.test(k)),
);

function runCommand(command: readonly string[]): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      command[0]!,
      command.slice(1),
      { cwd: ROOT, env: BARE_ENV, timeout: 60_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ status, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

const NPM_SCRIPTS = [
  'synth',
  'cost',
  'env',
  'preview',
  'migrate',
  'migrate:firestore',
  'token',
  'bench',
  'start',
  'dev',
  'seed',
  'reset',
  'cutover',
  'ops-job',
  'policy',
  'remote-config',
];
const TSX_CLIS = [
  'scripts/actionlint.ts',
  'scripts/canary-wait.ts',
  'scripts/changed-stacks.ts',
  'scripts/cluster-credentials.ts',
  'scripts/detach-edge-policy.ts',
  'scripts/preview-sweep.ts',
  'scripts/stack-plan.ts',
  'scripts/stack-apply.ts',
  'scripts/migration-check.ts',
  'app/src/sessions/key-ring-cli.ts',
];
const commands: Record<string, readonly string[]> = {
  ...Object.fromEntries(NPM_SCRIPTS.map((s) => [`npm run ${s}`, ['npm', 'run', '-s', s, '--']])),
  ...Object.fromEntries(TSX_CLIS.map((f) => [`tsx ${f}`, [join(ROOT, 'node_modules', '.bin', 'tsx'), f]])),
};

const help = new Map<string, Outcome>();
const bogus = new Map<string, Outcome>();

beforeAll(async () => {
  // two at a time: the machine has two cores
  const jobs = Object.entries(commands).flatMap(([name, command]) => [
    async () => help.set(name, await runCommand([...command, '--help'])),
    async () => bogus.set(name, await runCommand([...command, '--bogus-flag'])),
  ]);
  const workers = [0, 1].map(async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) await job();
  });
  await Promise.all(workers);
}, 300_000);

describe.each(Object.keys(commands))('%s', (name) => {
  it('--help prints the usage on stdout and exits 0', () => {
    const out = help.get(name)!;
    expect({ status: out.status, stderr: out.stderr }).toEqual({ status: 0, stderr: '' });
    expect(out.stdout).toMatch(/^usage: /);
  });

  it('an unknown flag prints the problem and the usage line on stderr and exits 2', () => {
    const out = bogus.get(name)!;
    expect(out.status).toBe(2);
    expect(out.stderr).toContain("Unknown option '--bogus-flag'");
    expect(out.stderr).toMatch(/^usage: /m);
    expect(out.stdout).toBe('');
  });
});

it('npm run bench -- --help starts no benchmark', () => {
  const out = help.get('npm run bench')!;
  expect(out.stdout).not.toMatch(/building|req\/s/);
  expect(out.ms).toBeLessThan(20_000);
});

it('npm run migrate -- --help does not ask for DATABASE_URL', () => {
  expect(help.get('npm run migrate')!.stdout).not.toMatch(/config error/);
  expect(help.get('npm run migrate')!.stdout).toContain('DATABASE_URL');
});

it('covers every command-line entry point in scripts/ (a new one joins the list above)', () => {
  const entries = readdirSync(join(ROOT, 'scripts'))
    .filter((f) => f.endsWith('.ts'))
    .filter((f) => /process\.argv|runCli\(/.test(readFileSync(join(ROOT, 'scripts', f), 'utf8')))
    .map((f) => `scripts/${f}`);
  const viaNpm = [
    'scripts/synth.ts',
    'scripts/cost.ts',
    'scripts/env.ts',
    'scripts/preview.ts',
    'scripts/ops-job.ts',
    'scripts/app-operator.ts',
  ];
  expect(entries.sort()).toEqual([...TSX_CLIS.filter((f) => f.startsWith('scripts/')), ...viaNpm].sort());
  for (const file of entries) {
    expect({
      file,
      usesRunCli: /runCli\(module,|runCommand\(/.test(readFileSync(join(ROOT, file), 'utf8')),
    }).toEqual({
      file,
      usesRunCli: true,
    });
  }
});

it('README, docs and workflows call the deploy CLI one way: npx cdktf (the lockfile-pinned cdktf-cli)', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  expect(pkg.devDependencies['cdktf-cli']).toBeDefined();
  const files = [
    'README.md',
    'docs/deploy.md',
    'docs/ci-cd.md',
    ...readdirSync(join(ROOT, '.github/workflows')).map((f) => `.github/workflows/${f}`),
  ];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const pinnedElsewhere = /cdktf-cli@|install (--global|-g)\b.*cdktf/;
    // in docs, a command a person types; in workflows only the installs (step names say "cdktf diff")
    const bare = /(^|[\s`(&|;])cdktf (deploy|destroy|output|diff)\b/;
    const strays = text
      .split('\n')
      .filter((line) => pinnedElsewhere.test(line) || (file.endsWith('.md') && bare.test(line)))
      .filter((line) => pinnedElsewhere.test(line) || !/npx cdktf (deploy|destroy|output|diff)/.test(line));
    expect({ file, strays }).toEqual({ file, strays: [] });
  }
});
