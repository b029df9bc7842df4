/**
 * `npm run policy -- publish <file.yml> [--force]` and `npm run policy -- list`:
 * the operator's only write path to policies (ADR 0230). Runs against
 * --database-url or DATABASE_URL: locally the `npm start` database, in an
 * environment the built CLI in an operator Job (scripts/ops-job.ts).
 */
import { defineCommand, runCli, UsageError, type CommandArgs } from '../cli';
import { operatorPool, readOperatorFile } from '../db/operator-file';
import { systemClock } from '../lifecycle';
import { PolicyFileSchema } from './schemas';
import { listPolicies, publishPolicy } from './service';

export const POLICY_COMMAND = defineCommand({
  usage: `usage: npm run policy -- <publish <file.yml> [--force] | list> [--database-url <url>]

publish  validates the policy file and publishes it as a new, immutable version:
           version: "2.0.0"
           effective_date: "2027-04-01T00:00:00+09:00"   # when it becomes current
           privacy_policy: { ja: "…", en: "…" }           # ja required, en optional
           terms_of_service: { ja: "…", en: "…" }
         An effective_date in the past is refused unless --force.
list     the published versions, newest effective_date first.

--database-url <url>  the database (default: DATABASE_URL)
--inline <yaml>       the file's content instead of a file (how an operator Job gets it)
--by <name>           who publishes, for the record (default: the database user)`,
  options: {
    force: { type: 'boolean' },
    'database-url': { type: 'string' },
    inline: { type: 'string' },
    by: { type: 'string' },
  },
  allowPositionals: true,
});

export async function policyMain(
  args: CommandArgs<typeof POLICY_COMMAND>,
  out: (line: string) => void,
): Promise<void> {
  const [action, file, ...rest] = args.positionals;
  if (rest.length > 0) throw new UsageError(`unexpected argument: ${rest[0]}`);
  if (action !== 'publish' && action !== 'list') throw new UsageError('the action is publish or list');
  if (action === 'list' && file !== undefined) throw new UsageError('list takes no file');
  const policy =
    action === 'publish' ? readOperatorFile(file, PolicyFileSchema, args.values.inline) : undefined;
  const pool = operatorPool(args.values['database-url']);
  try {
    if (policy) {
      await publishPolicy(pool, policy, {
        force: args.values.force ?? false,
        now: systemClock.now(),
        publishedBy: args.values.by,
      });
      out(`published policy ${policy.version}, effective ${policy.effective_date}`);
    } else {
      for (const p of await listPolicies(pool)) out(JSON.stringify(p));
    }
  } finally {
    await pool.end();
  }
}

runCli(module, POLICY_COMMAND, (args) => policyMain(args, (line) => void process.stdout.write(`${line}\n`)));
