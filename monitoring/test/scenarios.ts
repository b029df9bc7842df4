/**
 * Incident scenarios evaluated by promtool against synthesized rule files:
 * which alerts fire, and how many page notifications Alertmanager's grouping
 * makes of them. scenarios.test.ts holds the expected table;
 * `npx tsx monitoring/test/scenarios.ts [rules dir]` prints it for any rule
 * files (e.g. a synth of an older commit) as Markdown.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { parse, stringify } from 'yaml';
import { SERVICE_NAME, SERVICE_NAMESPACE } from '../../config/names';
import { UNMATCHED_ROUTE } from '../../config/sli';

const STEP = '1m';
const STEPS_PER_MIN = 1;
const POD = `job="${SERVICE_NAME}",namespace="${SERVICE_NAMESPACE}",pod="walk-service-primary-1",app="walk-service-primary"`;
const NS = `namespace="${SERVICE_NAMESPACE}"`;

interface Series {
  readonly series: string;
  readonly values: string;
}

/** Per-minute rates of one phase of a scenario. */
interface Phase {
  readonly minutes: number;
  /** User requests per minute on /v1/walks. */
  readonly users: number;
  /** Of which 5xx. */
  readonly errors?: number;
  /** Of which slower than 0.5 s (they take `slowSeconds`). */
  readonly slow?: number;
  /** Requests per minute no route matched (404). */
  readonly unmatched?: number;
}

/** Cumulative counter samples, one per 30 s step, over the phases (`_` before `startMinute`). */
function counter(phases: readonly Phase[], perMinute: (p: Phase) => number, startMinute = 0): string {
  const values: string[] = [];
  let total = 0;
  let minute = 0;
  for (const p of phases) {
    for (let i = 0; i < p.minutes * STEPS_PER_MIN; i++) {
      values.push(minute < startMinute ? '_' : String(total));
      total += perMinute(p) / STEPS_PER_MIN;
      minute += 1 / STEPS_PER_MIN;
    }
  }
  values.push(String(total));
  return values.join(' ');
}

/**
 * The service's request series over the phases. `errorSeriesFrom`: minute at
 * which the 5xx series first appears (prom-client creates it on the first
 * 5xx); 0 means it was initialised at start (app/src/observability/metrics.ts).
 */
function traffic(phases: readonly Phase[], errorSeriesFrom = 0, slowSeconds = 0.6): Series[] {
  const route = `${POD},method="GET",route="/v1/walks"`;
  const all = (p: Phase) => p.users;
  const out: Series[] = [
    {
      series: `http_requests_total{${route},status_code="200"}`,
      values: counter(phases, (p) => p.users - (p.errors ?? 0)),
    },
    {
      series: `http_requests_total{${route},status_code="500"}`,
      values: counter(phases, (p) => p.errors ?? 0, errorSeriesFrom),
    },
    {
      series: `http_request_duration_seconds_bucket{${route},le="0.5"}`,
      values: counter(phases, (p) => p.users - (p.slow ?? 0)),
    },
    {
      series: `http_request_duration_seconds_bucket{${route},le="${slowSeconds <= 1 ? 1 : 2.5}"}`,
      values: counter(phases, all),
    },
    { series: `http_request_duration_seconds_bucket{${route},le="+Inf"}`, values: counter(phases, all) },
    { series: `http_request_duration_seconds_count{${route}}`, values: counter(phases, all) },
  ];
  if (phases.some((p) => p.unmatched)) {
    const unmatched = `${POD},method="GET",route="${UNMATCHED_ROUTE}",status_code="404"`;
    out.push(
      { series: `http_requests_total{${unmatched}}`, values: counter(phases, (p) => p.unmatched ?? 0) },
      {
        series: `http_request_duration_seconds_bucket{${unmatched},le="0.5"}`,
        values: counter(phases, (p) => p.unmatched ?? 0),
      },
      {
        series: `http_request_duration_seconds_count{${unmatched}}`,
        values: counter(phases, (p) => p.unmatched ?? 0),
      },
    );
  }
  return out;
}

