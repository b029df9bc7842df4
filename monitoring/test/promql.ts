/**
 * Metric names in PromQL and LogQL text, and the set of metrics that exist:
 * the service's (its own metric definitions executed, as /metrics would list
 * them), the platform catalogue, and this layer's recording rules.
 */
import type { Pool } from 'pg';
import { Registry } from 'prom-client';
import { createMetrics, registerPoolMetrics } from '../../app/src/observability/metrics';
import { queueGauges, workerMetrics } from '../../app/src/share-images/metrics';
import { RULE_GROUPS, isAlert } from '../alerts';
import { PLATFORM_METRIC_NAMES } from '../metric-catalogue';

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/** Metric names a PromQL expression selects (functions, keywords, labels and strings removed). */
export function promqlMetricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\()?/g)) {
    const [, name, call] = m;
    if (call || KEYWORDS.has(name!.toLowerCase())) continue;
    names.add(name!);
  }
  return [...names];
}

/** Series names the service and its share-image worker expose, histogram series expanded (_bucket, _sum, _count). */
export function serviceMetricNames(): Set<string> {
  const metrics = createMetrics();
  // Collectors read the pool only at scrape time; names are known without one.
  registerPoolMetrics(metrics.registry, {} as Pool, 1);
  // The share-image queue gauges (walk-service) and the worker's own metrics (its /metrics).
  const shareImages = new Registry();
  queueGauges(shareImages);
  workerMetrics(shareImages);
  const names = new Set<string>();
  for (const metric of [...metrics.registry.getMetricsAsArray(), ...shareImages.getMetricsAsArray()]) {
    const { name, type } = metric as unknown as { name: string; type: string };
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    else names.add(name);
  }
  return names;
}

export function recordedMetricNames(): Set<string> {
  return new Set(RULE_GROUPS.flatMap((g) => g.rules.flatMap((r) => (isAlert(r) ? [] : [r.record]))));
}

export function knownMetricNames(): Set<string> {
  return new Set([...serviceMetricNames(), ...PLATFORM_METRIC_NAMES, ...recordedMetricNames()]);
}
