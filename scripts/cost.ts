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
import { type CommandArgs, defineCommand, runCli } from './lib/cli';

const usd = (n: number) => `$${n.toFixed(2)}`;

export const COST = defineCommand({
  usage: `usage: npm run cost -- [--detail] [--json] [-c key=value ...]

Monthly list-price estimate per environment: running, paused and hibernated.
  --detail           every line item
  --json             the figures as JSON
  -c, --context k=v  a cdktf context value, as infra/main.ts reads it`,
  options: {
    detail: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    context: { type: 'string', short: 'c', multiple: true },
  },
});

function main({ values }: CommandArgs<typeof COST>): void {
  const argv = (values.context ?? []).flatMap((pair) => ['-c', pair]);
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

  if (values.json) {
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

  if (values.detail) {
    for (const r of rows) {
      for (const est of [r.runningMin, r.paused, r.hibernated] as CostEstimate[]) {
        console.log(`\n${est.environment} ${est.state}: ${usd(est.total)}`);
        for (const l of est.lines) console.log(`  ${usd(l.monthly).padStart(9)}  ${l.item}`);
      }
    }
  }
}

runCli(module, COST, main);
