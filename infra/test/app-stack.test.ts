/* eslint-disable @typescript-eslint/no-explicit-any */
import { Testing as Cdk8sTesting } from 'cdk8s';
import { Testing } from 'cdktf';
import { WalkServiceChart } from '../../charts/walk-service/chart';
import { migrationsJobName } from '../../charts/walk-service/migrations-chart';
import { UNRELEASED_IMAGE_DIGEST, walkServiceProps } from '../../charts/environments';
import { EnvironmentConfig, loadEnvironments } from '../../config/environments';
import { DATABASE_ADMIN_IDENTITY, SERVICE_NAME } from '../../config/names';
import { AppStack } from '../stacks/app-stack';
import { evaluate, requireTerraform } from './terraform';

const { bootstrap, environments } = loadEnvironments();
const DIGEST = `sha256:${'ab'.repeat(32)}`;

function synth(env: EnvironmentConfig, imageDigest = DIGEST): any {
  return JSON.parse(
    Testing.synth(new AppStack(Testing.app(), `${env.name}-app`, { env, bootstrap, imageDigest })),
  );
}
const entries = (json: any) => Object.entries(json.resource.kubernetes_manifest) as [string, any][];
/** The migrations Job (the grant Job runs in the database admin's namespace). */
const isMigrations = (m: any) =>
  m.manifest.kind === 'Job' && m.manifest.metadata.namespace !== DATABASE_ADMIN_IDENTITY.namespace;
const isGrant = (m: any) =>
  m.manifest.kind === 'Job' && m.manifest.metadata.namespace === DATABASE_ADMIN_IDENTITY.namespace;
const address = (id: string) => `kubernetes_manifest.${id}`;

beforeAll(() => requireTerraform());

describe('AppStack', () => {
  const props = walkServiceProps(environments.prod, bootstrap, DIGEST);
  const json = synth(environments.prod);
  const [jobId, job] = entries(json).find(([, m]) => isMigrations(m))!;

  it('applies exactly the chart objects, unchanged', () => {
    const chart = new WalkServiceChart(Cdk8sTesting.app(), 'c', props).toJson();
    const applied = entries(json)
      .map(([, m]) => m.manifest)
      .filter((m) => m.kind !== 'Job');
    const key = (o: any) => `${o.kind}/${o.metadata.name}`;
    expect(applied.map(key).sort()).toEqual(chart.map(key).sort());
    for (const o of chart) expect(applied.find((a) => key(a) === key(o))).toEqual(o);
  });

  it('runs the migrations Job of this image to completion before touching the service', () => {
    expect(job.manifest.metadata.name).toBe(migrationsJobName(props.imageDigest));
    expect(job.wait).toEqual({ condition: [{ type: 'Complete', status: 'True' }] });
    const deployment = entries(json).find(([, m]) => m.manifest.kind === 'Deployment')![1];
    expect(deployment.depends_on).toContain(address(jobId));
    const ksaId = entries(json).find(([, m]) => m.manifest.kind === 'ServiceAccount')![0];
    expect(job.depends_on).toContain(address(ksaId));
    // After the database admin's grant, which runs as db-admin on this service's database.
    const [grantId, grant] = entries(json).find(([, m]) => isGrant(m))!;
    expect(job.depends_on).toContain(address(grantId));
    expect(grant.wait).toEqual({ condition: [{ type: 'Complete', status: 'True' }] });
    const env = Object.fromEntries(
      grant.manifest.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]),
    );
    expect(env.DATABASE_GRANTEE).toBe(`${SERVICE_NAME}@${environments.prod.projectId}.iam`);
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/db-admin%40[^/]+\/walks\?/);
    expect(grant.manifest.spec.template.spec.serviceAccountName).toBe(
      DATABASE_ADMIN_IDENTITY.kubernetesServiceAccount,
    );
  });

  it('lets Kubernetes end a migrations run before Terraform stops waiting, and clears finished Jobs', () => {
    const spec = job.manifest.spec;
    const seconds = (t: string) => Number(/^(\d+)s$/.exec(t)![1]);
    expect(spec.activeDeadlineSeconds).toBeGreaterThan(0);
    expect(seconds(job.timeouts.create)).toBeGreaterThan(spec.activeDeadlineSeconds);
    expect(seconds(job.timeouts.update)).toBe(seconds(job.timeouts.create));
    expect(spec.ttlSecondsAfterFinished).toBeGreaterThanOrEqual(3600);
  });

  it('does not fight the HPA or Flagger: no replicas, no Service or HTTPRoute in a canary environment', () => {
    const kinds = entries(json).map(([, m]) => m.manifest.kind);
    expect(kinds).not.toContain('HTTPRoute');
    expect(kinds).not.toContain('Service');
    const deployment = entries(json).find(([, m]) => m.manifest.kind === 'Deployment')![1];
    expect(deployment.manifest.spec.replicas).toBeUndefined();
    expect(deployment.field_manager).toEqual({ name: 'cdktf', force_conflicts: true });
  });

  it('deploys a new digest by changing the image and renaming the Job, nothing else', () => {
    const next = synth(environments.prod, `sha256:${'cd'.repeat(32)}`);
    const image = (j: any) =>
      entries(j).find(([, m]) => m.manifest.kind === 'Deployment')![1].manifest.spec.template.spec
        .containers[0].image;
    expect(image(next)).toMatch(/@sha256:(cd){32}$/);
    expect(image(json)).toMatch(/@sha256:(ab){32}$/);
    const ids = (j: any) =>
      entries(j)
        .filter(([, m]) => m.manifest.kind !== 'Job')
        .map(([id]) => id)
        .sort();
    expect(ids(next)).toEqual(ids(json));
    expect(entries(next).find(([, m]) => isMigrations(m))![1].manifest.metadata.name).toBe(
      `${SERVICE_NAME}-migrate-cdcdcdcdcdcd`,
    );
  });

  it('in a rolling-update environment, applies the Service and HTTPRoute too', () => {
    const kinds = entries(synth(environments.dev)).map(([, m]) => m.manifest.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['Service', 'HTTPRoute', 'Deployment', 'HorizontalPodAutoscaler']),
    );
    expect(kinds).not.toContain('Canary');
  });

  it('reaches the cluster through the platform stack state and keeps its own state prefix', () => {
    expect(json.terraform.backend.gcs).toEqual({ bucket: bootstrap.stateBucket, prefix: 'stacks/prod-app' });
    const remote = Object.values(json.data.terraform_remote_state) as any[];
    expect(remote[0].config).toEqual({ bucket: bootstrap.stateBucket, prefix: 'stacks/prod-platform' });
    expect(json.resource.google_container_cluster).toBeUndefined();
  });

  it('refuses to plan the unreleased placeholder digest (the precondition as Terraform evaluates it)', () => {
    const verdict = (stack: any): unknown => {
      const [precondition] = entries(stack).find(([, m]) => isMigrations(m))![1].lifecycle.precondition;
      expect(precondition.error_message).toMatch(/TEKUTOKO_IMAGE_DIGEST/);
      return evaluate(stack.locals ?? {}, [
        String(precondition.condition).replace(/^\$\{([\s\S]*)\}$/, '$1'),
      ])[0];
    };
    expect(verdict(json)).toBe(true);
    expect(verdict(synth(environments.prod, UNRELEASED_IMAGE_DIGEST))).toBe(false);
  });
});
