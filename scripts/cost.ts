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
import { resolveContext } from '../infra/config/context';
import { CostEstimate } from '../infra/cost/estimate';
import { PRICE_TABLE } from '../infra/cost/prices-asia-northeast1';
import { runCli } from './lib/cli';
import { spawnSync } from 'child_process';
import { atRef } from './changed-stacks';
import { costDeltaMarkdown, costReport, CostReport } from './lib/cost-report';

const usd = (n: number) => `$${n.toFixed(2)}`;

export function main(argv: string[]): number {
  const unknown = argv.filter(
    (a, i) =>
      a.startsWith('-') &&
      !['--detail', '--json', '--compare', '-c', '--context'].includes(a) &&
      !a.startsWith('--context=') &&
      argv[i - 1] !== '-c',
  );
  if (unknown.length > 0)
    throw new Error(
      `unknown option ${unknown[0]}; use --detail, --json, --compare <git ref> or -c key=value`,
    );
  const compareAt = argv.indexOf('--compare');
  const compareRef = compareAt >= 0 ? argv[compareAt + 1] : undefined;
  if (compareAt >= 0 && (!compareRef || compareRef.startsWith('-')))
    throw new Error('--compare needs a git ref, e.g. --compare origin/main');
  const { context, env } = resolveContext({
    argv: argv.filter((_, i) => i !== compareAt && i !== compareAt + 1),
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

  if (argv.includes('--json')) {
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

  if (argv.includes('--detail')) {
    for (const r of report.environments) {
      for (const est of [r.runningMin, r.paused, r.hibernated].filter((e): e is CostEstimate => !!e)) {
        console.log(`\n${est.environment} ${est.state}: ${usd(est.total)}`);
        for (const l of est.lines) console.log(`  ${usd(l.monthly).padStart(9)}  ${l.item}`);
      }
    }
  }
  return 0;
}

runCli(module, main);
