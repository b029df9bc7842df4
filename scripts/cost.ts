/**
 * `npm run cost [-- --detail] [-- --json] [-- --compare <git ref>] [-- -c key=value]`: monthly
 * list-price estimate per environment, running (min and max replicas),
 * paused and hibernated, computed from the synthesized stacks of each state
 * (scripts/lib/cost-report.ts) and the dated price table in infra/cost/.
 * `--detail` prints every line item per state; `--json` is the stable
 * machine-readable form CI reads; `--compare <ref>` prints, as Markdown, how
 * the monthly totals move between `<ref>` and the working tree (the pull
 * request's plan comment shows it).
 */
import { resolveContext } from '../config/context';
import { CostEstimate } from '../infra/cost/estimate';
import { PRICE_TABLE } from '../infra/cost/prices-asia-northeast1';
import { type CommandArgs, defineCommand, runCli, UsageError } from './lib/cli';
import { spawnSync } from 'child_process';
import { atRef } from './changed-stacks';
import { costDeltaMarkdown, costReport, CostReport } from './lib/cost-report';

const usd = (n: number) => `$${n.toFixed(2)}`;

export const COST = defineCommand({
  usage: `usage: npm run cost -- [--detail] [--json] [--compare <git ref>] [-c key=value ...]

Monthly list-price estimate per environment: running, paused and hibernated.
  --detail            every line item
  --json              the figures as JSON (what CI reads)
  --compare <ref>     how the totals move between <ref> and the working tree, as Markdown
  -c, --context k=v   a cdktf context value, as infra/main.ts reads it`,
  options: {
    detail: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    compare: { type: 'string' },
    context: { type: 'string', short: 'c', multiple: true },
  },
});

export function main({ values }: CommandArgs<typeof COST>): number {
  const compareRef = values.compare;
  if (compareRef !== undefined && (!compareRef || compareRef.startsWith('-')))
    throw new UsageError('--compare needs a git ref, e.g. --compare origin/main');
  const { context, env } = resolveContext({
    argv: (values.context ?? []).flatMap((pair) => ['-c', pair]),
  });
  const report = costReport(context, env);

  if (compareRef) {
    const base = atRef(compareRef, (tree) => {
      const r = spawnSync('npx', ['tsx', 'scripts/cost.ts', '--json'], {
        cwd: tree,
        encoding: 'utf8',
        env: process.env,
      });
      if (r.status !== 0) throw new Error(`npm run cost at ${compareRef} failed: ${r.stderr.trim()}`);
      return JSON.parse(r.stdout) as CostReport;
    });
    console.log(costDeltaMarkdown(base, report) ?? 'No change to the monthly estimate of any environment.');
    return 0;
  }

  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  console.log(
    `Monthly estimate, ${PRICE_TABLE.currency} list prices for ${PRICE_TABLE.region}, recorded ${PRICE_TABLE.recordedOn}`,
  );
  console.log(`Source: ${PRICE_TABLE.source}`);
  console.log(
    'Priced from the synthesized stacks; usage assumptions in infra/cost/prices-asia-northeast1.ts.\n',
  );
  const header = ['env', 'running (min)', 'running (max)', 'paused', 'hibernated', 'budget'];
  const table = report.environments.map((r) => [
    r.name,
    usd(r.runningMin.total),
    usd(r.runningMax.total),
    usd(r.paused.total),
    r.hibernated ? usd(r.hibernated.total) : 'n/a',
    r.budget,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  for (const row of table) console.log(line(row));

  if (values.detail) {
    for (const r of report.environments) {
      for (const est of [r.runningMin, r.paused, r.hibernated].filter((e): e is CostEstimate => !!e)) {
        console.log(`\n${est.environment} ${est.state}: ${usd(est.total)}`);
        for (const l of est.lines) console.log(`  ${usd(l.monthly).padStart(9)}  ${l.item}`);
      }
    }
  }
  return 0;
}

runCli(module, COST, main);
