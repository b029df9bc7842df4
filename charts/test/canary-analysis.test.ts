/**
 * The canary verdict, proved by Prometheus' own tool: the MetricTemplate
 * queries of the synthesized chart, rendered the way Flagger renders them
 * (namespace, target, the metric's interval), evaluated by `promtool test
 * rules` over scenario series, and compared with the metric's thresholdRange
 * the way Flagger 1.44 does (pkg/controller/scheduler_metrics.go: a value
 * below min or above max fails; pkg/metrics/providers/prometheus.go RunQuery:
 * no sample or NaN is ErrNoValuesFound, which fails the check too).
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Testing } from 'cdk8s';
import { stringify } from 'yaml';
import { canaryTimeline } from '../../config/canary-analysis';
import { loadEnvironments } from '../../config/environments';
import { SERVICE_NAME, SERVICE_NAMESPACE } from '../../config/names';
import { CANARY_VERDICT, LATENCY_THRESHOLD_SECONDS, SLI } from '../../config/sli';
import { walkServiceProps, UNRELEASED_IMAGE_DIGEST } from '../environments';
import { WalkServiceChart } from '../walk-service/chart';
import { SERVICE_SELECTOR } from '../../monitoring/config';
import { SLOS } from '../../monitoring/slo';
import { METRIC_TEMPLATE, ROLLBACK_GATE_PATHS, rollbackGateCommand } from '../walk-service/canary';

type Obj = { kind: string; metadata: { name: string }; spec: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const config = loadEnvironments();
const prod = config.environments.prod;
const objects = new WalkServiceChart(
  Testing.app(),
  'walk-service',
  walkServiceProps(prod, config.bootstrap, UNRELEASED_IMAGE_DIGEST),
).toJson() as Obj[];
const canary = objects.find((o) => o.kind === 'Canary')!;
const metrics = canary.spec.analysis.metrics as {
  name: string;
  templateRef: { name: string };
  thresholdRange: { min?: number; max?: number };
  interval: string;
}[];
const templates = new Map(
  objects.filter((o) => o.kind === 'MetricTemplate').map((o) => [o.metadata.name, o.spec.query as string]),
);

/** Flagger's text/template rendering of a MetricTemplate (pkg/metrics/observers/render.go). */
function render(query: string, interval: string): string {
  return query
    .replace(/\{\{\s*namespace\s*\}\}/g, SERVICE_NAMESPACE)
    .replace(/\{\{\s*target\s*\}\}/g, SERVICE_NAME)
    .replace(/\{\{\s*interval\s*\}\}/g, interval);
}

/** The queries before issue 21 (probes counted, histogram_quantile), kept to show what they let through. */
const BEFORE = {
  errorRatio:
    '(sum(rate(http_requests_total{namespace="walk-service",app="walk-service",status_code=~"5.."}[60s])) or on() vector(0))' +
    ' / sum(rate(http_requests_total{namespace="walk-service",app="walk-service"}[60s]))',
  p99: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="walk-service",app="walk-service"}[60s])))',
};

// ---------------------------------------------------------------------------
// Scenario series: 15 s scrapes of one canary pod, counters per scrape.
// ---------------------------------------------------------------------------
const STEP_SECONDS = 15;
const STEPS = 60; // 15 minutes, longer than any check window
const POD = `job="${SERVICE_NAME}",namespace="${SERVICE_NAMESPACE}",app="${SERVICE_NAME}",pod="${SERVICE_NAME}-7d9f-abcde"`;

