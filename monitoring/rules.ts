/**
 * Renders RULE_GROUPS twice from the same data: plain Prometheus rule files
 * (checked by promtool) and Managed Prometheus objects (monitoring.googleapis.com/v1).
 */
import { SERVICE_NAMESPACE } from '../config/names';
import { AlertRule, RecordingRule, RuleGroup, RuleScope, RULE_GROUPS, isAlert } from './alerts';

export interface PrometheusRule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface PrometheusRuleGroup {
  name: string;
  interval: string;
  rules: PrometheusRule[];
}

function renderRule(rule: RecordingRule | AlertRule, runbookBase: string): PrometheusRule {
  if (!isAlert(rule)) {
    return { record: rule.record, expr: rule.expr, ...(rule.labels ? { labels: { ...rule.labels } } : {}) };
  }
  return {
    alert: rule.alert,
    expr: rule.expr,
    ...(rule.for ? { for: rule.for } : {}),
    labels: { severity: rule.severity, ...(rule.slo ? { slo: rule.slo } : {}) },
    annotations: {
      summary: rule.summary,
      description: rule.description,
      runbook_url: `${runbookBase}${rule.runbook}`,
    },
  };
}

export function renderGroup(group: RuleGroup, runbookBase: string): PrometheusRuleGroup {
  return {
    name: group.name,
    interval: group.interval,
    rules: group.rules.map((r) => renderRule(r, runbookBase)),
  };
}

/** Plain rule files by file name (one per scope), `{ groups: [...] }` each. */
export function prometheusRuleFiles(
  runbookBase: string,
  groups: readonly RuleGroup[] = RULE_GROUPS,
): Record<string, { groups: PrometheusRuleGroup[] }> {
  const files: Record<string, { groups: PrometheusRuleGroup[] }> = {};
  for (const group of groups) {
    const file = `walk-service-${group.scope}.yaml`;
    (files[file] ??= { groups: [] }).groups.push(renderGroup(group, runbookBase));
  }
  return files;
}

const KIND: Record<RuleScope, 'Rules' | 'ClusterRules' | 'GlobalRules'> = {
  namespace: 'Rules',
  cluster: 'ClusterRules',
  global: 'GlobalRules',
};

export interface ManagedRulesObject {
  apiVersion: 'monitoring.googleapis.com/v1';
  kind: 'Rules' | 'ClusterRules' | 'GlobalRules';
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  spec: { groups: PrometheusRuleGroup[] };
}

/** One Managed Prometheus object per scope; Rules live in the service namespace. */
export function managedRulesObjects(
  runbookBase: string,
  groups: readonly RuleGroup[] = RULE_GROUPS,
): ManagedRulesObject[] {
  const scopes = [...new Set(groups.map((g) => g.scope))];
  return scopes.map((scope) => ({
    apiVersion: 'monitoring.googleapis.com/v1',
    kind: KIND[scope],
    metadata: {
      name: `walk-service-${scope}`,
      ...(scope === 'namespace' ? { namespace: SERVICE_NAMESPACE } : {}),
      labels: { 'app.kubernetes.io/part-of': 'tekutoko', 'app.kubernetes.io/component': 'monitoring' },
    },
    spec: { groups: groups.filter((g) => g.scope === scope).map((g) => renderGroup(g, runbookBase)) },
  }));
}
