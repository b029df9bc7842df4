/**
 * `npm run policy` and `npm run remote-config` (ADR 0230, 0231). Without
 * --env they run the service's operator CLI here, against --database-url or
 * DATABASE_URL (the `npm start` database). With `--env <env>` the file is
 * validated here first, then the same CLI, built into the deployed image,
 * runs in the environment's cluster as an operator Job (scripts/ops-job.ts)
 * with the file's content inline and the operator's name as `--by`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { z } from 'zod';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../config/environments';
import { readOperatorFile } from '../app/src/db/operator-file';
import { POLICY_COMMAND, policyMain } from '../app/src/policies/cli';
import { PolicyFileSchema } from '../app/src/policies/schemas';
import { REMOTE_CONFIG_COMMAND, remoteConfigMain } from '../app/src/remote-config/cli';
import { TemplateSchema } from '../app/src/remote-config/schemas';
import { appOperatorJob, ENTRY } from './ops-job';
import { confirm, defineCommand, runCommand, UsageError } from './lib/cli';

type Main = (args: never, out: (line: string) => void) => Promise<void>;
interface OperatorCommand {
  readonly spec: { readonly usage: string; readonly options: object };
  readonly main: Main;
  readonly entry: string;
  readonly schema: z.ZodType;
}

const COMMANDS: Record<string, OperatorCommand> = {
  policy: { spec: POLICY_COMMAND, main: policyMain as Main, entry: ENTRY.policy, schema: PolicyFileSchema },
  'remote-config': {
    spec: REMOTE_CONFIG_COMMAND,
    main: remoteConfigMain as Main,
    entry: ENTRY.remoteConfig,
    schema: TemplateSchema,
  },
};
const WRITES = ['publish', 'rollback'];

function withEnv(command: OperatorCommand) {
  return defineCommand({
    usage: `${command.spec.usage}
--env <${ENVIRONMENT_NAMES.join('|')}>  run it in that environment's cluster as an operator Job
--yes                 do not ask before publishing to an environment`,
    options: {
      ...(command.spec.options as Record<string, { type: 'string' | 'boolean' }>),
      env: { type: 'string' },
      yes: { type: 'boolean' },
    },
    allowPositionals: true,
  });
}

/** Who publishes, for the history: the gcloud account, else the local user. */
function operatorName(): string {
  const r = spawnSync('gcloud', ['config', 'get-value', 'account'], { encoding: 'utf8' });
  const account = r.status === 0 ? r.stdout.trim() : '';
  return account || userInfo().username;
}

async function run(name: string, command: OperatorCommand, argv: string[]): Promise<number> {
  const spec = withEnv(command);
  return runCommand(spec, argv, async (args) => {
    const { env, yes, help: _help, ...values } = args.values as Record<string, string | boolean | undefined>;
    const out = (line: string) => void process.stdout.write(`${line}\n`);
    if (env === undefined) {
      await command.main({ values, positionals: args.positionals } as never, out);
      return 0;
    }
    if (!ENVIRONMENT_NAMES.includes(env as EnvironmentName))
      throw new UsageError(`--env must be one of ${ENVIRONMENT_NAMES.join(', ')}`);
    if (values['database-url'] !== undefined) throw new UsageError('--env or --database-url, not both');
    const [action, file, ...rest] = args.positionals;
    const jobArgs =
      action === 'publish' && file !== undefined
        ? [action, ...rest, '--inline', readFileSync(file, 'utf8')]
        : [...args.positionals];
    // refuse a bad file here, before a Job is started
    if (action === 'publish') readOperatorFile(file, command.schema, values.inline as string | undefined);
    for (const [flag, value] of Object.entries(values)) {
      if (value === true) jobArgs.push(`--${flag}`);
      else if (typeof value === 'string') jobArgs.push(`--${flag}`, value);
    }
    if (WRITES.includes(action ?? '')) {
      if (values.by === undefined) jobArgs.push('--by', operatorName());
      await confirm(`${name} ${action} in ${env}?`, { yes: yes === true });
    }
    return appOperatorJob(env as EnvironmentName, command.entry, name, jobArgs);
  });
}

if (require.main === module) {
  const [name, ...argv] = process.argv.slice(2);
  const command = COMMANDS[name ?? ''];
  if (!command) {
    process.stderr.write(`usage: tsx scripts/app-operator.ts <${Object.keys(COMMANDS).join('|')}> …\n`);
    process.exitCode = 2;
  } else {
    void run(name!, command, argv).then((code) => {
      process.exitCode = code;
    });
  }
}
