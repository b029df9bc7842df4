/**
 * `npm run remote-config -- <publish|history|get|rollback>`: the operator's
 * write path to remote configuration (ADR 0231), run like `npm run policy`
 * (ADR 0230) against --database-url or DATABASE_URL.
 */
import { stringify } from 'yaml';
import { defineCommand, runCli, UsageError, type CommandArgs } from '../cli';
import { operatorPool, readOperatorFile } from '../db/operator-file';
import { TemplateSchema } from './schemas';
import { findTemplate, listVersions, publishTemplate, rollbackTemplate } from './service';

export const REMOTE_CONFIG_COMMAND = defineCommand({
  usage: `usage: npm run remote-config -- <action> [--database-url <url>]

publish <file.yml> --base-version <N> [--description <text>]
          validates the template and publishes it as version N+1; refused when
          N is not the current version (someone published since you read it)
history [--limit <n>]    versions newest first: who, when, what changed
get [<N>]                a version's template as YAML (default: the current one)
rollback <N> --base-version <M>
          publishes version N's content as a new version

--database-url <url>  the database (default: DATABASE_URL)
--inline <yaml>       publish: the file's content instead of a file (how an operator Job gets it)
--by <name>           publish, rollback: who, for the history (default: the database user)`,
  options: {
    'base-version': { type: 'string' },
    description: { type: 'string' },
    limit: { type: 'string' },
    'database-url': { type: 'string' },
    inline: { type: 'string' },
    by: { type: 'string' },
  },
  allowPositionals: true,
});

function versionArg(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw new UsageError(`${what} must be a version number, got ${value}`);
  return Number(value);
}

export async function remoteConfigMain(
  args: CommandArgs<typeof REMOTE_CONFIG_COMMAND>,
  out: (line: string) => void,
): Promise<void> {
  const [action, arg, ...rest] = args.positionals;
  if (rest.length > 0) throw new UsageError(`unexpected argument: ${rest[0]}`);
  const v = args.values;
  const base = versionArg(v['base-version'], '--base-version');
  if (!['publish', 'history', 'get', 'rollback'].includes(action ?? ''))
    throw new UsageError('the action is publish, history, get or rollback');
  if (action === 'publish' && base === undefined)
    throw new UsageError('publish needs --base-version (the version you edited; 0 for the first)');
  const file = action === 'publish' ? readOperatorFile(arg, TemplateSchema, v.inline) : undefined;
  const target = action === 'get' || action === 'rollback' ? versionArg(arg, 'the version') : undefined;
  if (action === 'rollback' && target === undefined)
    throw new UsageError('rollback needs the version to restore');
  // Without it a rollback would silently replace whatever another operator published meanwhile.
  if (action === 'rollback' && base === undefined)
    throw new UsageError('rollback needs --base-version (the current version you saw in history)');
  const pool = operatorPool(v['database-url']);
  try {
    if (action === 'publish') {
      const row = await publishTemplate(pool, file, {
        baseVersion: base!,
        description: v.description,
        publishedBy: v.by,
      });
      out(`published version ${row.version}: ${JSON.stringify(row.changes)}`);
    } else if (action === 'rollback') {
      const row = await rollbackTemplate(pool, target!, { baseVersion: base!, publishedBy: v.by });
      out(`published version ${row.version} (rollback to ${target}): ${JSON.stringify(row.changes)}`);
    } else if (action === 'history') {
      const limit = versionArg(v.limit, '--limit') ?? 20;
      for (const row of await listVersions(pool, limit)) out(JSON.stringify(row));
    } else {
      const row = target === undefined ? (await listVersions(pool, 1))[0] : undefined;
      const version = target ?? row?.version;
      const found = version === undefined ? undefined : await findTemplate(pool, version);
      if (!found)
        throw new Error(version === undefined ? 'no version is published yet' : `no version ${version}`);
      out(`# version ${found.version}, published ${found.published_at} by ${found.published_by}`);
      out(stringify(found.template).trimEnd());
    }
  } finally {
    await pool.end();
  }
}

runCli(module, REMOTE_CONFIG_COMMAND, (args) =>
  remoteConfigMain(args, (line) => void process.stdout.write(`${line}\n`)),
);
