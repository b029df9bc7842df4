import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { ArtifactRegistryRepository } from '@cdktf/provider-google/lib/artifact-registry-repository';
import { ArtifactRegistryRepositoryIamMember } from '@cdktf/provider-google/lib/artifact-registry-repository-iam-member';
import { safeGrant, IPrincipal } from './principal';

export interface ArtifactRegistryProps {
  readonly projectId: string;
  readonly location: string;
  readonly repositoryId: string;
  /** @default true — a pushed tag can never point at another image. */
  readonly immutableTags?: boolean;
  /** @default 30 — versions kept per image regardless of age. */
  readonly keepRecentVersions?: number;
  /** @default 14 — untagged images (superseded builds) deleted after this many days. */
  readonly deleteUntaggedAfterDays?: number;
  /** @default false — true only logs what the cleanup policy would delete. */
  readonly cleanupDryRun?: boolean;
  /** @default none — what must exist first (e.g. the Artifact Registry API's google_project_service). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * A Docker repository with immutable tags and a cleanup policy (old
 * untagged images go, the newest versions always stay), plus vulnerability
 * scanning. Readers and writers are granted on the repository only.
 */
export class ArtifactRegistry extends Construct {
  readonly repository: ArtifactRegistryRepository;
  readonly repositoryId: string;
  /** `<location>-docker.pkg.dev/<project>/<repo>` */
  readonly repositoryUrl: string;
  /** `projects/<p>/locations/<l>/repositories/<repo>` */
  readonly repositoryPath: string;
  private readonly props: ArtifactRegistryProps;

  constructor(scope: Construct, id: string, props: ArtifactRegistryProps) {
    super(scope, id);
    const keep = props.keepRecentVersions ?? 30;
    const days = props.deleteUntaggedAfterDays ?? 14;
    if (!Number.isInteger(keep) || keep < 1)
      throw new Error(`ArtifactRegistry ${id}: keepRecentVersions must be >= 1, got ${keep}`);
    if (!Number.isInteger(days) || days < 1)
      throw new Error(`ArtifactRegistry ${id}: deleteUntaggedAfterDays must be >= 1, got ${days}`);
    this.props = props;
    this.repository = new ArtifactRegistryRepository(this, 'repository', {
      project: props.projectId,
      location: props.location,
      repositoryId: props.repositoryId,
      format: 'DOCKER',
      description: 'walk-service images (immutable tags; deploys pin digests)',
      dockerConfig: { immutableTags: props.immutableTags ?? true },
      // Environments run these images by digest: a plan that deletes the repository is refused.
      lifecycle: { preventDestroy: true },
      cleanupPolicyDryRun: props.cleanupDryRun ?? false,
      cleanupPolicies: [
        {
          id: 'delete-untagged',
          action: 'DELETE',
          condition: { tagState: 'UNTAGGED', olderThan: `${days * 86400}s` },
        },
        { id: 'keep-recent', action: 'KEEP', mostRecentVersions: { keepCount: keep } },
      ],
      vulnerabilityScanningConfig: { enablementConfig: 'INHERITED' },
      dependsOn: props.dependsOn,
    });
    this.repositoryId = props.repositoryId;
    this.repositoryUrl = `${props.location}-docker.pkg.dev/${props.projectId}/${props.repositoryId}`;
    this.repositoryPath = `projects/${props.projectId}/locations/${props.location}/repositories/${props.repositoryId}`;
  }

  /** Pull images (GKE nodes, the plan identity). */
  grantRead(grantee: IPrincipal, id: string): ArtifactRegistryRepositoryIamMember {
    return this.grant('roles/artifactregistry.reader', grantee, id);
  }

  /** Push images (CI). */
  grantWrite(grantee: IPrincipal, id: string): ArtifactRegistryRepositoryIamMember {
    return this.grant('roles/artifactregistry.writer', grantee, id);
  }

  private grant(role: string, grantee: IPrincipal, id: string): ArtifactRegistryRepositoryIamMember {
    return new ArtifactRegistryRepositoryIamMember(this, id, {
      project: this.props.projectId,
      location: this.props.location,
      repository: this.repository.name,
      ...safeGrant(role, grantee),
    });
  }
}
