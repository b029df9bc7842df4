/**
 * The walk-images bucket on every synthesized platform stack (ADR 0260):
 * private, share images removed by a prefix lifecycle rule after the
 * configured days, soft delete per environment.
 */
import { defaultEnvironment, ENVIRONMENT_NAMES, validateEnvironment } from '../../config/environments';
import { stackName, walkImagesBucketName, WALK_IMAGE_PREFIXES } from '../../config/names';
import { SOFT_DELETE_RETENTION_DAYS } from '../../config/platform-facts';
import { resources, synthesizeAll } from './synthesized';

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
