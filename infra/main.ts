/**
 * The cdktf app: every stack, built from infra/config/environments.ts.
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
import { App } from 'cdktf';
import { readFileSync } from 'fs';
import { join } from 'path';
import {
  ConfigInput,
  Environments,
  ENVIRONMENT_NAMES,
  loadEnvironments,
  previewHost,
} from './config/environments';
import { stackName } from './config/names';
import { BootstrapStack } from './stacks/bootstrap-stack';
import { PlatformStack } from './stacks/platform-stack';
import { PreviewStack } from './stacks/preview-stack';

export interface SynthInfraOptions {
  /** Highest-priority context (tests, scripts). */
  readonly context?: ConfigInput;
  /** @default process.env */
  readonly env?: ConfigInput;
  /** @default process.argv.slice(2) — parsed for `-c key=value` / `--context key=value`. */
  readonly argv?: readonly string[];
  /** @default true — read cdktf.json "context" and CDKTF_CONTEXT_JSON. */
  readonly readContextFiles?: boolean;
}

/** `-c key=value` pairs from the command line. */
export function contextFromArgv(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const inline = /^--context=(.*)$/.exec(arg)?.[1];
    const pair = inline ?? (arg === '-c' || arg === '--context' ? argv[++i] : undefined);
    if (pair === undefined) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`context argument must be key=value, got "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function fileContext(env: ConfigInput): Record<string, unknown> {
  let fromJson: Record<string, unknown> = {};
  try {
    const cdktfJson = JSON.parse(readFileSync(join(__dirname, '..', 'cdktf.json'), 'utf8')) as {
      context?: object;
    };
    fromJson = { ...(cdktfJson.context ?? {}) };
  } catch {
    // No cdktf.json next to the app: context comes from the other sources only.
  }
  const raw = env.CDKTF_CONTEXT_JSON;
  const fromCli = typeof raw === 'string' && raw !== '' ? (JSON.parse(raw) as Record<string, unknown>) : {};
  return { ...fromJson, ...fromCli };
}

/** The merged context `synthInfra` builds its configuration from. */
export function resolveContext(options: SynthInfraOptions = {}): { context: ConfigInput; env: ConfigInput } {
  const env = options.env ?? process.env;
  const context = {
    ...(options.readContextFiles === false ? {} : fileContext(env)),
    ...contextFromArgv(options.argv ?? process.argv.slice(2)),
    ...(options.context ?? {}),
  };
  return { context, env };
}

/** Adds every stack of `config` to `app`. */
export function buildInfra(app: App, config: Environments): void {
  new BootstrapStack(app, stackName.bootstrap, {
    bootstrap: config.bootstrap,
    environments: config.environments,
  });
  for (const name of ENVIRONMENT_NAMES) {
    new PlatformStack(app, stackName.platform(name), {
      bootstrap: config.bootstrap,
      environment: config.environments[name],
    });
  }
  if (config.previewPr !== undefined) {
    new PreviewStack(app, stackName.preview(config.previewPr), {
      bootstrap: config.bootstrap,
      host: previewHost(config),
      pr: config.previewPr,
    });
  }
}

/** Synthesizes every stack into `<outdir>/stacks/<stack>/cdk.tf.json`; returns the configuration used. */
export function synthInfra(outdir = 'cdktf.out', options: SynthInfraOptions = {}): Environments {
  const { context, env } = resolveContext(options);
  const config = loadEnvironments(context, env);
  // Stack traces on every construct cost time and memory and are never read.
  const app = new App({ outdir, context: { ...context }, stackTraces: false });
  buildInfra(app, config);
  app.synth();
  return config;
}

if (require.main === module) {
  try {
    synthInfra(process.env.CDKTF_OUTDIR || 'cdktf.out');
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
