import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { StorageBucket, StorageBucketLifecycleRule } from '@cdktf/provider-google/lib/storage-bucket';
import { StorageBucketIamMember } from '@cdktf/provider-google/lib/storage-bucket-iam-member';
import { SOFT_DELETE_RETENTION_DAYS } from '../../config/platform-facts';
import { safeGrant, IPrincipal } from './principal';

const SECONDS_PER_DAY = 86_400;

export interface PrivateBucketProps {
  readonly projectId: string;
  readonly name: string;
  /** Region (or multi-region) of the data. */
  readonly location: string;
  /** @default false — keep noncurrent object versions. */
  readonly versioning?: boolean;
  /** @default none — delete live objects older than this many days. */
  readonly deleteAfterDays?: number;
  /**
   * @default none — per object-name prefix, delete live objects older than
   * this many days (a lifecycle rule with `matches_prefix`).
   */
  readonly deleteUnderPrefixAfterDays?: Readonly<Record<string, number>>;
  /**
   * @default Google's default (7 days) — days a deleted or replaced object
   * stays restorable; 0 turns soft delete off (bytes kept are billed).
   */
  readonly softDeleteRetentionDays?: number;
  /** @default none (with versioning: 10) — noncurrent versions kept per object. */
  readonly keepNoncurrentVersions?: number;
  /** @default false — `destroy` refuses while objects remain. */
  readonly forceDestroy?: boolean;
  /**
   * @default true unless `forceDestroy` — Terraform refuses any plan that
   * would delete the bucket (its objects are data).
   */
  readonly preventDestroy?: boolean;
  /** @default none — what must exist first (e.g. the Storage API's google_project_service). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * A GCS bucket that cannot become public: uniform bucket-level access (no
 * ACLs) and public access prevention enforced. Access only through grantX.
 */
export class PrivateBucket extends Construct {
  readonly bucket: StorageBucket;
  readonly bucketName: string;
  /** `gs://<name>` */
  readonly bucketUrl: string;

  constructor(scope: Construct, id: string, props: PrivateBucketProps) {
    super(scope, id);
    if (!/^[a-z0-9][-_.a-z0-9]{1,61}[a-z0-9]$/.test(props.name)) {
      throw new Error(
        `PrivateBucket ${id}: name must be a GCS bucket name (3-63 chars a-z 0-9 - _ .), got "${props.name}"`,
      );
    }
    if (
      props.deleteAfterDays !== undefined &&
      (!Number.isInteger(props.deleteAfterDays) || props.deleteAfterDays < 1)
    ) {
      throw new Error(
        `PrivateBucket ${id}: deleteAfterDays must be a positive integer, got ${props.deleteAfterDays}`,
      );
    }
    for (const [prefix, days] of Object.entries(props.deleteUnderPrefixAfterDays ?? {})) {
      if (!/^[\w.-]+\/$/.test(prefix) || !Number.isInteger(days) || days < 1) {
        throw new Error(
          `PrivateBucket ${id}: deleteUnderPrefixAfterDays takes "<folder>/": <positive days>, got "${prefix}": ${days}`,
        );
      }
    }
    const soft = props.softDeleteRetentionDays;
    const { off, min, max } = SOFT_DELETE_RETENTION_DAYS.value;
    if (soft !== undefined && soft !== off && !(Number.isInteger(soft) && soft >= min && soft <= max)) {
      throw new Error(
        `PrivateBucket ${id}: softDeleteRetentionDays must be ${off} (off) or ${min}..${max}, got ${soft}`,
      );
    }
    const rules: StorageBucketLifecycleRule[] = [];
    for (const [prefix, days] of Object.entries(props.deleteUnderPrefixAfterDays ?? {})) {
      rules.push({ action: { type: 'Delete' }, condition: { age: days, matchesPrefix: [prefix] } });
    }
    if (props.deleteAfterDays !== undefined) {
      rules.push({ action: { type: 'Delete' }, condition: { age: props.deleteAfterDays, withState: 'ANY' } });
    }
    const keep = props.keepNoncurrentVersions ?? (props.versioning ? 10 : undefined);
    if (keep !== undefined) {
      rules.push({
        action: { type: 'Delete' },
        condition: { numNewerVersions: keep, withState: 'ARCHIVED' },
      });
    }
    this.bucket = new StorageBucket(this, 'bucket', {
      project: props.projectId,
      name: props.name,
      location: props.location,
      storageClass: 'STANDARD',
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      versioning: { enabled: props.versioning ?? false },
      forceDestroy: props.forceDestroy ?? false,
      lifecycle: { preventDestroy: props.preventDestroy ?? !props.forceDestroy },
      lifecycleRule: rules.length > 0 ? rules : undefined,
      softDeletePolicy: soft === undefined ? undefined : { retentionDurationSeconds: soft * SECONDS_PER_DAY },
      dependsOn: props.dependsOn,
    });
    this.bucketName = props.name;
    this.bucketUrl = `gs://${props.name}`;
  }

  /** Read, write and delete objects (not the bucket's settings or IAM). */
  grantReadWrite(
    grantee: IPrincipal,
    id = 'object-user',
    condition?: { title: string; expression: string },
  ): StorageBucketIamMember {
    return this.grant('roles/storage.objectUser', grantee, id, condition);
  }

  grantRead(
    grantee: IPrincipal,
    id = 'object-viewer',
    condition?: { title: string; expression: string },
  ): StorageBucketIamMember {
    return this.grant('roles/storage.objectViewer', grantee, id, condition);
  }

  /**
   * An IAM condition limiting an object role to names under `prefixes`: the
   * objects themselves (`resource.name`) and listing under them (the
   * `storage.googleapis.com/objectListPrefix` API attribute), as
   * https://cloud.google.com/iam/docs/conditions-attribute-reference documents.
   */
  prefixCondition(title: string, prefixes: readonly string[]): { title: string; expression: string } {
    if (prefixes.length === 0 || prefixes.some((p) => !/^[\w.-]+(\/[\w.-]*)*$/.test(p))) {
      throw new Error(
        `PrivateBucket ${this.node.id}: prefixes must be object name prefixes, got ${JSON.stringify(prefixes)}`,
      );
    }
    const objects = prefixes.map(
      (p) => `resource.name.startsWith("projects/_/buckets/${this.bucketName}/objects/${p}")`,
    );
    const lists = prefixes.map(
      (p) => `api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("${p}")`,
    );
    return { title, expression: [...objects, ...lists].join(' || ') };
  }

  private grant(
    role: string,
    grantee: IPrincipal,
    id: string,
    condition?: { title: string; expression: string },
  ): StorageBucketIamMember {
    return grantBucketRole(this, id, { bucketName: this.bucket.name, role, grantee, condition });
  }
}

export interface BucketRoleGrantProps {
  /** A bucket this stack manages or one it only uses (another project's). */
  readonly bucketName: string;
  readonly role: string;
  readonly grantee: IPrincipal;
  /** @default unconditional — a condition needs uniform bucket-level access on the bucket. */
  readonly condition?: { readonly title: string; readonly expression: string };
}

/** Grants `role` on one bucket to `grantee` (after the grantee exists). */
export function grantBucketRole(
  scope: Construct,
  id: string,
  props: BucketRoleGrantProps,
): StorageBucketIamMember {
  return new StorageBucketIamMember(scope, id, {
    bucket: props.bucketName,
    ...safeGrant(props.role, props.grantee),
    condition: props.condition ? { ...props.condition } : undefined,
  });
}
