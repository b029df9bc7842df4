/**
 * `npm run env -- <pause|resume|hibernate|wake|status> <env> [--dry-run] [--yes]`
 *
 * pause      workloads to zero, the Gateway and Cloud Armor policy removed, Cloud SQL stopped (activation policy NEVER)
 * resume     Cloud SQL and Cloud Armor back, the Gateway recreated on the same address, workloads scaled up
 * hibernate  app and cluster stacks destroyed, GKE cluster removed, Cloud SQL
 *            stopped; database, backups, buckets and state stay
 * wake       platform, cluster and app stacks deployed again
 * status     Cloud SQL state and the context flags
 *
 * The state is recorded as cdktf context in cdktf.json (`<env>.paused`,
 * `<env>.hibernated`), so every later `cdktf deploy` — a person's or CI's —
 * keeps it: commit that change. `--dry-run` prints the change and the exact
 * commands without running anything.
 */
import { spawnSync } from 'child_process';
import { readFileSync, writeFileSync } from 'fs';
import { CDKTF_JSON_PATH, readCdktfJsonContext, resolveContext } from '../infra/config/context';
import { ENVIRONMENT_NAMES, EnvironmentName, loadEnvironments } from '../infra/config/environments';
import { ENV_ACTIONS, EnvAction, planEnvAction, shellLine, Step, unconfiguredKeys } from './env-plan';
import { type CommandArgs, confirm, defineCommand, runCli, UsageError } from './lib/cli';

export const ENV_COMMAND = defineCommand({
  usage: `usage: npm run env -- <${ENV_ACTIONS.join('|')}> <${ENVIRONMENT_NAMES.join('|')}> [--dry-run] [--yes]

  pause      workloads to zero, the Gateway and Cloud Armor policy removed, Cloud SQL stopped
  resume     Cloud SQL and Cloud Armor back, workloads scaled up, the Gateway on the same address
  hibernate  app and cluster stacks destroyed, GKE cluster removed, Cloud SQL stopped (asks first)
  wake       platform, cluster and app stacks deployed again
  status     Cloud SQL state and the context flags
  --dry-run  print the context change and the exact commands; run nothing
  --yes      hibernate without asking (CI, scripts)

The environment's project id and domain must be configured (cdktf.json "context" or
TEKUTOKO_* variables, docs/deploy.md); the *-example placeholders are refused.`,
  options: { 'dry-run': { type: 'boolean', default: false }, yes: { type: 'boolean', default: false } },
  allowPositionals: true,
});

function writeContext(changes: Readonly<Record<string, boolean | undefined>>): void {
  const json = JSON.parse(readFileSync(CDKTF_JSON_PATH, 'utf8')) as { context?: Record<string, unknown> };
  const context = { ...(json.context ?? {}) };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete context[key];
    else context[key] = value;
  }
  json.context = context;
  writeFileSync(CDKTF_JSON_PATH, `${JSON.stringify(json, null, 2)}\n`);
}

function run(step: Step): void {
  console.log(`\n# ${step.why}\n$ ${shellLine(step.command)}`);
  const result = spawnSync(step.command[0]!, step.command.slice(1), { stdio: 'inherit' });
  if (result.error) throw new Error(`${step.command[0]} could not start: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`step failed (exit ${result.status}): ${shellLine(step.command)}`);
}

async function main({ values, positionals }: CommandArgs<typeof ENV_COMMAND>): Promise<void> {
  const dryRun = values['dry-run'];
  const [action, name, ...rest] = positionals;
  if (!ENV_ACTIONS.includes(action as EnvAction))
    throw new UsageError(action ? `unknown action "${action}"` : 'which action?');
  if (!ENVIRONMENT_NAMES.includes(name as EnvironmentName))
    throw new UsageError(name ? `unknown environment "${name}"` : 'which environment?');
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const { context, env: vars } = resolveContext({ argv: [] });
  const env = loadEnvironments(context, vars).environments[name as EnvironmentName];
  const plan = planEnvAction(action as EnvAction, env);
  const placeholders = unconfiguredKeys(env);
  if (placeholders.length > 0) {
    const list = placeholders.map((k) => `${k.key} (${k.envVar}, now "${k.value}")`).join(', ');
    if (!dryRun)
      throw new Error(
        `${name} is not configured: set ${list} in cdktf.json "context" or the environment (docs/deploy.md). Nothing was run.`,
      );
    console.log(`note: ${name} still has placeholders: ${list}; a real run refuses until they are set`);
  }

  const missing = plan.requires.filter((v) => !vars[v]);
  const changes = Object.entries(plan.context);
  console.log(`${action} ${name}${dryRun ? ' (dry run: nothing is changed)' : ''}`);
  if (missing.length > 0)
    console.log(`needs ${missing.join(', ')} in the environment (the release deployed now)`);
  if (dryRun) {
    for (const step of plan.before) console.log(`\n# ${step.why}\n$ ${shellLine(step.command)}`);
    if (changes.length > 0) {
      console.log('\n# record the state in cdktf.json "context" (commit it)');
      for (const [k, v] of changes) console.log(v === undefined ? `remove "${k}"` : `set "${k}": ${v}`);
    }
    for (const step of plan.after) console.log(`\n# ${step.why}\n$ ${shellLine(step.command)}`);
    if (action === 'status') console.log(`\ncontext: ${JSON.stringify(pick(readCdktfJsonContext(), name!))}`);
    return;
  }
  if (missing.length > 0)
    throw new Error(`set ${missing.join(', ')} first (e.g. the digest the app stack runs now)`);
  if (plan.destructive) {
    await confirm(`${action} ${name}: ${plan.destructive}.`, { yes: values.yes });
  }
  const steps = plan.before.length + plan.after.length;
  console.log(`${steps} step(s); each prints its command before it runs`);
  for (const step of plan.before) run(step);
  if (changes.length > 0) {
    writeContext(plan.context);
    console.log(
      `\n# cdktf.json context updated: ${changes.map(([k, v]) => `${k}=${v ?? '(removed)'}`).join(', ')} — commit it`,
    );
  }
  for (const step of plan.after) run(step);
  if (action === 'status') console.log(`context: ${JSON.stringify(pick(readCdktfJsonContext(), name!))}`);
}

function pick(context: Record<string, unknown>, env: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(context).filter(([k]) => k.startsWith(`${env}.`)));
}

runCli(module, ENV_COMMAND, main);
