/**
 * `npm run cost [-- --detail] [-- --json] [-- -c key=value]`: monthly
 * list-price estimate per environment from infra/config/environments.ts and
 * the dated price table in infra/cost/, running (min and max replicas),
 * paused and hibernated.
 */
import { resolveContext } from '../infra/config/context';
import { ENVIRONMENT_NAMES, loadEnvironments } from '../infra/config/environments';
import { CostEstimate, estimateEnvironment } from '../infra/cost/estimate';
import { PRICE_TABLE } from '../infra/cost/prices-asia-northeast1';

const usd = (n: number) => `$${n.toFixed(2)}`;

function main(argv: string[]): void {
  const unknown = argv.filter(
    (a, i) =>
      a.startsWith('-') &&
      !['--detail', '--json', '-c', '--context'].includes(a) &&
      !a.startsWith('--context=') &&
      argv[i - 1] !== '-c',
  );
  if (unknown.length > 0)
    throw new Error(`unknown option ${unknown[0]}; use --detail, --json or -c key=value`);
  const { context, env } = resolveContext({ argv });
  const all = loadEnvironments(context, env);
  const rows = ENVIRONMENT_NAMES.map((name) => {
    const e = all.environments[name];
    return {
      name,
      budget: `${e.budget.monthlyAmount} ${e.budget.currencyCode}`,
      runningMin: estimateEnvironment(e, 'running'),
      runningMax: estimateEnvironment(e, 'running', e.service.maxReplicas),
      paused: estimateEnvironment(e, 'paused'),
      hibernated: estimateEnvironment(e, 'hibernated'),
    };
  });

  if (argv.includes('--json')) {
    console.log(
      JSON.stringify(
        { prices: { recordedOn: PRICE_TABLE.recordedOn, source: PRICE_TABLE.source }, environments: rows },
        null,
        2,
      ),
    );
    return;
  }
  console.log(
    `Monthly estimate, ${PRICE_TABLE.currency} list prices for ${PRICE_TABLE.region}, recorded ${PRICE_TABLE.recordedOn}`,
  );
  console.log(`Source: ${PRICE_TABLE.source}`);
  console.log('List prices to re-check; usage assumptions in infra/cost/prices-asia-northeast1.ts.\n');
  const header = ['env', 'running (min)', 'running (max)', 'paused', 'hibernated', 'budget'];
  const table = rows.map((r) => [
    r.name,
    usd(r.runningMin.total),
    usd(r.runningMax.total),
    usd(r.paused.total),
    usd(r.hibernated.total),
    r.budget,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(header));
  for (const row of table) console.log(line(row));

  if (argv.includes('--detail')) {
    for (const r of rows) {
      for (const est of [r.runningMin, r.paused, r.hibernated] as CostEstimate[]) {
        console.log(`\n${est.environment} ${est.state}: ${usd(est.total)}`);
        for (const l of est.lines) console.log(`  ${usd(l.monthly).padStart(9)}  ${l.item}`);
      }
    }
  }
}

try {
  main(process.argv.slice(2));
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
