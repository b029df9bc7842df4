/**
 * Runs the real Terraform CLI on synthesized stacks, offline: an empty
 * plugin directory and an empty CLI configuration, so `init` decodes the
 * whole configuration and then stops at "provider ... was not found".
 * Terraform is required: a missing binary is an error, never a skip.
 */
import { execFile, spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

/** Throws a message that says how to get Terraform when it is not on PATH. */
export function requireTerraform(): string {
  const r = spawnSync('terraform', ['version', '-json'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      'terraform is not on PATH (or does not run): the infra tests validate every synthesized stack with ' +
        '`terraform init -backend=false`; install Terraform 1.11 (https://developer.hashicorp.com/terraform/install) ' +
        `and run the tests again. ${r.error?.message ?? r.stderr}`,
    );
  }
  return (JSON.parse(r.stdout) as { terraform_version: string }).terraform_version;
}

/** One problem Terraform reported about a stack's configuration. */
export interface TerraformProblem {
  /** e.g. `resource.google_storage_bucket.state_bucket_803B4E61.depends_on`, when Terraform names one. */
  readonly where?: string;
  readonly message: string;
}

export interface InitVerdict {
  readonly stack: string;
  /** True when Terraform accepted the configuration (it then only misses the provider binaries). */
  readonly valid: boolean;
  readonly problems: readonly TerraformProblem[];
  readonly output: string;
}

/** Splits Terraform's human output into its `Error:` blocks. */
export function parseProblems(output: string): TerraformProblem[] {
  return output
    .split(/\n(?=Error: )/)
    .filter((block) => block.startsWith('Error: '))
    .filter(
      (block) =>
        !/^Error: (Terraform encountered problems during initiali[sz]ation|Failed to query available provider packages)/.test(
          block,
        ),
    )
    .map((block) => {
      const where = /on cdk\.tf\.json line \d+, in ([^:]+):/.exec(block)?.[1];
      return { where, message: block.replace(/\s+/g, ' ').trim() };
    });
}

/** Human summary of a verdict: stack, resource, Terraform's message. */
export function describeProblems(v: InitVerdict): string {
  return v.problems.map((p) => `${v.stack}: ${p.where ?? '(configuration)'}: ${p.message}`).join('\n');
}

/** Runs `terraform init -backend=false -input=false -plugin-dir=<empty>` on each stack, in parallel. */
export async function initAll(stacks: Readonly<Record<string, string>>): Promise<InitVerdict[]> {
  const root = mkdtempSync(join(tmpdir(), 'tf-init-'));
  try {
    const plugins = join(root, '.plugins');
    mkdirSync(plugins);
    const cliConfig = join(root, '.terraformrc');
    writeFileSync(cliConfig, '');
    const env = {
      ...process.env,
      TF_CLI_CONFIG_FILE: cliConfig,
      CHECKPOINT_DISABLE: '1',
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
    };
    return await Promise.all(
      Object.entries(stacks).map(([stack, json]) => {
        const dir = join(root, stack);
        mkdirSync(dir);
        writeFileSync(join(dir, 'cdk.tf.json'), json);
        const args = ['init', '-backend=false', '-input=false', '-no-color', `-plugin-dir=${plugins}`];
        return new Promise<InitVerdict>((resolve) => {
          execFile('terraform', args, { cwd: dir, env, encoding: 'utf8' }, (error, stdout, stderr) => {
            const output = `${stdout}\n${stderr}`;
            const flat = output.replace(/\s+/g, ' ');
            const problems = parseProblems(output);
            const configInvalid = /problems with the configuration/.test(flat);
            const onlyProvidersMissing = /provider registry\.terraform\.io\/\S+ was not found/.test(flat);
            const valid = !configInvalid && problems.length === 0 && (error === null || onlyProvidersMissing);
            resolve({
              stack,
              valid,
              problems: valid || problems.length > 0 ? problems : [{ message: output.trim() }],
              output,
            });
          });
        });
      }),
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Evaluates HCL `expressions` with `terraform console` against a
 * configuration holding only `locals` (no providers, no state), so a test
 * reads Terraform's own value of a condition. Returns the values as JSON.
 */
export function evaluate(locals: Record<string, unknown>, expressions: readonly string[]): unknown[] {
  const dir = mkdtempSync(join(tmpdir(), 'tf-console-'));
  try {
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ locals }));
    writeFileSync(join(dir, '.terraformrc'), '');
    // Piped input prints only the last value: one jsonencode'd tuple of all of them.
    const r = spawnSync('terraform', ['console'], {
      cwd: dir,
      input: `jsonencode([${expressions.join(', ')}])\n`,
      encoding: 'utf8',
      env: { ...process.env, TF_CLI_CONFIG_FILE: join(dir, '.terraformrc'), CHECKPOINT_DISABLE: '1' },
    });
    if (r.status !== 0) throw new Error(`terraform console failed: ${r.stderr || r.stdout}`);
    return JSON.parse(JSON.parse(r.stdout.trim()) as string) as unknown[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
