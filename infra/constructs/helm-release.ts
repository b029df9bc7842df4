import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { Release } from '@cdktf/provider-helm/lib/release';

export interface PinnedHelmReleaseProps {
  readonly provider: HelmProvider;
  /** Chart repository URL (https:// or oci://). */
  readonly repository: string;
  readonly chart: string;
  /** Exact chart version, e.g. `1.44.0`; ranges are rejected. */
  readonly version: string;
  readonly namespace: string;
  /** @default the chart name */
  readonly releaseName?: string;
  /** Values as data; rendered to YAML for Helm. @default {} */
  readonly values?: Record<string, unknown>;
  /** @default none */
  readonly dependsOn?: ITerraformDependable[];
  /** @default 600 — seconds Helm waits for the release's resources to be ready. */
  readonly timeoutSeconds?: number;
}

/** Terraform would read `${…}` and `%{…}` in a string as its own templates (Grafana dashboards use `${var}`). */
export function escapeTerraformTemplate(text: string): string {
  return text.replace(/([$%])\{/g, (_, sigil: string) => `${sigil}${sigil}{`);
}

const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/**
 * A Helm release pinned to an exact chart version, atomic (a failed upgrade
 * rolls back) and waiting for readiness, with values given as typed data.
 */
export class PinnedHelmRelease extends Construct {
  readonly release: Release;
  /** Values as applied (for tests and for other layers to read). */
  readonly values: Record<string, unknown>;

  constructor(scope: Construct, id: string, props: PinnedHelmReleaseProps) {
    super(scope, id);
    if (!EXACT_VERSION.test(props.version)) {
      throw new Error(`${id}: version must be an exact chart version like 1.2.3, got "${props.version}"`);
    }
    if (!/^(https|oci):\/\//.test(props.repository)) {
      throw new Error(`${id}: repository must be an https:// or oci:// URL, got "${props.repository}"`);
    }
    this.values = props.values ?? {};
    this.release = new Release(this, 'release', {
      provider: props.provider,
      name: props.releaseName ?? props.chart,
      repository: props.repository,
      chart: props.chart,
      version: props.version,
      namespace: props.namespace,
      atomic: true,
      cleanupOnFail: true,
      wait: true,
      timeout: props.timeoutSeconds ?? 600,
      maxHistory: 10,
      values: [escapeTerraformTemplate(JSON.stringify(this.values))],
      dependsOn: props.dependsOn,
    });
  }
}
