/**
 * Expand/contract as a check, not a convention: a migration may not drop,
 * rename, retype, or make a column NOT NULL without a default on a table
 * that already exists, because the previous release still runs against the
 * new schema during a canary. Such a change is allowed only in a migration
 * marked as the contract step of an earlier one:
 *
 *   -- contract-of: 0004_add_walk_tags
 *
 * Statements are read with the real PostgreSQL parser (libpg-query).
 *   npx tsx scripts/migration-check.ts            # checks app/migrations
 */
import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { loadModule, parseSync } from 'libpg-query';
import { defineCommand, runCli } from './lib/cli';

export interface Migration {
  /** File name without `.sql`, e.g. `0003_consents`. */
  readonly name: string;
  readonly sql: string;
}

const CONTRACT_MARK = /^--\s*contract-of:\s*(\d{4}_[a-z0-9_]+)\s*$/m;

type Node = Record<string, unknown>;
const nodes = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : []);

/** Why each statement of one migration breaks the release before it; [] when none does. */
function destructiveStatements(sql: string): string[] {
  const created = new Set<string>();
  const problems: string[] = [];
  for (const { stmt } of nodes(parseSync(sql).stmts) as { stmt: Node }[]) {
    const [kind, body] = Object.entries(stmt)[0] as [string, Node];
    const relname = (body.relation as { relname?: string } | undefined)?.relname;
    if (kind === 'CreateStmt' && relname) created.add(relname);
    if (kind === 'DropStmt') problems.push(`DROP ${String(body.removeType).replace('OBJECT_', '')}`);
    if (kind === 'RenameStmt') problems.push(`RENAME ${String(body.renameType).replace('OBJECT_', '')}`);
    if (kind !== 'AlterTableStmt' || !relname || created.has(relname)) continue;
    for (const { AlterTableCmd: cmd } of nodes(body.cmds) as { AlterTableCmd: Node }[]) {
      const subtype = String(cmd.subtype);
      if (subtype === 'AT_DropColumn') problems.push(`DROP COLUMN ${relname}.${String(cmd.name)}`);
      if (subtype === 'AT_SetNotNull') problems.push(`SET NOT NULL on ${relname}.${String(cmd.name)}`);
      if (subtype === 'AT_AlterColumnType') problems.push(`ALTER COLUMN TYPE ${relname}.${String(cmd.name)}`);
      if (subtype === 'AT_AddColumn') {
        const def = (cmd.def as { ColumnDef: Node }).ColumnDef;
        const types = nodes(def.constraints).map((c) => String((c.Constraint as Node).contype));
        if (types.includes('CONSTR_NOTNULL') && !types.includes('CONSTR_DEFAULT')) {
          problems.push(`ADD COLUMN ${relname}.${String(def.colname)} NOT NULL without a default`);
        }
      }
    }
  }
  return problems;
}

/** Problems of every migration, in order; a contract step must name an earlier migration. */
export async function migrationProblems(migrations: readonly Migration[]): Promise<string[]> {
  await loadModule();
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const m of migrations) {
    const expand = CONTRACT_MARK.exec(m.sql)?.[1];
    if (expand !== undefined && !seen.has(expand)) {
      problems.push(`${m.name}: "contract-of: ${expand}" must name an earlier migration`);
    }
    if (expand === undefined) {
      for (const p of destructiveStatements(m.sql)) {
        problems.push(
          `${m.name}: ${p} breaks the release before it; split it into an expand and a later migration marked "-- contract-of: <expand>"`,
        );
      }
    }
    seen.add(m.name);
  }
  return problems;
}

export function readMigrations(dir = join(__dirname, '..', 'app', 'migrations')): Migration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => ({ name: f.replace(/\.sql$/, ''), sql: readFileSync(join(dir, f), 'utf8') }));
}

export const MIGRATION_CHECK = defineCommand({
  usage: `usage: npx tsx scripts/migration-check.ts

Checks app/migrations for expand/contract: exit 1 naming each migration that breaks it.`,
  options: {},
});

runCli(module, MIGRATION_CHECK, async () => {
  const problems = await migrationProblems(readMigrations());
  for (const p of problems) console.error(p);
  if (problems.length > 0) return 1;
  console.log('migrations: expand/contract respected');
  return 0;
});