interface Traffic {
  route: string;
  /** Requests per second. */
  rps: number;
  /** Share answered 5xx. */
  errorShare: number;
  /** Seconds every request takes. */
  latency: number;
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function series(traffic: Traffic[]): { series: string; values: string }[] {
  const counter = (perSecond: number) => `0+${perSecond * STEP_SECONDS}x${STEPS}`;
  return traffic.flatMap((t) => {
    const labels = `${POD},method="GET",route="${t.route}"`;
    const out = [
      {
        series: `http_requests_total{${labels},status_code="200"}`,
        values: counter(t.rps * (1 - t.errorShare)),
      },
    ];
    if (t.errorShare > 0) {
      out.push({
        series: `http_requests_total{${labels},status_code="500"}`,
        values: counter(t.rps * t.errorShare),
      });
    }
    for (const le of [...BUCKETS.map(String), '+Inf']) {
      const within = le === '+Inf' || t.latency <= Number(le);
      out.push({
        series: `http_request_duration_seconds_bucket{${labels},status_code="200",le="${le}"}`,
        values: counter(within ? t.rps : 0),
      });
    }
    out.push({
      series: `http_request_duration_seconds_count{${labels},status_code="200"}`,
      values: counter(t.rps),
    });
    return out;
  });
}

/** Kubelet (liveness, readiness) and load-balancer health checks: about 2.7 probes a second, 8 ms each. */
const PROBES: Traffic[] = [
  { route: '/healthz', rps: 1.2, errorShare: 0, latency: 0.008 },
  { route: '/readyz', rps: 1.5, errorShare: 0, latency: 0.008 },
];
const users = (rps: number, errorShare: number, latency: number): Traffic => ({
  route: '/v1/walks',
  rps,
  errorShare,
  latency,
});

/** Expected values, scaled to integers (promtool compares floats exactly); null is "no value". */
interface Scenario {
  name: string;
  traffic: Traffic[];
  /** The checks in order: user requests in the window, 5xx ratio x 10^4, slow ratio x 10^4. */
  now: [number | null, number | null, number | null];
  /** The queries before issue 21 (60 s): 5xx ratio x 10^4 and p99 in ms. */
  before: [number | null, number | null];
}

const SCENARIOS: Scenario[] = [
  { name: 'probes only', traffic: PROBES, now: [null, null, null], before: [0, 10] },
  {
    name: '5 % user errors at 0.5 req/s beside probes',
    traffic: [...PROBES, users(0.5, 0.05, 0.04)],
    now: [270, 500, 0],
    before: [78, 48],
  },
  {
    name: 'every user request slow (2.5 s), users under 1 % of requests',
    traffic: [...PROBES, users(0.02, 0, 2.5)],
    now: [11, 0, 10000],
    before: [0, 10],
  },
  {
    name: 'every user request slow (2.5 s) at 0.5 req/s',
    traffic: [...PROBES, users(0.5, 0, 2.5)],
    now: [270, 0, 10000],
    before: [0, 2404],
  },
  {
    name: 'too few requests (0.1 req/s, all good)',
    traffic: [...PROBES, users(0.1, 0, 0.04)],
    now: [54, 0, 0],
    before: [0, 43],
  },
  {
    name: 'an empty series (canary not scraped yet)',
    traffic: [],
    now: [null, null, null],
    before: [null, null],
  },
  {
    name: 'a good release at 0.5 req/s',
    traffic: [...PROBES, users(0.5, 0, 0.04)],
    now: [270, 0, 0],
    before: [0, 48],
  },
];

const SCALE = { now: [1, 1e4, 1e4], before: [1e4, 1e3] } as const;
const unscale = (v: number | null, scale: number) => (v === null ? null : v / scale);

/** Flagger's verdict on one metric value (null: no value found, which fails the check). */
function passes(value: number | null, range: { min?: number; max?: number }): boolean {
  if (value === null || Number.isNaN(value)) return false;
  if (range.min !== undefined && value < range.min) return false;
  if (range.max !== undefined && value > range.max) return false;
  return true;
}

/** `(q) >= bool min` / `(q) <= bool max`: 1 pass, 0 fail, no sample when q has none. */
function verdictExpr(query: string, range: { min?: number; max?: number }): string {
  return range.min !== undefined ? `(${query}) >= bool ${range.min}` : `(${query}) <= bool ${range.max}`;
}

/** One promtool unit-test file: every check's value and verdict, and the old queries' values. */
function promtoolTest(s: Scenario): string {
  const expectations: { expr: string; value: number | null }[] = [];
  metrics.forEach((m, i) => {
    const q = render(templates.get(m.templateRef.name)!, m.interval);
    const value = unscale(s.now[i]!, SCALE.now[i]!);
    expectations.push({ expr: `round((${q}) * ${SCALE.now[i]})`, value: s.now[i]! });
    expectations.push({
      expr: verdictExpr(q, m.thresholdRange),
      value: value === null ? null : passes(value, m.thresholdRange) ? 1 : 0,
    });
  });
  [BEFORE.errorRatio, BEFORE.p99].forEach((q, i) => {
    expectations.push({ expr: `round((${q}) * ${SCALE.before[i]})`, value: s.before[i]! });
  });
  return stringify(
    {
      rule_files: [],
      evaluation_interval: `${STEP_SECONDS}s`,
      tests: [
        {
          name: s.name,
          interval: `${STEP_SECONDS}s`,
          input_series: series(s.traffic),
          promql_expr_test: expectations.map((e) => ({
            expr: e.expr,
            eval_time: `${STEPS * STEP_SECONDS}s`,
            exp_samples: e.value === null ? [] : [{ labels: '{}', value: e.value }],
          })),
        },
      ],
    },
    { lineWidth: 0 },
  );
}

/** The first check that fails, in Flagger's order, or null when the step passes. */
function failsOn(s: Scenario): string | null {
  const i = metrics.findIndex((m, k) => !passes(unscale(s.now[k]!, SCALE.now[k]!), m.thresholdRange));
  return i < 0 ? null : metrics[i]!.name;
}

function passedBefore(s: Scenario): boolean {
  return (
    passes(unscale(s.before[0], SCALE.before[0]), { max: 0.01 }) &&
    passes(unscale(s.before[1], SCALE.before[1]), { max: 0.5 })
  );
}

function promtool(file: string): { ok: boolean; output: string } {
  try {
    return {
      ok: true,
      output: execFileSync('promtool', ['test', 'rules', file], { encoding: 'utf8', stdio: 'pipe' }),
    };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

describe('canary analysis (rendered MetricTemplates under promtool)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'canary-promtool-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('checks the request count first, then the SLIs, with the thresholds of config/sli.ts', () => {
    expect(metrics.map((m) => [m.name, m.templateRef.name, m.thresholdRange])).toEqual([
      ['user-requests', METRIC_TEMPLATE.userRequests, { min: CANARY_VERDICT.minUserRequests }],
      ['error-ratio', METRIC_TEMPLATE.errorRatio, { max: CANARY_VERDICT.maxErrorRatio }],
      ['slow-ratio', METRIC_TEMPLATE.slowRatio, { max: CANARY_VERDICT.maxSlowRatio }],
    ]);
    expect([CANARY_VERDICT.maxErrorRatio, LATENCY_THRESHOLD_SECONDS, CANARY_VERDICT.minUserRequests]).toEqual(
      [0.01, 0.5, 100],
    );
    // prod: 600 s interval minus the 60 s route-update wait.
    expect(metrics.every((m) => m.interval === '540s')).toBe(true);
  });

  it('queries the same SLI definitions as the SLO rules, probes excluded', () => {
    const range = '{{ interval }}';
    const sel = 'namespace="{{ namespace }}",app="{{ target }}"';
    expect(templates.get(METRIC_TEMPLATE.errorRatio)).toBe(SLI.errorRatio(sel, range));
    expect(templates.get(METRIC_TEMPLATE.slowRatio)).toBe(SLI.slowRatio(sel, range));
    expect(templates.get(METRIC_TEMPLATE.userRequests)).toBe(SLI.requestCount(sel, range));
    expect(SLOS.map((slo) => slo.errorRatio('5m'))).toEqual([
      SLI.errorRatio(SERVICE_SELECTOR, '5m'),
      SLI.slowRatio(SERVICE_SELECTOR, '5m'),
    ]);
    for (const q of templates.values()) expect(q).toContain('route!~"/healthz|/readyz|unmatched"');
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))('promtool test rules: %s', (_name, s) => {
    const file = join(dir, `${s.name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, promtoolTest(s));
    const result = promtool(file);
    if (!result.ok) throw new Error(result.output);
  });

  it('fails every bad scenario the queries before issue 21 promoted, and promotes the good release', () => {
    expect(SCENARIOS.map((s) => [s.name, failsOn(s), passedBefore(s)])).toEqual([
      ['probes only', 'user-requests', true],
      ['5 % user errors at 0.5 req/s beside probes', 'error-ratio', true],
      ['every user request slow (2.5 s), users under 1 % of requests', 'user-requests', true],
      ['every user request slow (2.5 s) at 0.5 req/s', 'slow-ratio', false],
      ['too few requests (0.1 req/s, all good)', 'user-requests', true],
      ['an empty series (canary not scraped yet)', 'user-requests', false],
      ['a good release at 0.5 req/s', null, true],
    ]);
  });
});

describe('canary safety switches', () => {
  it('reverts walk-service when the Canary is deleted (runbooks/canary-toggle.md)', () => {
    expect(canary.spec.revertOnDeletion).toBe(true);
  });

  it("has a closed-by-default rollback gate, opened by the rollback runbook's command", () => {
    const hooks = canary.spec.analysis.webhooks as { name: string; type: string; url: string }[];
    const gate = hooks.filter((h) => h.type === 'rollback');
    expect(gate).toHaveLength(1);
    expect(gate[0]!.url).toMatch(new RegExp(`/${ROLLBACK_GATE_PATHS.check}$`));
    const runbook = readFileSync(join(__dirname, '../../runbooks/rollback.md'), 'utf8');
    expect(runbook).toContain(rollbackGateCommand('open', SERVICE_NAMESPACE));
    expect(runbook).toContain(rollbackGateCommand('close', SERVICE_NAMESPACE));
    // Flagger reads the gate once per tick: the runbook states that delay per environment, from config.
    const text = runbook.replace(/\s+/g, ' ');
    expect(text).not.toMatch(/at once/);
    for (const name of ['staging', 'prod'] as const) {
      const minutes = config.environments[name].service.canary!.intervalSeconds / 60;
      expect(text).toContain(`up to ${minutes} minutes in ${name}`);
    }
  });

  const hooksOf = (name: 'staging' | 'prod') => {
    const env = config.environments[name];
    const objs = new WalkServiceChart(
      Testing.app(),
      'walk-service',
      walkServiceProps(env, config.bootstrap, UNRELEASED_IMAGE_DIGEST),
    ).toJson() as Obj[];
    return (
      objs.find((o) => o.kind === 'Canary')!.spec.analysis.webhooks as {
        type: string;
        metadata?: { cmd?: string };
      }[]
    ).filter((h) => h.metadata?.cmd?.startsWith('hey '));
  };

  it('runs no load test in prod (users only) and one in staging before and during every step', () => {
    const lines = (name: 'staging' | 'prod') => hooksOf(name).map((h) => `${h.type}: ${h.metadata!.cmd}`);
    expect(lines('prod')).toEqual([]);
    expect(lines('staging')).toEqual([
      'pre-rollout: hey -z 270s -c 1 -q 1 http://walk-service-canary.walk-service:8080/openapi.json',
      'pre-rollout: hey -z 270s -c 1 -q 1 http://walk-service-canary.walk-service:8080/v1/walks',
      'rollout: hey -z 270s -c 1 -q 1 http://walk-service-canary.walk-service:8080/openapi.json',
      'rollout: hey -z 270s -c 1 -q 1 http://walk-service-canary.walk-service:8080/v1/walks',
    ]);
  });

  it("gives every staging check window its load: no tick's command is skipped by the load tester", () => {
    // A model of Flagger 1.44: tick 0 calls the pre-rollout hooks, tick k (k = 1..steps) the rollout
    // hooks and then judges the window [(k-1)·interval + routeUpdateWait, k·interval]
    // (pkg/controller/scheduler.go advanceCanary, runAnalysis). The load tester keys a cmd task by
    // canary + command and skips one whose previous run has not ended (pkg/loadtester/runner.go runAll).
    // A hey run lasts -z plus, at worst, its 20 s request timeout for the last request in flight;
    // Flagger's tick lands up to 2 s late.
    const plan = config.environments.staging.service.canary!;
    const interval = plan.intervalSeconds;
    const hooks = hooksOf('staging');
    const running = new Map<string, number>(); // command -> time its run ends
    const runs: { command: string; from: number; to: number; rps: number }[] = [];
    const skipped: string[] = [];
    for (let tick = 0; tick <= plan.stepWeights.length; tick++) {
      const at = tick * interval + 2;
      for (const h of hooks.filter((x) => x.type === (tick === 0 ? 'pre-rollout' : 'rollout'))) {
        const command = h.metadata!.cmd!;
        if ((running.get(command) ?? -1) > at) {
          skipped.push(`tick ${tick}: ${command}`);
          continue;
        }
        const seconds = Number(/-z (\d+)s/.exec(command)![1]);
        running.set(command, at + seconds + 20);
        runs.push({ command, from: at, to: at + seconds, rps: Number(/-q (\S+)/.exec(command)![1]) });
      }
    }
    expect(skipped).toEqual([]);
    const perCheck = plan.stepWeights.map((_, i) => {
      const from = i * interval + plan.routeUpdateWaitSeconds;
      const to = (i + 1) * interval;
      return Math.floor(
        runs.reduce((n, r) => n + r.rps * Math.max(0, Math.min(to, r.to) - Math.max(from, r.from)), 0),
      );
    });
    for (const n of perCheck) expect(n).toBeGreaterThanOrEqual(CANARY_VERDICT.minUserRequests);
    // The ADR's figure (canaryTimeline) is what the model measures, less the 2 s tick delay.
    const expected = canaryTimeline(plan).checks.map((c) => c.expectedLoadTestRequests);
    perCheck.forEach((n, i) =>
      expect(Math.abs(n - expected[i]!)).toBeLessThanOrEqual(4 * plan.loadTestRequestsPerSecond),
    );
  });
});
