/**
 * The walk-images bucket on every synthesized platform stack (ADR 0260):
 * private, share images removed by a prefix lifecycle rule after the
 * configured days, soft delete per environment; and who may touch it
 * (ADR 0261): walk-service under its prefixes and signing as itself, the
 * share-image worker under `share-images/` only.
 */
import { defaultEnvironment, ENVIRONMENT_NAMES, validateEnvironment } from '../../config/environments';
import {
  googleServiceAccountEmail,
  iamDatabaseUser,
  PLATFORM_OUTPUTS,
  serviceIdentity,
  SHARE_IMAGE_WORKER_IDENTITY,
  SHARE_IMAGE_WORKER_NEEDS,
  stackName,
  walkImagesBucketName,
  WALK_IMAGE_PREFIXES,
  WALK_SERVICE_BUCKET_NEEDS,
} from '../../config/names';
import {
  SIGN_BLOB_ROLE,
  SOFT_DELETE_RETENTION_DAYS,
  STORAGE_OBJECT_ROLE_PERMISSIONS,
  TELEMETRY_TRACES_WRITER_ROLE,
} from '../../config/platform-facts';
import { Block, iamResources, resources, synthesizeAll } from './synthesized';

const s = synthesizeAll();

describe.each(ENVIRONMENT_NAMES)('%s-platform: the walk-images bucket', (envName) => {
  const env = s.config.environments[envName];
  const bucket = resources(s.stacks[stackName.platform(envName)]!, 'google_storage_bucket').find(
    (b) => b.name === walkImagesBucketName(env.projectId),
  )!;

  it('is private with uniform access and survives a destroy', () => {
    expect(bucket).toMatchObject({
      uniform_bucket_level_access: true,
      public_access_prevention: 'enforced',
      force_destroy: false,
      lifecycle: { prevent_destroy: true },
    });
  });

  it('deletes share images after the configured days and nothing else by age', () => {
    expect(bucket.lifecycle_rule).toEqual([
      {
        action: { type: 'Delete' },
        condition: {
          age: env.walkImages.shareImageRetentionDays,
          matches_prefix: [WALK_IMAGE_PREFIXES.shareImages],
        },
      },
    ]);
  });

  it('keeps deleted objects restorable for the configured days', () => {
    expect(bucket.soft_delete_policy).toEqual({
      retention_duration_seconds: env.walkImages.softDeleteRetentionDays * 86_400,
    });
  });

  it('has no CORS: only the iOS app uploads, and it is no browser', () => {
    expect(bucket.cors).toBeUndefined();
  });
});

