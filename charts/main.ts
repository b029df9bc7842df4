/**
 * Writes every chart as plain Kubernetes YAML for review:
 * `dist/charts/<env>/<chart>.k8s.yaml` for dev, staging, prod and a sample
 * preview. The `<env>-cluster` and `<env>-app` stacks apply the same charts.
 *
 * Configuration: config/environments.ts (context/env overrides as
 * documented there) and the image digest (`TEKUTOKO_IMAGE_DIGEST`).
 */
import { App, YamlOutputType } from 'cdk8s';
import { join } from 'path';
import { ContextSources, resolveContext } from '../config/context';
import { ENVIRONMENT_NAMES, loadEnvironments, previewHost } from '../config/environments';
import { ClusterBaseChart } from './cluster/cluster-base-chart';
import { DatabaseAdminChart } from './cluster/database-admin-chart';
import { GmpFrontendChart } from './cluster/gmp-frontend-chart';
import { imageDigestFrom, previewExpiry, previewWalkServiceProps, walkServiceProps } from './environments';
import { GATEWAY_EDGE, MONITORING } from './lib/cluster-addons';
import { WalkServiceChart } from './walk-service/chart';
import { DatabaseGrantChart } from './walk-service/database-grant-chart';
import { MigrationsChart } from './walk-service/migrations-chart';
import { ServiceNamespaceChart } from './walk-service/namespace-chart';
import { WalkServiceProps } from './walk-service/props';

/** Pull request number of the sample preview written next to the environments. */
export const SAMPLE_PREVIEW_PR = 1;

function synthDir(outdir: string, build: (app: App) => void): void {
  const app = new App({
    outdir,
    outputFileExtension: '.yaml',
    yamlOutputType: YamlOutputType.FILE_PER_CHART,
  });
  build(app);
  app.synth();
}

function serviceCharts(app: App, props: WalkServiceProps): void {
  new WalkServiceChart(app, 'walk-service', props);
  new DatabaseGrantChart(app, 'database-grant', props);
  new MigrationsChart(app, 'migrations', props);
}

export interface SynthChartsOptions extends ContextSources {
  /** @default now — deploy time of the sample preview (its expiry label). */
  readonly now?: Date;
}

/**
 * Synthesizes all charts; returns the directories written. Configuration comes
 * from the same sources as the stacks (cdktf.json context, CDKTF_CONTEXT_JSON,
 * `-c key=value`, TEKUTOKO_* variables), so the YAML is what they apply.
 */
export function synthCharts(outdir = 'dist/charts', options: SynthChartsOptions = {}): string[] {
  const { context, env } = resolveContext(options);
  const now = options.now ?? new Date();
  const all = loadEnvironments(context, env);
  const digest = imageDigestFrom(context, env);
  const written: string[] = [];
  for (const name of ENVIRONMENT_NAMES) {
    const config = all.environments[name];
    const dir = join(outdir, name);
    synthDir(dir, (app) => {
      serviceCharts(app, walkServiceProps(config, all.bootstrap, digest));
      new ClusterBaseChart(app, 'cluster-base', {
        gatewayAddressName: GATEWAY_EDGE.addressName,
        certificateMapName: GATEWAY_EDGE.certificateMapName,
        httpRedirectListener: config.edge.httpRedirectListener,
      });
      new DatabaseAdminChart(app, 'db-admin', { projectId: config.projectId });
      new GmpFrontendChart(app, 'gmp-frontend', {
        projectId: config.projectId,
        googleServiceAccountId: MONITORING.frontendGoogleServiceAccountId,
      });
    });
    written.push(dir);
  }
  const dir = join(outdir, 'preview');
  const preview = previewWalkServiceProps(previewHost(all), all.bootstrap, {
    pr: all.previewPr ?? SAMPLE_PREVIEW_PR,
    imageDigest: digest,
    expiresAt: previewExpiry(now),
  });
  synthDir(dir, (app) => {
    new ServiceNamespaceChart(app, 'namespace', {
      namespace: preview.identity.namespace,
      extraLabels: preview.extraLabels,
    });
    serviceCharts(app, preview);
  });
  written.push(dir);
  return written;
}

if (require.main === module) {
  for (const dir of synthCharts()) process.stdout.write(`wrote ${dir}\n`);
}
