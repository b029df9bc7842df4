import {
  DataTerraformRemoteStateGcs,
  GcsBackend,
  TerraformOutput,
  TerraformResource,
  TerraformStack,
} from 'cdktf';
import { Construct } from 'constructs';
import { BootstrapConfig, EnvironmentConfig } from '../../config/environments';
import {
  PLATFORM_OUTPUTS,
  previewWalkImagesBucketName,
  WALK_IMAGE_PREFIXES,
  ServiceIdentity,
  serviceIdentity,
  stackName,
  statePrefix,
} from '../../config/names';
import { grantInstanceConnect } from '../constructs/cloud-sql-postgres';
import { googleProvider } from '../constructs/google-provider';
import { PrivateBucket } from '../constructs/private-bucket';
import { SOFT_DELETE_RETENTION_DAYS } from '../../config/platform-facts';
import { grantSecretAccess } from '../constructs/secret';
import { ServiceDatabase } from '../constructs/service-database';
import { WorkloadIdentityUser } from '../constructs/service-identity';
import { App as Cdk8sApp } from 'cdk8s';
import {
  UNRELEASED_IMAGE_DIGEST,
  previewExpiry,
  previewLabels,
  previewWalkServiceProps,
} from '../../charts/environments';
import { ServiceNamespaceChart } from '../../charts/walk-service/namespace-chart';
import { ClusterAccess } from '../constructs/cluster-access';
import { KubernetesManifests } from '../constructs/kubernetes-manifests';
import { WalkServiceRelease } from '../constructs/walk-service-release';

export interface PreviewStackProps {
  readonly bootstrap: BootstrapConfig;
  /** The environment whose cluster and Cloud SQL instance host previews (dev). */
  readonly host: EnvironmentConfig;
  /** Pull request number. */
  readonly pr: number;
  /** @default the unreleased placeholder (synth only) — the PR's image digest. */
  readonly imageDigest?: string;
  /** @default now — the deploy time; the expiry label is this plus PREVIEW_TTL_DAYS. */
  readonly deployedAt?: Date;
}

/**
 * `preview-pr-<n>`: what one pull request's preview needs on the host
 * environment — its own database and IAM database user on the shared
 * instance, and its own Google service account bound to namespace `pr-<n>`.
 * The host's resources are read from the host platform stack's remote state,
 * never managed here, so creating and destroying a preview touches nothing
 * else. On destroy the database is dropped with everything in it; the IAM
 * database user is abandoned (it cannot be dropped while it owns objects
 * elsewhere) and removed by the preview sweep (docs/deploy.md).
 */
export class PreviewStack extends TerraformStack {
  readonly identity: ServiceIdentity;
  readonly serviceAccount: WorkloadIdentityUser;
  readonly database: ServiceDatabase;
  readonly hostPlatform: DataTerraformRemoteStateGcs;
  /** Host platform outputs, for the Kubernetes half of this stack. */
  readonly hostSqlInstanceConnectionName: string;
  readonly hostPrivateServiceAccessCidr: string;
  /** Thumbnails and share images of this preview only (the service and worker both run as its identity). */
  readonly walkImages: PrivateBucket;
  /** The preview's walk-service objects (Kubernetes half). */
  readonly release: WalkServiceRelease;

