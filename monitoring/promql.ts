/**
 * Which metrics a PromQL expression names, and which names exist: the
 * service's own (read from the service's registry, app/src/observability),
 * the catalogued platform metrics and the recording rules. Used by the tests
 * that keep rules, dashboards and runbooks honest.
 */
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import { createMetrics, registerPoolMetrics } from '../app/src/observability/metrics';
import { PLATFORM_METRIC_NAMES } from './metric-catalogue';

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/** Metric names an expression selects (label matchers, ranges, grouping and strings ignored). */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/"[^"]*"|'[^']*'/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.$])([a-zA-Z_:][\w:]*)(?!\w)(\s*\()?/g)) {
    const [, name, call] = m;
    if (!call && !KEYWORDS.has(name!.toLowerCase())) names.add(name!);
  }
  return [...names].sort();
}

/** Series names the service exposes on /metrics, histograms expanded to _bucket/_sum/_count. */
export function serviceMetricNames(): Set<string> {
  const { registry } = createMetrics();
  const pool = { totalCount: 0, idleCount: 0, waitingCount: 0 } as unknown as Pool;
  registerPoolMetrics(registry, pool, 1);
  return exposedNames(registry);
}

function exposedNames(registry: Registry): Set<string> {
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    else if (type === 'summary') for (const s of ['', '_sum', '_count']) names.add(name + s);
    else names.add(name);
  }
  return names;
}

/** Every metric name a query may use, given the recording rules it may also read. */
export function knownMetricNames(recordedNames: Iterable<string> = []): Set<string> {
  return new Set([...serviceMetricNames(), ...PLATFORM_METRIC_NAMES, ...recordedNames]);
}
