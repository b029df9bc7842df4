/**
 * The emitted rule files checked and unit-tested by Prometheus' own tool:
 * `promtool check rules`, then `promtool test rules` with one firing and one
 * quiet case per alert (rule-cases.ts), with the exact labels and annotations.
 */
import { execFileSync } from 'child_process';
import { rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { stringify } from 'yaml';
import { allAlerts, WATCHDOG } from '../alerts';
import { runbookBaseUrl } from '../config';
import { loadEnvironments } from '../../config/environments';
import { RULE_CASES, RuleCase } from './rule-cases';
import { Synthesized, synthToTemp } from './synth';

const RUNBOOK_BASE = runbookBaseUrl(loadEnvironments());

function run(args: string[]): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync('promtool', args, { encoding: 'utf8', stdio: 'pipe' }) };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/** Fills `{{ $labels.x }}` the way Prometheus renders an annotation. */
function render(template: string, labels: Record<string, string>): string {
  return template.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, k: string) => labels[k] ?? '');
}

function promtoolTest(c: RuleCase, ruleFiles: string[]) {
  const rule = allAlerts().find((a) => a.alert === c.alert);
  if (!rule) throw new Error(`rule-cases.ts names unknown alert ${c.alert}`);
  const labels = { ...(c.labels ?? {}), severity: rule.severity, ...(rule.slo ? { slo: rule.slo } : {}) };
  return {
    rule_files: ruleFiles,
    evaluation_interval: '1m',
    tests: [
      {
        name: `${c.alert}: ${c.name}`,
        interval: c.interval ?? '1m',
        input_series: c.series.map((s) => ({ series: s.series, values: s.values })),
        alert_rule_test: [
          {
            eval_time: c.evalTime,
            alertname: c.alert,
            exp_alerts: c.fires
              ? [
                  {
                    exp_labels: labels,
                    exp_annotations: {
                      summary: render(rule.summary, labels),
                      description: render(rule.description, labels),
                      runbook_url: `${RUNBOOK_BASE}${rule.runbook}`,
                    },
                  },
                ]
              : [],
          },
        ],
      },
    ],
  };
}

/** `promtool test rules` output split per test file. */
function resultsByFile(output: string): Map<string, string> {
  const results = new Map<string, string>();
  for (const block of output.split(/^Unit Testing:\s+/m).slice(1)) {
    const [file, ...rest] = block.split('\n');
    results.set(file!.trim(), rest.join('\n'));
  }
  return results;
}

const caseFile = (dir: string, c: RuleCase) =>
  join(dir, `test-${c.alert}-${c.fires ? 'fires' : 'quiet'}-${RULE_CASES.indexOf(c)}.yaml`);

describe('Prometheus rule files', () => {
  let out: Synthesized;
  let ruleFiles: string[];
  let unitResults: Map<string, string>;
  beforeAll(() => {
    out = synthToTemp();
    ruleFiles = out.files.filter((f) => f.startsWith('rules/')).map((f) => join(out.dir, f));
    // One promtool run for every case (one process per case costs ~1 s each).
    for (const c of RULE_CASES) {
      writeFileSync(caseFile(out.dir, c), stringify(promtoolTest(c, ruleFiles), { lineWidth: 0 }));
    }
    unitResults = resultsByFile(
      run(['test', 'rules', ...RULE_CASES.map((c) => caseFile(out.dir, c))]).output,
    );
  });
  afterAll(() => rmSync(out.dir, { recursive: true, force: true }));

  it('emits one rule file per evaluation scope', () => {
    expect(out.files.filter((f) => f.startsWith('rules/')).sort()).toEqual([
      'rules/walk-service-cluster.yaml',
      'rules/walk-service-global.yaml',
      'rules/walk-service-namespace.yaml',
    ]);
  });

  it('passes promtool check rules', () => {
    const result = run(['check', 'rules', ...ruleFiles]);
    expect(result.output).not.toMatch(/FAILED/);
    expect(result.ok).toBe(true);
  });

  it('has a firing and a quiet promtool case for every alert (the Watchdog is never quiet)', () => {
    for (const alert of allAlerts().filter((a) => a.alert !== WATCHDOG.alert)) {
      const cases = RULE_CASES.filter((c) => c.alert === alert.alert);
      expect({ alert: alert.alert, fires: cases.some((c) => c.fires) }).toEqual({
        alert: alert.alert,
        fires: true,
      });
      expect({ alert: alert.alert, quiet: cases.some((c) => !c.fires) }).toEqual({
        alert: alert.alert,
        quiet: true,
      });
    }
  });

  it('records an availability error ratio of 0, not no data, before any 5xx exists', () => {
    const file = join(out.dir, 'test-recording-zero.yaml');
    const series =
      'http_requests_total{job="walk-service",namespace="walk-service",route="/v1/walks",status_code="200"}';
    const test = {
      rule_files: ruleFiles,
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [{ series, values: '0+100x20' }],
          promql_expr_test: [
            {
              expr: 'slo:sli_error:ratio_rate5m{slo="availability"}',
              eval_time: '10m',
              exp_samples: [{ labels: 'slo:sli_error:ratio_rate5m{slo="availability"}', value: 0 }],
            },
          ],
        },
      ],
    };
    writeFileSync(file, stringify(test, { lineWidth: 0 }));
    const result = run(['test', 'rules', file]);
    if (!result.ok) throw new Error(result.output);
  });

  it.each(RULE_CASES.map((c) => [`${c.alert} ${c.fires ? 'fires' : 'stays quiet'}: ${c.name}`, c] as const))(
    'promtool test rules: %s',
    (_title, c) => {
      const result = unitResults.get(caseFile(out.dir, c));
      expect(result).toBeDefined();
      if (!/^\s*SUCCESS/.test(result!)) throw new Error(result);
    },
  );
});