  constructor(scope: Construct, id: string, props: PreviewStackProps) {
    super(scope, id);
    const host = props.host;
    const project = host.projectId;
    this.identity = serviceIdentity(props.pr);
    new GcsBackend(this, {
      bucket: props.bootstrap.stateBucket,
      prefix: statePrefix(stackName.preview(props.pr)),
    });
    const google = googleProvider(this, 'google', {
      projectId: project,
      region: host.region,
      defaultLabels: { environment: 'preview', pull_request: String(props.pr), managed_by: 'cdktf' },
    });
    this.hostPlatform = new DataTerraformRemoteStateGcs(this, 'host-platform', {
      bucket: props.bootstrap.stateBucket,
      prefix: statePrefix(stackName.platform(host.name)),
    });
    const instanceName = this.hostPlatform.getString(PLATFORM_OUTPUTS.sqlInstanceName);
    this.hostSqlInstanceConnectionName = this.hostPlatform.getString(
      PLATFORM_OUTPUTS.sqlInstanceConnectionName,
    );
    this.hostPrivateServiceAccessCidr = this.hostPlatform.getString(
      PLATFORM_OUTPUTS.privateServiceAccessCidr,
    );

    this.serviceAccount = new WorkloadIdentityUser(this, 'walk-service', {
      projectId: project,
      googleServiceAccountId: this.identity.googleServiceAccountId,
      namespace: this.identity.namespace,
      kubernetesServiceAccount: this.identity.kubernetesServiceAccount,
      displayName: `walk-service preview of PR ${props.pr}`,
    });
    // IAM conditions name the instance by the config's name: the grant is valid only there.
    const connect = grantInstanceConnect(
      this,
      'walk-service',
      project,
      host.database.instanceName,
      this.serviceAccount,
    );
    this.database = new ServiceDatabase(this, 'database', {
      projectId: project,
      instanceName,
      databaseName: this.identity.databaseName,
      iamUserName: this.serviceAccount.serviceAccountDatabaseUser,
      iamUserDependsOn: this.serviceAccount.principalDependsOn,
      databaseDeletionPolicy: 'DELETE',
      userDeletionPolicy: 'ABANDON',
    });
    // Its own bucket, emptied and removed with the preview; PR code never touches dev's images (ADR 0261).
    this.walkImages = new PrivateBucket(this, 'walk-images', {
      projectId: project,
      name: previewWalkImagesBucketName(project, props.pr),
      location: host.region,
      forceDestroy: true,
      deleteUnderPrefixAfterDays: {
        [WALK_IMAGE_PREFIXES.shareImages]: host.walkImages.shareImageRetentionDays,
      },
      softDeleteRetentionDays: SOFT_DELETE_RETENTION_DAYS.value.off,
    });
    const imagesAccess = this.walkImages.grantReadWrite(this.serviceAccount, 'walk-service-images');
    const signing = this.serviceAccount.grantSignBlob(this.serviceAccount, 'sign-blob-as-itself');
    const keysAccessor = grantSecretAccess(this, 'signing-keys-accessor', {
      projectId: project,
      secretId: this.identity.signingKeysSecretId,
      grantee: this.serviceAccount,
    });

    // Kubernetes half: namespace pr-<n> and walk-service (one replica, no HPA or canary) on the host cluster.
    const access = new ClusterAccess(this, 'cluster', {
      projectId: project,
      region: host.region,
      stateBucket: props.bootstrap.stateBucket,
      platformStatePrefix: statePrefix(stackName.platform(host.name)),
      googleProvider: google,
      platformState: this.hostPlatform,
    });
    const expiresAt = previewExpiry(props.deployedAt ?? new Date());
    const namespace = new KubernetesManifests(this, 'preview-namespace', {
      provider: access.kubernetesProvider,
      source: new ServiceNamespaceChart(new Cdk8sApp(), 'namespace', {
        namespace: this.identity.namespace,
        extraLabels: previewLabels(props.pr, expiresAt),
      }),
    });
    this.release = new WalkServiceRelease(this, 'walk-service-release', {
      provider: access.kubernetesProvider,
      service: previewWalkServiceProps(host, props.bootstrap, {
        pr: props.pr,
        imageDigest: props.imageDigest ?? UNRELEASED_IMAGE_DIGEST,
        expiresAt,
      }),
      // Namespace, database, IAM user, Workload Identity binding, instance grants and key access
      // exist before the service account and the Job.
      dependsOn: [
        ...Object.values(namespace.manifests),
        ...[this.database, this.serviceAccount].flatMap((c) =>
          c.node.findAll().filter((r): r is TerraformResource => r instanceof TerraformResource),
        ),
        keysAccessor,
        imagesAccess,
        signing,
        ...connect,
      ],
    });

    new TerraformOutput(this, 'namespace', { value: this.identity.namespace });
    new TerraformOutput(this, 'service_account_email', { value: this.serviceAccount.serviceAccountEmail });
    new TerraformOutput(this, 'walk_images_bucket', { value: this.walkImages.bucketName });
    new TerraformOutput(this, 'database_name', { value: this.database.databaseName });
    new TerraformOutput(this, 'database_user', { value: this.database.databaseUserName });
    new TerraformOutput(this, 'sql_instance_connection_name', { value: this.hostSqlInstanceConnectionName });
  }
}
