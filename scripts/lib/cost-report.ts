/**
 * The numbers `npm run cost` prints: every environment synthesized in each
 * state (running, paused, hibernated) and priced from what the stacks
 * deploy (infra/cost). Pure apart from a temporary synth directory.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ConfigInput, ENVIRONMENT_NAMES, EnvironmentName, loadEnvironments } from '../../config/environments';
import { stackName } from '../../config/names';
import { CostEstimate, CostState, estimateInventory } from '../../infra/cost/estimate';
import { inventory, Inventory, StackJson } from '../../infra/cost/inventory';
import { PRICE_TABLE } from '../../infra/cost/prices-asia-northeast1';
import { synthInfra } from '../../infra/main';
import { PAUSED_NAMESPACES } from '../env-plan';

export interface EnvironmentCost {
  readonly name: EnvironmentName;
  readonly budget: string;
  readonly runningMin: CostEstimate;
  readonly runningMax: CostEstimate;
  readonly paused: CostEstimate;
  /** Absent where the cluster is deletion-protected (such an environment cannot hibernate). */
  readonly hibernated?: CostEstimate;
}

export interface CostReport {
  readonly prices: { readonly recordedOn: string; readonly source: string; readonly region: string };
  readonly environments: readonly EnvironmentCost[];
}

const STATE_CONTEXT: Record<CostState, (env: string) => ConfigInput> = {
  running: (env) => ({ [`${env}.paused`]: false, [`${env}.hibernated`]: false }),
  paused: (env) => ({ [`${env}.paused`]: true, [`${env}.hibernated`]: false }),
  hibernated: (env) => ({ [`${env}.paused`]: false, [`${env}.hibernated`]: true }),
};

/** Synthesizes every stack with `context` and returns each environment's inventory. */
function inventories(context: ConfigInput, env: ConfigInput) {
  const outdir = mkdtempSync(join(tmpdir(), 'cost-synth-'));
  try {
    const config = synthInfra(outdir, { context, env, argv: [], readContextFiles: false });
    const read = (stack: string): StackJson | undefined => {
      const file = join(outdir, 'stacks', stack, 'cdk.tf.json');
      return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as StackJson) : undefined;
    };
    const byEnv = Object.fromEntries(
      ENVIRONMENT_NAMES.map((n) => [
        n,
        inventory({
          [stackName.platform(n)]: read(stackName.platform(n)),
          [stackName.cluster(n)]: read(stackName.cluster(n)),
          [stackName.app(n)]: read(stackName.app(n)),
        }),
      ]),
    ) as Record<EnvironmentName, Inventory>;
    return { config, byEnv };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The estimate of every environment in every state, for the resolved `context`. */
export function costReport(context: ConfigInput, env: ConfigInput): CostReport {
  const base = loadEnvironments(context, env).environments;
  const canHibernate = (n: EnvironmentName) => !base[n].gke.deletionProtection;
  const states = Object.fromEntries(
    (Object.keys(STATE_CONTEXT) as CostState[]).map((state) => {
      const names = ENVIRONMENT_NAMES.filter((n) => state !== 'hibernated' || canHibernate(n));
      const overrides = Object.assign({}, ...names.map((n) => STATE_CONTEXT[state](n))) as ConfigInput;
      return [state, inventories({ ...context, ...overrides }, env)];
    }),
  ) as Record<CostState, ReturnType<typeof inventories>>;

  const environments = ENVIRONMENT_NAMES.map((name): EnvironmentCost => {
    const e = states.running.config.environments[name];
    const price = (state: CostState, replicas: 'min' | 'max' = 'min') =>
      estimateInventory(states[state].byEnv[name], {
        environment: name,
        region: e.region,
        state,
        freeTierCredit: e.gke.freeTierCredit,
        traceSampleRatio: e.service.traceSampleRatio,
        replicas,
        // A pause scales these namespaces to zero with kubectl (scripts/env-plan.ts).
        scaledToZero: state === 'paused' ? PAUSED_NAMESPACES : [],
      });
    return {
      name,
      budget: `${e.budget.monthlyAmount} ${e.budget.currencyCode}`,
      runningMin: price('running'),
      runningMax: price('running', 'max'),
      paused: price('paused'),
      ...(canHibernate(name) ? { hibernated: price('hibernated') } : {}),
    };
  });
  return {
    prices: { recordedOn: PRICE_TABLE.recordedOn, source: PRICE_TABLE.source, region: PRICE_TABLE.region },
    environments,
  };
}

/** The `n` largest lines of an estimate (credits excluded), largest first. */
export function largestLines(estimate: CostEstimate, n: number) {
  return [...estimate.lines]
    .filter((l) => l.monthly > 0)
    .sort((a, b) => b.monthly - a.monthly)
    .slice(0, n);
}

type StateKey = 'runningMin' | 'runningMax' | 'paused' | 'hibernated';
const STATE_COLUMNS: readonly [StateKey, string][] = [
  ['runningMin', 'running (min)'],
  ['runningMax', 'running (max)'],
  ['paused', 'paused'],
  ['hibernated', 'hibernated'],
];

/**
 * Markdown for a pull request: each environment's monthly total per state on
 * the base and the change, with the difference; `undefined` when nothing moved.
 */
export function costDeltaMarkdown(base: CostReport, head: CostReport): string | undefined {
  const money = (n: number | undefined) => (n === undefined ? 'n/a' : `$${n.toFixed(2)}`);
  const signed = (n: number) => `${n >= 0 ? '+' : '−'}$${Math.abs(n).toFixed(2)}`;
  const rows: string[] = [];
  for (const h of head.environments) {
    const b = base.environments.find((e) => e.name === h.name);
    for (const [key, label] of STATE_COLUMNS) {
      const before = b?.[key]?.total;
      const after = h[key]?.total;
      if (before === after) continue;
      const diff =
        before === undefined ? 'new' : after === undefined ? 'no longer possible' : signed(after - before);
      rows.push(`| ${h.name} | ${label} | ${money(before)} | ${money(after)} | ${diff} |`);
    }
  }
  if (rows.length === 0) return undefined;
  return [
    '| env | state | base | this change | monthly delta |',
    '| --- | --- | ---: | ---: | ---: |',
    ...rows,
    '',
    `List prices for ${head.prices.region} recorded ${head.prices.recordedOn} (\`npm run cost -- --detail\` for line items).`,
  ].join('\n');
}