describe('walk-images settings', () => {
  it('keeps prod and staging images restorable, and turns soft delete off in dev only', () => {
    const all = s.config.environments;
    expect(all.dev.walkImages.softDeleteRetentionDays).toBe(SOFT_DELETE_RETENTION_DAYS.value.off);
    expect(all.staging.walkImages.softDeleteRetentionDays).toBeGreaterThanOrEqual(
      SOFT_DELETE_RETENTION_DAYS.value.min,
    );
    expect(all.prod.walkImages.softDeleteRetentionDays).toBe(30);
  });

  it('refuses a soft-delete retention Cloud Storage refuses, and prod without one, naming the field', () => {
    const dev = defaultEnvironment('dev');
    expect(() =>
      validateEnvironment({ ...dev, walkImages: { ...dev.walkImages, softDeleteRetentionDays: 3 } }),
    ).toThrow(/walkImages\.softDeleteRetentionDays/);
    const prod = defaultEnvironment('prod');
    expect(() =>
      validateEnvironment({ ...prod, walkImages: { ...prod.walkImages, softDeleteRetentionDays: 0 } }),
    ).toThrow(/prod keeps users' images restorable/);
  });
});

/** The role of `table` with the fewest permissions that holds every one of `needs`. */
function leastRole(table: Readonly<Record<string, readonly string[]>>, needs: readonly string[]): string {
  const holding = Object.entries(table)
    .filter(([, permissions]) => needs.every((n) => permissions.includes(n)))
    .sort(([, a], [, b]) => a.length - b.length);
  if (holding.length === 0) throw new Error(`no role in the table holds ${needs.join(', ')}`);
  return holding[0]![0];
}

/** The IAM condition PrivateBucket.prefixCondition writes for `prefixes` of `bucket`. */
function prefixExpression(bucket: string, prefixes: readonly string[]): string {
  return [
    ...prefixes.map((p) => `resource.name.startsWith("projects/_/buckets/${bucket}/objects/${p}")`),
    ...prefixes.map(
      (p) => `api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("${p}")`,
    ),
  ].join(' || ');
}

describe.each(ENVIRONMENT_NAMES)('%s-platform: who may touch walk images', (envName) => {
  const env = s.config.environments[envName];
  const stack = s.stacks[stackName.platform(envName)]!;
  const bucket = walkImagesBucketName(env.projectId);
  const grantsOf = (accountId: string) => {
    const member = `serviceAccount:${googleServiceAccountEmail(accountId, env.projectId)}`;
    return iamResources(stack).filter(([, b]) => b.member === member);
  };
  const onBucket = (accountId: string): Block[] =>
    grantsOf(accountId)
      .filter(([t]) => t === 'google_storage_bucket_iam_member')
      .map(([, b]) => b);
  const service = serviceIdentity();
  const worker = SHARE_IMAGE_WORKER_IDENTITY;

  it('lets walk-service create, read and delete objects under its prefixes only, with the least role', () => {
    const role = leastRole(STORAGE_OBJECT_ROLE_PERMISSIONS.value, WALK_SERVICE_BUCKET_NEEDS.bucket);
    const granted = onBucket(service.googleServiceAccountId);
    expect(granted.map((b) => [b.role, b.condition.expression])).toEqual([
      [role, prefixExpression(bucket, WALK_SERVICE_BUCKET_NEEDS.bucketPrefixes)],
    ]);
    expect(granted[0]!.bucket).toMatch(/^\$\{google_storage_bucket\.walk-images_bucket_\w+\.name\}$/);
  });

  it('lets walk-service sign blobs as itself and as no other account', () => {
    const signing = iamResources(stack).filter(([, b]) => b.role === SIGN_BLOB_ROLE.value.role);
    expect(signing).toHaveLength(1);
    const [type, grant] = signing[0]!;
    expect(type).toBe('google_service_account_iam_member');
    expect(grant.member).toBe(
      `serviceAccount:${googleServiceAccountEmail(service.googleServiceAccountId, env.projectId)}`,
    );
    const account = stack.resource!.google_service_account!;
    const target = /^\$\{google_service_account\.([^.]+)\.name\}$/.exec(grant.service_account_id)![1]!;
    expect(account[target]!.account_id).toBe(service.googleServiceAccountId);
  });

  it('lets the worker replace objects under share-images/ only, with the least role that can', () => {
    const role = leastRole(STORAGE_OBJECT_ROLE_PERMISSIONS.value, SHARE_IMAGE_WORKER_NEEDS.bucket);
    expect(onBucket(worker.googleServiceAccountId).map((b) => [b.role, b.condition.expression])).toEqual([
      [role, prefixExpression(bucket, [WALK_IMAGE_PREFIXES.shareImages])],
    ]);
  });

  it('gives the worker its own database user, Workload Identity for its KSA, and no other role', () => {
    expect(
      grantsOf(worker.googleServiceAccountId)
        .map(([t, b]) => `${t} ${b.role}`)
        .sort(),
    ).toEqual([
      'google_project_iam_member roles/cloudsql.client',
      'google_project_iam_member roles/cloudsql.instanceUser',
      `google_project_iam_member ${TELEMETRY_TRACES_WRITER_ROLE.value}`,
      'google_storage_bucket_iam_member roles/storage.objectUser',
    ]);
    for (const [t, b] of grantsOf(worker.googleServiceAccountId))
      if (t === 'google_project_iam_member' && b.role.startsWith('roles/cloudsql.'))
        expect(b.condition.expression).toContain(`instances/${env.database.instanceName}"`);
    const user = resources(stack, 'google_sql_user').find(
      (u) => u.name === iamDatabaseUser(worker.googleServiceAccountId, env.projectId),
    );
    expect(user).toMatchObject({ type: 'CLOUD_IAM_SERVICE_ACCOUNT' });
    expect(user!.password).toBeUndefined();
    const wi = iamResources(stack).filter(
      ([, b]) =>
        b.role === 'roles/iam.workloadIdentityUser' &&
        b.member ===
          `serviceAccount:${env.projectId}.svc.id.goog[${worker.namespace}/${worker.kubernetesServiceAccount}]`,
    );
    expect(wi).toHaveLength(1);
    expect(stack.output![PLATFORM_OUTPUTS.shareImageWorkerDatabaseUser]!.value).toBe(user!.name);
  });

  it('grants nothing on the bucket beyond the three identities that write it', () => {
    const members = iamResources(stack)
      .filter(
        ([t, b]) => t === 'google_storage_bucket_iam_member' && String(b.bucket).includes('walk-images'),
      )
      .map(([, b]) => b.member.split('@')[0])
      .sort();
    expect(members).toEqual(
      [
        'serviceAccount:firestore-migration',
        `serviceAccount:${service.googleServiceAccountId}`,
        `serviceAccount:${worker.googleServiceAccountId}`,
      ].sort(),
    );
  });
});
