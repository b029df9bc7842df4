/**
 * Where the deploy workflow points kubectl and docker must be what the stacks
 * create: the cluster of `<env>-platform`, the image the `<env>-app` stack runs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ENVIRONMENT_NAMES } from '../../config/environments';
import { stackName } from '../../config/names';
import { synthInfra } from '../../infra/main';
import { deployTarget } from '../scripts/deploy-target';

const env = {
  TEKUTOKO_STAGING_PROJECT_ID: 'tekutoko-stg-sample',
  TEKUTOKO_BOOTSTRAP_PROJECT_ID: 'tekutoko-ops-sample',
};
type StackJson = {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  output?: Record<string, { value: string }>;
};
const stacks = new Map<string, StackJson>();

beforeAll(() => {
  const outdir = mkdtempSync(join(tmpdir(), 'deploy-target-'));
  try {
    synthInfra(outdir, { env, argv: [], readContextFiles: false });
    for (const name of ENVIRONMENT_NAMES) {
      for (const stack of [stackName.platform(name), stackName.app(name)]) {
        stacks.set(
          stack,
          JSON.parse(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as StackJson,
        );
      }
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
});

describe.each(ENVIRONMENT_NAMES)('deploy target %s', (name) => {
  const target = () => deployTarget(name, env);

  it('is the cluster the platform stack creates', () => {
    const clusters = Object.values(stacks.get(stackName.platform(name))!.resource!.google_container_cluster!);
    expect(clusters).toHaveLength(1);
    const cluster = clusters[0] as { name: string; location: string; project: string };
    expect({ name: cluster.name, location: cluster.location, project: cluster.project }).toEqual({
      name: target().cluster_name,
      location: target().region,
      project: target().project_id,
    });
  });

  it('pushes to the image repository the app stack deploys from', () => {
    const image = stacks.get(stackName.app(name))!.output!.image!.value;
    expect(image.startsWith(`${target().image}@sha256:`)).toBe(true);
    expect(target().image.startsWith(`${target().registry}/`)).toBe(true);
  });

  it('names the Cloud SQL instance the platform stack creates', () => {
    const instances = Object.values(
      stacks.get(stackName.platform(name))!.resource!.google_sql_database_instance!,
    );
    expect(instances.map((i) => i.name)).toContain(target().sql_instance);
  });
});

it('refuses an unknown environment', () => {
  expect(() => deployTarget('qa', env)).toThrow(/use one of dev, staging, prod/);
});
