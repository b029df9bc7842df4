/**
 * `npm run env -- <pause|resume|hibernate|wake|status> <env> [--dry-run]`
 *
 * pause      workloads to zero, then Cloud SQL stopped (activation policy NEVER)
 * resume     Cloud SQL started, add-ons and walk-service scaled back up
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
import { ENV_ACTIONS, EnvAction, planEnvAction, shellLine, Step } from './env-plan';

const USAGE = `usage: npm run env -- <${ENV_ACTIONS.join('|')}> <${ENVIRONMENT_NAMES.join('|')}> [--dry-run]`;

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

function main(argv: string[]): void {
  const dryRun = argv.includes('--dry-run');
  const [action, name, ...rest] = argv.filter((a) => a !== '--dry-run');
  if (
    !ENV_ACTIONS.includes(action as EnvAction) ||
    !ENVIRONMENT_NAMES.includes(name as EnvironmentName) ||
    rest.length > 0
  ) {
    throw new Error(USAGE);
  }
  const { context, env: vars } = resolveContext({ argv: [] });
  const env = loadEnvironments(context, vars).environments[name as EnvironmentName];
  const plan = planEnvAction(action as EnvAction, env);

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

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
