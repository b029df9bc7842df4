/**
 * Operator Jobs (scripts/ops-job.ts: `npm run cutover`, `npm run ops-job`)
 * against what runs them: the Kubernetes schemas and the workload rules, the
 * image's layout (distroless, node as entrypoint, built entry files), and the
 * identities and grants the platform stack creates.
 */
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { Testing } from 'cdktf';
import { validateObjects, K8sObject } from '../../charts/test/schema-validation';
import { workloadProblems } from '../../charts/test/workload-rules';
import { FIRESTORE_MIGRATION_IDENTITY, iamDatabaseUser } from '../config/names';
import { loadEnvironments } from '../config/environments';
import { PlatformStack } from '../stacks/platform-stack';
import { ENTRY, opsJobManifests, parseArgs, sqlScript } from '../../scripts/ops-job';

const ROOT = join(__dirname, '..', '..');
const IMAGE = `asia-northeast1-docker.pkg.dev/tekutoko-ops-example/tekutoko/walk-service@sha256:${'a'.repeat(64)}`;
const all = loadEnvironments();

/* eslint-disable @typescript-eslint/no-explicit-any */
const cutover = opsJobManifests(
  {
    env: 'prod',
    as: 'firestore-migration',
    name: 'firestore-migration-1',
    image: IMAGE,
    args: [ENTRY.firestoreMigration, '--cohort', '10'],
  },
  all,
) as any[];
const job = cutover.find((o) => o.kind === 'Job');
const pod = job.spec.template.spec;
const container = pod.containers[0];
const env = (n: string) => container.env.find((e: any) => e.name === n)?.value;

describe('cutover Job', () => {
  it('is valid Kubernetes and a restricted, probed workload', () => {
    expect(validateObjects(cutover as K8sObject[])).toEqual([]);
    expect(workloadProblems(job)).toEqual([]);
  });

  it('runs a built entry of the distroless image: args start with a dist/ file compiled from app/src', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM gcr\.io\/distroless\/nodejs\d+/m); // entrypoint is node, no shell
    expect(container.command).toBeUndefined();
    for (const entry of Object.values(ENTRY)) {
      const source = entry.replace(/^dist\/app\//, 'app/src/').replace(/\.js$/, '.ts');
      expect([entry, existsSync(join(ROOT, source))]).toEqual([entry, true]);
    }
    expect(container.args).toEqual([ENTRY.firestoreMigration, '--cohort', '10']);
    expect(container.image).toBe(IMAGE);
  });

  it('runs as the identity the platform stack makes a Firestore reader and a database user', () => {
    const prod = all.environments.prod;
    const stack = JSON.parse(
      Testing.synth(new PlatformStack(Testing.app(), 'p', { bootstrap: all.bootstrap, environment: prod })),
    ).resource;
    const ksa = cutover.find((o) => o.kind === 'ServiceAccount');
    expect(pod.serviceAccountName).toBe(ksa.metadata.name);
    const email = ksa.metadata.annotations['iam.gke.io/gcp-service-account'];
    const gsa: any = Object.values(stack.google_service_account).find(
      (a: any) => a.account_id === FIRESTORE_MIGRATION_IDENTITY.googleServiceAccountId,
    );
    expect(`${gsa.account_id}@${gsa.project}.iam.gserviceaccount.com`).toBe(email);
    const wi: any[] = Object.values(stack.google_service_account_iam_member);
    expect(wi.map((b) => b.member)).toContain(
      `serviceAccount:${prod.projectId}.svc.id.goog[${ksa.metadata.namespace}/${ksa.metadata.name}]`,
    );
    const grants: any[] = Object.values(stack.google_project_iam_member).filter(
      (g: any) => g.member === `serviceAccount:${email}`,
    );
    expect(grants.map((g) => [g.role, g.project]).sort()).toEqual(
      [
        ['roles/cloudsql.client', prod.projectId],
        ['roles/cloudsql.instanceUser', prod.projectId],
        ['roles/datastore.viewer', prod.firebaseProjectId],
        ['roles/firebaseauth.viewer', prod.firebaseProjectId],
      ].sort(),
    );
    const user = decodeURIComponent(new URL(env('DATABASE_URL')).username);
    expect(user).toBe(iamDatabaseUser(FIRESTORE_MIGRATION_IDENTITY.googleServiceAccountId, prod.projectId));
    expect(Object.values(stack.google_sql_user).map((u: any) => u.name)).toContain(user);
    expect(env('FIREBASE_PROJECT_ID')).toBe(prod.firebaseProjectId);
    expect(pod.initContainers[0].args).toContain(
      `${prod.projectId}:${prod.region}:${prod.database.instanceName}`,
    );
  });
});

describe('SQL Job', () => {
  it('runs the SQL as walk-service (the owner) with its placeholders filled', () => {
    const sql = sqlScript(join(ROOT, 'runbooks/sql/grant-firestore-migration.sql'), 'tekutoko-prod-example');
    expect(sql).toContain('TO "firestore-migration@tekutoko-prod-example.iam"');
    const objs = opsJobManifests(
      {
        env: 'dev',
        as: 'walk-service',
        name: 'sql-1',
        image: IMAGE,
        args: [ENTRY.sql, sql],
      },
      all,
    ) as any[];
    expect(objs.map((o) => o.kind)).toEqual(['Job']);
    expect(objs[0].spec.template.spec.serviceAccountName).toBe('walk-service');
    expect(validateObjects(objs as K8sObject[])).toEqual([]);
  });

  it('parses its arguments', () => {
    expect(parseArgs(['--env', 'prod', '--', '--cohort', '10'])).toEqual({
      env: 'prod',
      verify: true,
      yes: false,
      rest: ['--cohort', '10'],
    });
    expect(parseArgs(['--env', 'dev', '--yes', '--no-verify']).yes).toBe(true);
    expect(parseArgs(['--env', 'prod', '--instance', 'walks-prod-pitr-20261122']).instance).toBe(
      'walks-prod-pitr-20261122',
    );
    expect(() => parseArgs(['--env', 'prod', '--instance', 'Walks_Prod'])).toThrow(
      '--instance must be a Cloud SQL instance id',
    );
    expect(() => parseArgs(['--env', 'qa'])).toThrow('--env must be one of dev, staging, prod');
    expect(() => parseArgs(['--env', 'dev', '--cohort', '10'])).toThrow("Unknown option '--cohort'");
  });
});
