/**
 * `npx tsx scripts/cluster-credentials.ts <env> [--print]`
 *
 * kubectl credentials for an environment's GKE cluster through its DNS
 * endpoint (`gcloud container clusters get-credentials --dns-endpoint`). The
 * cluster's name, location and project are read from the synthesized
 * `<env>-platform` stack, so workflows never retype them. --print only
 * prints the command.
 */
import { spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { stackName } from '../config/names';
import { synthInfra } from '../infra/main';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../config/environments';
import { type CommandArgs, defineCommand, runCli, UsageError } from './lib/cli';

interface ClusterJson {
  name?: string;
  location?: string;
  project?: string;
}

/** The one GKE cluster of a synthesized platform stack. */
export function clusterOf(stack: {
  resource?: Record<string, Record<string, unknown>>;
}): Required<ClusterJson> {
  const clusters = Object.values(stack.resource?.google_container_cluster ?? {}) as ClusterJson[];
  if (clusters.length !== 1)
    throw new Error(`expected one google_container_cluster, found ${clusters.length}`);
  const { name, location, project } = clusters[0]!;
  if (!name || !location || !project) throw new Error('the cluster resource lacks name, location or project');
  return { name, location, project };
}

export function credentialsCommand(c: Required<ClusterJson>): string[] {
  return [
    'gcloud',
    'container',
    'clusters',
    'get-credentials',
    c.name,
    `--location=${c.location}`,
    `--project=${c.project}`,
    '--dns-endpoint',
  ];
}

export const CLUSTER_CREDENTIALS = defineCommand({
  usage: `usage: npx tsx scripts/cluster-credentials.ts <${ENVIRONMENT_NAMES.join('|')}> [--print]

Runs gcloud container clusters get-credentials for the environment's cluster (DNS endpoint).
  --print   only print the command`,
  options: { print: { type: 'boolean', default: false } },
  allowPositionals: true,
});

function main({ values, positionals }: CommandArgs<typeof CLUSTER_CREDENTIALS>): number {
  const [env, ...rest] = positionals;
  if (!ENVIRONMENT_NAMES.includes(env as EnvironmentName) || rest.length > 0)
    throw new UsageError(`expected one environment name, got "${positionals.join(' ')}"`);
  const outdir = mkdtempSync(join(tmpdir(), 'cluster-credentials-'));
  try {
    synthInfra(outdir, { argv: [] });
    const file = join(outdir, 'stacks', stackName.platform(env!), 'cdk.tf.json');
    const command = credentialsCommand(clusterOf(JSON.parse(readFileSync(file, 'utf8'))));
    console.log(`$ ${command.join(' ')}`);
    if (values.print) return 0;
    return spawnSync(command[0]!, command.slice(1), { stdio: 'inherit' }).status === 0 ? 0 : 1;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

runCli(module, CLUSTER_CREDENTIALS, main);