/** A gauge held at `value` for `minutes`, one sample per step. */
const gauge = (value: number, minutes: number) => `${value}x${minutes * STEPS_PER_MIN}`;

/**
 * A recorded series as a rule group evaluating every `intervalSeconds` writes
 * it, with the evaluation at minute `missedMinute` late past the next one
 * (one slow or skipped evaluation).
 */
function recorded(value: number, minutes: number, intervalSeconds: number, missedMinute: number): string {
  const values: string[] = [];
  for (let s = 0; s <= minutes * 60; s += 60) {
    const due = s % intervalSeconds === 0;
    values.push(due && s !== missedMinute * 60 ? String(value) : '_');
  }
  return values.join(' ');
}

export interface Scenario {
  readonly name: string;
  /** Minutes from the start of the series. */
  readonly evalMinute: number;
  /** Series given the interval of the group that records `slo:*` (for recorded-input scenarios). */
  readonly series: (ruleGroupInterval: (group: string) => number) => Series[];
  /** The log pipeline's series (Loki, Alloy); default: healthy throughout. */
  readonly logPipeline?: (minutes: number) => Series[];
}

const LOKI = 'job="loki",namespace="monitoring",pod="loki-0"';
const ALLOY = 'job="alloy",namespace="monitoring",pod="alloy-6f7c9-x2k4d"';

/**
 * Loki and Alloy over `minutes` (one sample a minute), shipping 600 lines a
 * minute; from minute `from` on, Loki is gone (Alloy drops 50 entries a
 * minute) or Alloy is stuck (sends nothing).
 */
function logPipeline(
  minutes: number,
  broken: { from: number; what: 'loki-down' | 'alloy-stuck' } = { from: Infinity, what: 'loki-down' },
): Series[] {
  const at = (f: (m: number, ok: boolean) => string) =>
    Array.from({ length: minutes + 1 }, (_, m) => f(m, m < broken.from)).join(' ');
  const sent = (m: number) => String(600 * Math.min(m, broken.from));
  const lokiGone = broken.what === 'loki-down';
  return [
    { series: `up{${LOKI}}`, values: at((_, ok) => (ok || !lokiGone ? '1' : '_')) },
    {
      series: `loki_distributor_lines_received_total{${LOKI},tenant="fake"}`,
      values: at((m, ok) => (ok || !lokiGone ? sent(m) : '_')),
    },
    {
      series: `loki_ingester_chunks_flush_failures_total{${LOKI}}`,
      values: at((_, ok) => (ok || !lokiGone ? '0' : '_')),
    },
    { series: `up{${ALLOY}}`, values: gauge(1, minutes) },
    { series: `loki_write_sent_entries_total{${ALLOY},host="loki",tenant=""}`, values: at((m) => sent(m)) },
    {
      series: `loki_write_dropped_entries_total{${ALLOY},host="loki",tenant="",reason="ingester_error"}`,
      values: at((m, ok) => (ok || !lokiGone ? '0' : String(50 * (m - broken.from)))),
    },
  ];
}

