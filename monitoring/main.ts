/**
 * The monitoring layer's artefacts: `synthMonitoring()` writes
 *   rules/*.yaml          plain Prometheus rule files (promtool)
 *   managed-rules.yaml    the same rules as Managed Prometheus objects
 *   alertmanager.yaml     managed Alertmanager routing of prod (amtool)
 *   alertmanager-<env>.yaml  the same for every environment
 *   dashboards/*.json     Grafana dashboards
 * and the cluster stack imports `observabilityValues`/`observabilityObjects`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';
import { stringify } from 'yaml';
import { ContextSources } from '../config/context';
import { ENVIRONMENT_NAMES, Environments } from '../config/environments';
import { loadMonitoringConfig, runbookBaseUrl } from './config';
import { dashboards } from './dashboards';
import { alertmanagerYaml } from './k8s-objects';
import { managedRulesObjects, prometheusRuleFiles } from './rules';

export { observabilityObjects } from './k8s-objects';
export { observabilityValues } from './helm-values';

const yaml = (doc: unknown) => stringify(doc, { lineWidth: 0 });

/** Writes the artefacts under `outdir` (replacing it); returns the files written, relative to it. */
export function synthMonitoring(outdir = 'dist/monitoring', sources: ContextSources = {}): string[] {
  const config: Environments = loadMonitoringConfig(sources);
  const base = runbookBaseUrl(config);
  const files: Record<string, string> = {};
  for (const [name, doc] of Object.entries(prometheusRuleFiles(base))) files[`rules/${name}`] = yaml(doc);
  files['managed-rules.yaml'] = managedRulesObjects(base).map(yaml).join('---\n');
  files['alertmanager.yaml'] = alertmanagerYaml(config.environments.prod);
  for (const name of ENVIRONMENT_NAMES) {
    files[`alertmanager-${name}.yaml`] = alertmanagerYaml(config.environments[name]);
  }
  for (const [name, board] of Object.entries(dashboards())) {
    files[`dashboards/${name}.json`] = `${JSON.stringify(board, null, 2)}\n`;
  }
  rmSync(outdir, { recursive: true, force: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(outdir, path, '..'), { recursive: true });
    writeFileSync(join(outdir, path), content);
  }
  return Object.keys(files).sort();
}

if (require.main === module) {
  try {
    for (const f of synthMonitoring(process.env.MONITORING_OUTDIR || 'dist/monitoring')) console.log(f);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
