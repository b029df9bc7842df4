/**
 * `npx tsx .github/scripts/deploy-target.ts <dev|staging|prod|preview-host>`
 *
 * Where a workflow deploys to, computed from config/ (the same context
 * and TEKUTOKO_* variables the cdktf app reads), so no workflow retypes a
 * project, cluster or image path. Prints `key=value` lines and appends them
 * to $GITHUB_OUTPUT when set.
 */
import { appendFileSync } from 'fs';
import { resolveContext } from '../../config/context';
import {
  ENVIRONMENT_NAMES,
  EnvironmentName,
  loadEnvironments,
  previewHost,
  previewImageRepository,
  serviceImageRepository,
} from '../../config/environments';
import { SERVICE_NAMESPACE } from '../../config/names';

/** GKE cluster of an environment (the platform stack's naming; a test checks both agree). */
export function clusterName(env: string): string {
  return `tekutoko-${env}`;
}

export interface DeployTarget {
  readonly environment: string;
  readonly project_id: string;
  readonly region: string;
  readonly cluster_name: string;
  readonly namespace: string;
  readonly sql_instance: string;
  /** walk-service release image repository, without tag or digest. */
  readonly image: string;
  /** walk-service pull-request image repository (previews only). */
  readonly preview_image: string;
  /** Docker registry host of the image (for docker login). */
  readonly registry: string;
  readonly url: string;
  /** 'true' when walk-service rolls out by Flagger canary. */
  readonly canary: string;
}

/** `preview-host`: the environment whose cluster and instance host the PR previews. */
export const PREVIEW_HOST = 'preview-host';

export function deployTarget(name: string, env: NodeJS.ProcessEnv = process.env): DeployTarget {
  if (name !== PREVIEW_HOST && !ENVIRONMENT_NAMES.includes(name as EnvironmentName)) {
    throw new Error(
      `environment: got "${name}"; use one of ${ENVIRONMENT_NAMES.join(', ')}, ${PREVIEW_HOST}`,
    );
  }
  const { context } = resolveContext({ env, argv: [] });
  const config = loadEnvironments(context, env);
  const e = name === PREVIEW_HOST ? previewHost(config) : config.environments[name as EnvironmentName];
  const image = serviceImageRepository(config.bootstrap);
  return {
    environment: e.name,
    project_id: e.projectId,
    region: e.region,
    cluster_name: clusterName(e.name),
    namespace: SERVICE_NAMESPACE,
    sql_instance: e.database.instanceName,
    image,
    preview_image: previewImageRepository(config.bootstrap),
    registry: image.split('/')[0]!,
    url: `https://${e.hostname}`,
    canary: String(e.service.canary !== null),
  };
}

if (require.main === module) {
  try {
    const target = deployTarget(process.argv[2] ?? '');
    const lines = Object.entries(target).map(([k, v]) => `${k}=${v}`);
    console.log(lines.join('\n'));
    if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `${lines.join('\n')}\n`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
