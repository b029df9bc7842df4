/**
 * The cutover's `firestore-migration` identity on every synthesized platform
 * stack: what its calls need (FIRESTORE_MIGRATION_NEEDS) is granted, with the
 * smallest predefined role that holds it (role → permissions as Google's role
 * reference states them, infra/config/platform-facts.ts), and nothing more.
 */
import { ENVIRONMENT_NAMES, loadEnvironments } from '../config/environments';
import {
  FIRESTORE_MIGRATION_IDENTITY,
  FIRESTORE_MIGRATION_NEEDS,
  googleServiceAccountEmail,
  stackName,
  walkImagesBucketName,
} from '../config/names';
import { FIREBASE_AUTH_ROLE_PERMISSIONS, STORAGE_OBJECT_ROLE_PERMISSIONS } from '../config/platform-facts';
import { Block, iamResources, resources, StackJson, synthesizeAll } from './synthesized';

const s = synthesizeAll();

/** The role of `table` with the fewest permissions that holds every one of `needs`. */
function leastRole(table: Readonly<Record<string, readonly string[]>>, needs: readonly string[]): string {
  const holding = Object.entries(table)
    .filter(([, permissions]) => needs.every((n) => permissions.includes(n)))
    .sort(([, a], [, b]) => a.length - b.length);
  if (holding.length === 0) throw new Error(`no role in the table holds ${needs.join(', ')}`);
  return holding[0]![0];
}

/** A bucket attribute as the bucket's name: a literal, or a reference to a bucket of this stack. */
function bucketName(stack: StackJson, bucket: string): string {
  const ref = /^\$\{google_storage_bucket\.([^.]+)\.name\}$/.exec(bucket);
  return ref ? stack.resource!.google_storage_bucket![ref[1]!]!.name : bucket;
}

describe.each(ENVIRONMENT_NAMES)('%s-platform: the firestore-migration identity', (envName) => {
  const env = s.config.environments[envName];
  const stack = s.stacks[stackName.platform(envName)]!;
  const member = `serviceAccount:${googleServiceAccountEmail(FIRESTORE_MIGRATION_IDENTITY.googleServiceAccountId, env.projectId)}`;
  const grants = iamResources(stack).filter(([, b]) => b.member === member);
  const onProject = (project: string) =>
    grants.filter(([t, b]) => t === 'google_project_iam_member' && b.project === project).map(([, b]) => b);
  const onBucket = (name: string): Block[] =>
    grants
      .filter(([t, b]) => t === 'google_storage_bucket_iam_member' && bucketName(stack, b.bucket) === name)
      .map(([, b]) => b);

  it('reads Firebase Auth users with the least role that can', () => {
    const role = leastRole(FIREBASE_AUTH_ROLE_PERMISSIONS.value, FIRESTORE_MIGRATION_NEEDS.firebaseAuth);
    expect(role).toBe('roles/firebaseauth.viewer');
    expect(onProject(env.firebaseProjectId).map((b) => b.role)).toContain(role);
  });

  it('reads the Firebase bucket with the least object role that can, and only reads it', () => {
    const role = leastRole(STORAGE_OBJECT_ROLE_PERMISSIONS.value, FIRESTORE_MIGRATION_NEEDS.firebaseBucket);
    expect(onBucket(env.firebaseStorageBucket).map((b) => [b.role, b.condition])).toEqual([
      [role, undefined],
    ]);
    expect(STORAGE_OBJECT_ROLE_PERMISSIONS.value[role]).not.toContain('storage.objects.create');
  });

  it('writes the service bucket with the least object role that can replace a copy, under walk_thumbnails/ only', () => {
    const role = leastRole(STORAGE_OBJECT_ROLE_PERMISSIONS.value, FIRESTORE_MIGRATION_NEEDS.serviceBucket);
    expect(role).toBe('roles/storage.objectUser');
    const bucket = walkImagesBucketName(env.projectId);
    expect(resources(stack, 'google_storage_bucket').map((b) => b.name)).toContain(bucket);
    const granted = onBucket(bucket);
    expect(granted.map((b) => b.role)).toEqual([role]);
    const prefix = FIRESTORE_MIGRATION_NEEDS.serviceBucketPrefix;
    expect(granted[0]!.condition.expression).toBe(
      `resource.name.startsWith("projects/_/buckets/${bucket}/objects/${prefix}") || ` +
        `api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("${prefix}")`,
    );
  });

  it('holds no other grant: Firestore and Auth read on the Firebase project, its database login, the two buckets', () => {
    expect(grants.map(([t, b]) => [t, b.role, b.project ?? bucketName(stack, b.bucket)]).sort()).toEqual(
      [
        ['google_project_iam_member', 'roles/cloudsql.client', env.projectId],
        ['google_project_iam_member', 'roles/cloudsql.instanceUser', env.projectId],
        ['google_project_iam_member', 'roles/datastore.viewer', env.firebaseProjectId],
        ['google_project_iam_member', 'roles/firebaseauth.viewer', env.firebaseProjectId],
        ['google_storage_bucket_iam_member', 'roles/storage.objectViewer', env.firebaseStorageBucket],
        ['google_storage_bucket_iam_member', 'roles/storage.objectUser', walkImagesBucketName(env.projectId)],
      ].sort(),
    );
  });
});

describe('the Firebase bucket', () => {
  it('defaults to the default bucket name of the Firebase project and can be configured', () => {
    expect(
      loadEnvironments({ 'prod.firebaseProjectId': 'tekutoko-app' }).environments.prod.firebaseStorageBucket,
    ).toBe('tekutoko-app.firebasestorage.app');
    expect(
      loadEnvironments({ 'prod.firebaseStorageBucket': 'tekutoko-app.appspot.com' }).environments.prod
        .firebaseStorageBucket,
    ).toBe('tekutoko-app.appspot.com');
    expect(() => loadEnvironments({ 'prod.firebaseStorageBucket': 'gs://x' })).toThrow(
      /environments\.prod\.firebaseStorageBucket: must be a Cloud Storage bucket name/,
    );
  });
});