const SIX_HOURS_GOOD: Phase = { minutes: 360, users: 1000 };
const HOUR_GOOD: Phase = { minutes: 60, users: 1000 };

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'low traffic (1 req/min), one 5xx',
    evalMinute: 363,
    series: () =>
      traffic([
        { minutes: 360, users: 1 },
        { minutes: 1, users: 1, errors: 1 },
        { minutes: 10, users: 1 },
      ]),
  },
  {
    name: 'low traffic (1 req/min), every request fails for 30 min',
    evalMinute: 390,
    series: () =>
      traffic([
        { minutes: 360, users: 1 },
        { minutes: 40, users: 1, errors: 1 },
      ]),
  },
  {
    name: '100 % 5xx for two minutes at 1000 req/min',
    evalMinute: 364,
    series: () =>
      traffic([SIX_HOURS_GOOD, { minutes: 2, users: 1000, errors: 1000 }, { minutes: 10, users: 1000 }]),
  },
  {
    name: 'every request at 0.6 s (just above 0.5 s) for 2 h',
    evalMinute: 480,
    series: () => traffic([SIX_HOURS_GOOD, { minutes: 130, users: 1000, slow: 1000 }]),
  },
  {
    name: 'every request at 0.45 s (just below 0.5 s) for 2 h',
    evalMinute: 480,
    series: () => traffic([SIX_HOURS_GOOD, { minutes: 130, users: 1000 }], 0, 0.45),
  },
  {
    name: '404 flood (20000 req/min unmatched) beside 5 % user 5xx',
    evalMinute: 480,
    series: () =>
      traffic([
        { minutes: 360, users: 1000, unmatched: 20000 },
        { minutes: 130, users: 1000, errors: 50, unmatched: 20000 },
      ]),
  },
  {
    name: 'first 5xx of a new series: 2000 errors within one scrape, series created by them',
    evalMinute: 365,
    series: () =>
      traffic([SIX_HOURS_GOOD, { minutes: 1, users: 3000, errors: 2000 }, { minutes: 5, users: 1000 }], 361),
  },
  {
    name: 'first 5xx of an initialised series: the same 2000 errors',
    evalMinute: 365,
    series: () =>
      traffic([SIX_HOURS_GOOD, { minutes: 1, users: 3000, errors: 2000 }, { minutes: 5, users: 1000 }]),
  },
  {
    name: 'a finished migrations Job pod',
    evalMinute: 30,
    series: () => [
      ...traffic([{ minutes: 40, users: 1000 }]),
      {
        series: `kube_pod_container_status_ready{${NS},pod="walk-service-migrate-x7k2p",container="migrate"}`,
        values: gauge(0, 40),
      },
      {
        series: `kube_pod_status_phase{${NS},pod="walk-service-migrate-x7k2p",phase="Succeeded"}`,
        values: gauge(1, 40),
      },
    ],
  },
  {
    name: 'outage at the edge: no request reaches the pods, uptime check fails in 3 regions',
    evalMinute: 380,
    series: () => [
      ...traffic([SIX_HOURS_GOOD, { minutes: 30, users: 0 }]),
      { series: `up{${POD},instance="10.0.0.1:9464"}`, values: gauge(1, 390) },
      ...['asia-pacific', 'usa-oregon', 'europe'].map((region) => ({
        series: `monitoring_googleapis_com:uptime_check_check_passed{monitored_resource="uptime_url",host="api.prod.tekutoko.example",checker_location="${region}"}`,
        values: `${gauge(1, 365)} ${gauge(0, 25)}`,
      })),
    ],
  },
  {
    name: 'a steady 5x burn over 3 days, one evaluation of the 3-day ratio late',
    evalMinute: 120,
    series: (interval) => {
      const long = interval('walk-service-slo-ratios-long');
      return [
        { series: 'slo:sli_error:ratio_rate3d{slo="availability"}', values: recorded(0.005, 130, long, 90) },
        {
          series: 'slo:sli_requests:increase3d{slo="availability"}',
          values: recorded(4.32e6, 130, long, 90),
        },
        { series: 'slo:sli_error:ratio_rate6h{slo="availability"}', values: gauge(0.005, 130) },
      ];
    },
  },
  {
    name: 'Loki gone for 30 min, the service healthy',
    evalMinute: 90,
    series: () => traffic([HOUR_GOOD, { minutes: 30, users: 1000 }]),
    logPipeline: (minutes) => logPipeline(minutes, { from: 60, what: 'loki-down' }),
  },
  {
    name: 'Alloy stuck (ships nothing) for 30 min, the service healthy',
    evalMinute: 90,
    series: () => traffic([HOUR_GOOD, { minutes: 30, users: 1000 }]),
    logPipeline: (minutes) => logPipeline(minutes, { from: 60, what: 'alloy-stuck' }),
  },
];

export interface Fired {
  readonly alertname: string;
  readonly severity: string;
  readonly slo?: string;
}

