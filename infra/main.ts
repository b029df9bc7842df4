/**
 * The cdktf app: every stack, built from config/environments.ts.
 *
 *   bootstrap                      once (local state first, see docs/deploy.md)
 *   <env>-platform                 dev, staging, prod (Google Cloud resources)
 *   <env>-cluster, <env>-app       Kubernetes side (charts layer)
 *   preview-pr-<n>                 only with `-c pr=<n>` or PREVIEW_PR=<n>
 *
 * Context comes, lowest first, from cdktf.json "context", CDKTF_CONTEXT_JSON
 * (what the cdktf CLI passes), `-c key=value` arguments, then `options.context`;
 * environment variables (TEKUTOKO_*, PREVIEW_PR) fill keys no context sets.
 */
// First: must run before cdktf and the providers load.
import './no-source-maps';
import { App, TerraformStack } from 'cdktf';
import { ContextSources, resolveContext } from '../config/context';
import { Environments, ENVIRONMENT_NAMES, loadEnvironments, previewHost } from '../config/environments';
import { stackName } from '../config/names';
import { UNRELEASED_IMAGE_DIGEST, imageDigestFrom } from '../charts/environments';
import { observabilityObjects, observabilityValues } from '../monitoring/main';
import { AppStack } from './stacks/app-stack';
import { BootstrapStack } from './stacks/bootstrap-stack';
import { ClusterStack } from './stacks/cluster-stack';
import { PlatformStack } from './stacks/platform-stack';
import { PreviewStack } from './stacks/preview-stack';

export interface SynthInfraOptions extends ContextSources {
  /**
   * @default false — placeholders fill missing keys (reviews, tests). The
   * cdktf CLI's run of this file defaults to true: `cdktf deploy` never
   * applies a placeholder (`-c requireContext=false` to look only).
   */
  readonly requireContext?: boolean;
}

/**
 * Terraform versions every stack accepts: 1.11 is what CI and the tests run
 * (write-only arguments, the CLI the init test checks with).
 */
export const TERRAFORM_REQUIRED_VERSION = '>= 1.11.0, < 2.0.0';

/**
 * Adds every stack of `config` to `app`. `imageDigest` is the walk-service
 * image the app and preview stacks deploy (context `imageDigest` /
 * TEKUTOKO_IMAGE_DIGEST; the placeholder synthesizes but cannot be planned).
 */
export function buildInfra(app: App, config: Environments, imageDigest = UNRELEASED_IMAGE_DIGEST): void {
  new BootstrapStack(app, stackName.bootstrap, {
    bootstrap: config.bootstrap,
    environments: config.environments,
  });
  for (const name of ENVIRONMENT_NAMES) {
    new PlatformStack(app, stackName.platform(name), {
      bootstrap: config.bootstrap,
      environment: config.environments[name],
    });
    // A hibernated environment has no cluster: its Kubernetes-side stacks were destroyed first.
    if (config.environments[name].hibernated) continue;
    const k8s = { env: config.environments[name], bootstrap: config.bootstrap };
    new ClusterStack(app, stackName.cluster(name), {
      ...k8s,
      observabilityValues: observabilityValues(config.environments[name]),
      observabilityObjects: observabilityObjects(config, config.environments[name]),
    });
    new AppStack(app, stackName.app(name), { ...k8s, imageDigest });
  }
  if (config.previewPr !== undefined) {
    new PreviewStack(app, stackName.preview(config.previewPr), {
      bootstrap: config.bootstrap,
      host: previewHost(config),
      pr: config.previewPr,
      imageDigest,
    });
  }
  for (const stack of app.node.children)
    if (stack instanceof TerraformStack)
      stack.addOverride('terraform.required_version', TERRAFORM_REQUIRED_VERSION);
}

/** Synthesizes every stack into `<outdir>/stacks/<stack>/cdk.tf.json`; returns the configuration used. */
export function synthInfra(outdir = 'cdktf.out', options: SynthInfraOptions = {}): Environments {
  const { context, env } = resolveContext(options);
  const config = loadEnvironments(context, env, { requireContext: options.requireContext ?? false });
  // Stack traces on every construct cost time and memory and are never read.
  const app = new App({ outdir, context: { ...context }, stackTraces: false });
  buildInfra(app, config, imageDigestFrom(context, env));
  app.synth();
  return config;
}

if (require.main === module) {
  try {
    synthInfra(process.env.CDKTF_OUTDIR || 'cdktf.out', { requireContext: true });
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
