/**
 * The synthesized artefacts beyond the rule files: Managed Prometheus objects
 * against the vendored CRDs, every alert's labels and annotations, the
 * dashboards (built by the SDK, provisioned datasources, low-cardinality log
 * selectors) and the Helm values for Grafana, Loki and Alloy.
 */
import { rmSync } from 'fs';
import { parseAllDocuments } from 'yaml';
import { validateObjects, K8sObject } from '../../charts/test/schema-validation';
import { ENVIRONMENT_NAMES, loadEnvironments } from '../../config/environments';
import { SERVICE_NAMESPACE } from '../../config/names';
import { allAlerts, RULE_GROUPS } from '../alerts';
import { runbookBaseUrl } from '../config';
import { DATASOURCES, dashboards } from '../dashboards';
import { LOG_LABELS, alloyConfig, observabilityValues } from '../helm-values';
import { observabilityObjects } from '../k8s-objects';
import { managedRulesObjects } from '../rules';
import { BURN_RATE_WINDOWS, SLOS } from '../slo';
import { promqlMetricNames } from './promql';
import { Synthesized, synthToTemp } from './synth';

const config = loadEnvironments();

describe('monitoring artefacts', () => {
  let out: Synthesized;
  beforeAll(() => {
    out = synthToTemp();
  });
  afterAll(() => rmSync(out.dir, { recursive: true, force: true }));

  it('writes rules, managed rules, alertmanager configs and one JSON file per dashboard', () => {
    expect(out.files).toEqual(
      expect.arrayContaining([
        'alertmanager.yaml',
        'managed-rules.yaml',
        'dashboards/walk-service-overview.json',
        'dashboards/walk-service-database.json',
        'dashboards/walk-service-canary.json',
        'dashboards/walk-service-logs.json',
        ...ENVIRONMENT_NAMES.map((n) => `alertmanager-${n}.yaml`),
      ]),
    );
    expect(JSON.parse(out.read('dashboards/walk-service-overview.json')).uid).toBe('walk-service-overview');
  });

  it('Managed Prometheus objects match the vendored CRDs and hold the same groups as the rule files', () => {
    const docs = parseAllDocuments(out.read('managed-rules.yaml')).map((d) => d.toJSON() as K8sObject);
    expect(validateObjects(docs)).toEqual([]);
    expect(docs.map((d) => `${d.kind}/${d.metadata?.namespace ?? ''}`)).toEqual([
      `Rules/${SERVICE_NAMESPACE}`,
      'ClusterRules/',
      'GlobalRules/',
    ]);
    const managed = docs.flatMap((d) => (d.spec as { groups: { name: string }[] }).groups);
    expect(managed.map((g) => g.name).sort()).toEqual(RULE_GROUPS.map((g) => g.name).sort());
    // Same groups, rule for rule, as the files promtool checks.
    const plain = out.files
      .filter((f) => f.startsWith('rules/'))
      .flatMap((f) => out.yaml<{ groups: { name: string }[] }>(f).groups);
    const byName = (gs: { name: string }[]) => [...gs].sort((a, b) => a.name.localeCompare(b.name));
    expect(byName(managed)).toEqual(byName(plain));
  });

  it('the objects the cluster stack applies are schema-valid in every environment', () => {
    for (const name of ENVIRONMENT_NAMES) {
      const objects = observabilityObjects(config, config.environments[name]);
      expect(validateObjects(objects as unknown as K8sObject[])).toEqual([]);
      expect(objects.map((o) => o.kind)).toEqual([
        'Rules',
        'ClusterRules',
        'GlobalRules',
        'PodMonitoring',
        'PodMonitoring',
        'PodMonitoring',
      ]);
    }
  });

  it('the log-pipeline PodMonitorings keep every metric a rule reads from their job', () => {
    const objects = observabilityObjects(config, config.environments.prod);
    for (const job of ['loki', 'alloy']) {
      const pm = objects.find((o) => o.kind === 'PodMonitoring' && o.metadata?.name === job) as unknown as {
        spec: { endpoints: { metricRelabeling: { action: string; regex: string }[] }[] };
      };
      const keep = new RegExp(`^(?:${pm.spec.endpoints[0]!.metricRelabeling[0]!.regex})$`);
      const read = RULE_GROUPS.flatMap((g) => g.rules)
        .filter((r) => r.expr.includes(`job="${job}"`))
        .flatMap((r) => promqlMetricNames(r.expr))
        .filter((m) => m !== 'up');
      expect(read.length).toBeGreaterThan(0);
      expect(read.filter((m) => !keep.test(m))).toEqual([]);
    }
  });

  it('every alert has severity, summary and a runbook_url under the runbooks base URL', () => {
    const base = runbookBaseUrl(config);
    expect(base).toBe('https://github.com/tekutoko/tekutoko-platform/blob/main/runbooks/');
    const rendered = managedRulesObjects(base).flatMap((o) => o.spec.groups.flatMap((g) => g.rules));
    const alerts = rendered.filter((r) => r.alert);
    expect(alerts.length).toBe(allAlerts().length);
    for (const a of alerts) {
      expect(['page', 'ticket', 'security', 'heartbeat']).toContain(a.labels?.severity);
      expect(a.annotations?.summary).toMatch(/\S/);
      expect(a.annotations?.runbook_url).toMatch(
        new RegExp(`^${base.replace(/[.]/g, '\\.')}[a-z0-9-]+\\.md$`),
      );
    }
  });

  it('burn-rate alerts: page at 14.4x (1h & 5m) and 6x (6h & 30m), ticket at 1x (3d & 6h), per SLO', () => {
    expect(BURN_RATE_WINDOWS.map((w) => [w.severity, w.burnRate, w.longWindow, w.shortWindow])).toEqual([
      ['page', 14.4, '1h', '5m'],
      ['page', 6, '6h', '30m'],
      ['ticket', 1, '3d', '6h'],
    ]);
    expect(SLOS.map((s) => [s.name, s.objective, s.periodDays])).toEqual([
      ['availability', 0.999, 30],
      ['latency', 0.99, 30],
    ]);
    const burn = allAlerts().filter((a) => /BudgetBurn/.test(a.alert));
    const page = burn.find((a) => a.alert === 'WalkServiceAvailabilityBudgetBurn')!;
    // Fast and slow windows in one alert (one page per SLO), each guarded against low traffic.
    expect(page.expr).toContain('slo:sli_error:ratio_rate1h{slo="availability"} > 0.0144');
    expect(page.expr).toContain('slo:sli_requests:increase1h{slo="availability"} >= 70');
    expect(page.expr).toContain('slo:sli_error:ratio_rate6h{slo="availability"} > 0.006');
    expect(page.expr).toContain('slo:sli_requests:increase6h{slo="availability"} >= 167');
    expect(burn.every((a) => a.slo)).toBe(true);
    expect(burn.map((a) => [a.alert, a.severity])).toEqual([
      ['WalkServiceAvailabilityBudgetBurn', 'page'],
      ['WalkServiceAvailabilityBudgetBurnTicket', 'ticket'],
      ['WalkServiceLatencyBudgetBurn', 'page'],
      ['WalkServiceLatencyBudgetBurnTicket', 'ticket'],
    ]);
  });

  it('dashboards query only the provisioned datasources; log queries use only namespace, app, severity', () => {
    for (const [name, board] of Object.entries(dashboards())) {
      for (const p of board.panels ?? []) {
        const panel = p as { targets?: { expr?: string; datasource?: { uid?: string; type?: string } }[] };
        for (const t of panel.targets ?? []) {
          expect([DATASOURCES.prometheus.uid, DATASOURCES.loki.uid]).toContain(t.datasource?.uid);
          if (t.datasource?.type !== 'loki') continue;
          const selector = /^\{([^}]*)\}/.exec(t.expr ?? '')?.[1] ?? '';
          const labels = [...selector.matchAll(/(\w+)\s*[=!~]/g)].map((m) => m[1]);
          const parsed = [...(t.expr ?? '').matchAll(/\|\s*(\w+)\s*[=!]~?/g)].map((m) => m[1]);
          expect({
            name,
            labels: [...labels, ...parsed].filter((l) => !LOG_LABELS.includes(l as never)),
          }).toEqual({
            name,
            labels: [],
          });
        }
      }
    }
  });

  it('Grafana provisions both datasources by the uids the dashboards use, and every dashboard', () => {
    const grafana = observabilityValues(config.environments.prod).grafana as {
      datasources: Record<string, { datasources: { uid: string; type: string; url: string }[] }>;
      dashboards: Record<string, Record<string, { json: string }>>;
    };
    const sources = grafana.datasources['datasources.yaml']!.datasources;
    expect(sources.map((s) => [s.uid, s.type])).toEqual([
      [DATASOURCES.prometheus.uid, 'prometheus'],
      [DATASOURCES.loki.uid, 'loki'],
    ]);
    expect(sources[0]!.url).toMatch(/^http:\/\/gmp-frontend\.monitoring\.svc\.cluster\.local:9090$/);
    const provisioned = Object.values(grafana.dashboards).flatMap((d) => Object.keys(d));
    expect(provisioned.sort()).toEqual(Object.keys(dashboards()).sort());
  });

  it('Loki keeps logs for the retention of each environment', () => {
    for (const name of ENVIRONMENT_NAMES) {
      const env = config.environments[name];
      const loki = observabilityValues(env).loki as { loki: { limits_config: { retention_period: string } } };
      expect(loki.loki.limits_config.retention_period).toBe(`${env.observability.lokiRetentionDays * 24}h`);
    }
    expect(config.environments.prod.observability.lokiRetentionDays).toBeGreaterThan(
      config.environments.dev.observability.lokiRetentionDays,
    );
  });

  it('Alloy keeps only namespace, app, workload and severity as stream labels and pushes to Loki', () => {
    const alloy = alloyConfig();
    expect(alloy).toContain('stage.label_keep {\n    values = ["namespace", "app", "workload", "severity"]');
    // Primary and canary pods differ in their `app` label only (Flagger): that label becomes `workload`.
    expect(alloy).toContain(
      'source_labels = ["__meta_kubernetes_pod_label_app"]\n    target_label  = "workload"',
    );
    expect(alloy).toMatch(
      /loki\.write "default" \{\n {2}endpoint \{\n {4}url = "http:\/\/loki\.monitoring\.svc\.cluster\.local:3100\/loki\/api\/v1\/push"/,
    );
    expect(alloy).not.toMatch(/request_id|user|uid/);
  });
});