function seconds(d: string): number {
  const m = /^(\d+)([smh])$/.exec(d);
  if (!m) throw new Error(`unsupported interval ${d}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as 's' | 'm' | 'h'];
}

/** Interval of each rule group in the files. */
function groupIntervals(ruleFiles: readonly string[]): (group: string) => number {
  const intervals = new Map<string, number>();
  for (const f of ruleFiles) {
    for (const g of (parse(readFileSync(f, 'utf8')) as { groups: { name: string; interval: string }[] })
      .groups) {
      intervals.set(g.name, seconds(g.interval));
    }
  }
  return (group) => {
    const s = intervals.get(group);
    if (s === undefined) throw new Error(`no rule group ${group}`);
    return s;
  };
}

const QUERY = 'count by (alertname, severity, slo) (ALERTS{alertstate="firing",alertname!="Watchdog"})';

/** Alerts firing at each scenario's evaluation time under `ruleFiles`, by scenario name. */
export function firingAlerts(ruleFiles: readonly string[]): Map<string, Fired[]> {
  const dir = mkdtempSync(join(tmpdir(), 'alert-scenarios-'));
  try {
    const intervals = groupIntervals(ruleFiles);
    const files = SCENARIOS.map((s, i) => {
      const file = join(dir, `scenario-${i}.yaml`);
      const test = {
        rule_files: [...ruleFiles],
        evaluation_interval: STEP,
        tests: [
          {
            name: s.name,
            interval: STEP,
            input_series: [
              ...s.series(intervals),
              ...(s.logPipeline ?? ((m: number) => logPipeline(m)))(s.evalMinute),
            ],
            // Expect nothing: promtool then prints what it got.
            promql_expr_test: [{ expr: QUERY, eval_time: `${s.evalMinute}m`, exp_samples: [] }],
          },
        ],
      };
      writeFileSync(file, stringify(test, { lineWidth: 0 }));
      return file;
    });
    const result = new Map<string, Fired[]>();
    SCENARIOS.forEach((scenario, i) => {
      const run = spawnSync('promtool', ['test', 'rules', files[i]!], { encoding: 'utf8' });
      if (run.status === 0) {
        result.set(scenario.name, []);
        return;
      }
      const got = /got: (.*)/.exec(run.stdout + run.stderr);
      if (!got) throw new Error(`promtool failed on "${scenario.name}":\n${run.stdout}${run.stderr}`);
      const fired = [...got[1]!.matchAll(/\{([^}]*)\}/g)].map((m) => {
        const labels = Object.fromEntries([...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
        return {
          alertname: labels.alertname!,
          severity: labels.severity!,
          ...(labels.slo ? { slo: labels.slo } : {}),
        };
      });
      result.set(
        scenario.name,
        fired.sort((a, b) => a.alertname.localeCompare(b.alertname)),
      );
    });
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Page notifications Alertmanager makes of the firing alerts: one per group of
 * the page route (`groupBy`: its labels, here without cluster/namespace, which
 * a scenario holds constant).
 */
export function pageNotifications(fired: readonly Fired[], groupBy: readonly string[]): number {
  const keys = fired
    .filter((f) => f.severity === 'page')
    .map((f) => groupBy.map((l) => (f as unknown as Record<string, string | undefined>)[l] ?? '').join('/'));
  return new Set(keys).size;
}

/**
 * Absolute paths: promtool reads `rule_files` relative to the test file (in a
 * temporary directory), and a glob that matches nothing is no error, so a
 * relative path would evaluate no rule and report every scenario quiet.
 */
export function ruleFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => resolve(dir, f));
}

if (require.main === module) {
  const dir = process.argv[2] ?? 'dist/monitoring/rules';
  const groupBy = (process.argv[3] ?? 'slo').split(',');
  const fired = firingAlerts(ruleFilesIn(dir));
  console.log(
    `| scenario | alerts firing (severity) | page notifications (grouped by ${groupBy.join(', ')}) |`,
  );
  console.log('| --- | --- | --- |');
  for (const s of SCENARIOS) {
    const f = fired.get(s.name) ?? [];
    const list = f.map((a) => `${a.alertname} (${a.severity})`).join(', ') || 'none';
    console.log(`| ${s.name} | ${list} | ${pageNotifications(f, groupBy)} |`);
  }
}
