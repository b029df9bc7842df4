/**
 * Names that must mean the same thing in every layer: the platform stack
 * creates these resources, the charts and workflows refer to them, and the
 * cross-layer tests check both sides against this one module.
 */

/** The product service; also its Deployment, Service, image and app label. */
export const SERVICE_NAME = 'walk-service';

/**
 * The Deployment that serves users. With a canary, Flagger copies the target
 * to `<target>-primary` and scales the target to zero; after a failed
 * analysis the target still holds the rejected release
 * (https://docs.flagger.app/usage/how-it-works).
 */
export function servingDeploymentName(canary: boolean): string {
  return canary ? `${SERVICE_NAME}-primary` : SERVICE_NAME;
}

/** Ports the service listens on (see app/src/config). */
export const SERVICE_PORTS = { http: 8080, metrics: 9464 } as const;

/** Artifact Registry Docker repository of release images: only the main-branch build writes it. */
export const ARTIFACT_REPOSITORY_ID = 'tekutoko';

/**
 * Repository of pull-request images: only the previews identity writes it and
 * only the preview-hosting environment's nodes read it, so no preview image
 * is admissible to staging or prod.
 */
export const PREVIEW_ARTIFACT_REPOSITORY_ID = 'tekutoko-previews';

/** Namespace of walk-service in a long-lived environment. */
export const SERVICE_NAMESPACE = 'walk-service';

/** Kubernetes service account the pods run as (bound for Workload Identity). */
export const KUBERNETES_SERVICE_ACCOUNT = 'walk-service';

/** Secret Manager secret that holds the session signing key ring. */
export const SIGNING_KEYS_SECRET_ID = 'walk-service-session-signing-keys';

/**
 * Secret Manager secret with the Alertmanager receiver URLs (JSON with `page`,
 * `ticket`, `security`); created empty by the platform stack, read by the
 * operator command in runbooks/secret-rotation.md.
 */
export const ALERT_RECEIVERS_SECRET_ID = 'alertmanager-receivers';

/** Cloud Armor security policy attached to the service's backend. */
export const CLOUD_ARMOR_POLICY_NAME = 'walk-service-edge';

/** Shared Gateway that every route attaches to. */
export const GATEWAY = { name: 'external', namespace: 'gateway' } as const;

/** Identity of one deployment of walk-service: a long-lived environment or a PR preview. */
export interface ServiceIdentity {
  readonly namespace: string;
  readonly kubernetesServiceAccount: string;
  /** Google service account id (the part before `@`). */
  readonly googleServiceAccountId: string;
  readonly databaseName: string;
  /** Secret Manager secret of the session key ring this deployment mounts. */
  readonly signingKeysSecretId: string;
}

/** Key ring shared by all PR previews: never the dev environment's own keys. */
export const PREVIEW_SIGNING_KEYS_SECRET_ID = 'walk-service-preview-session-signing-keys';

/** Identity of walk-service in an environment, or in the preview of pull request `pr`. */
export function serviceIdentity(pr?: number): ServiceIdentity {
  if (pr === undefined) {
    return {
      namespace: SERVICE_NAMESPACE,
      kubernetesServiceAccount: KUBERNETES_SERVICE_ACCOUNT,
      googleServiceAccountId: SERVICE_NAME,
      databaseName: 'walks',
      signingKeysSecretId: SIGNING_KEYS_SECRET_ID,
    };
  }
  if (!Number.isInteger(pr) || pr < 1 || pr > 999999) {
    throw new Error(`pull request number must be an integer in 1..999999, got ${pr}`);
  }
  return {
    namespace: `pr-${pr}`,
    kubernetesServiceAccount: KUBERNETES_SERVICE_ACCOUNT,
    googleServiceAccountId: `walk-pr-${pr}`,
    databaseName: `walks_pr_${pr}`,
    signingKeysSecretId: PREVIEW_SIGNING_KEYS_SECRET_ID,
  };
}

export function googleServiceAccountEmail(accountId: string, projectId: string): string {
  return `${accountId}@${projectId}.iam.gserviceaccount.com`;
}

/** Cloud SQL IAM database user of a service account: its email without `.gserviceaccount.com`. */
export function iamDatabaseUser(accountId: string, projectId: string): string {
  return `${accountId}@${projectId}.iam`;
}

/** Image path of walk-service in the Artifact Registry, without tag or digest. */
export function serviceImage(
  region: string,
  projectId: string,
  repositoryId = ARTIFACT_REPOSITORY_ID,
): string {
  return `${region}-docker.pkg.dev/${projectId}/${repositoryId}/${SERVICE_NAME}`;
}

/** Terraform stack names: `<env>-<layer>`, `preview-pr-<n>`, `bootstrap`. */
export const stackName = {
  bootstrap: 'bootstrap',
  platform: (env: string) => `${env}-platform`,
  cluster: (env: string) => `${env}-cluster`,
  app: (env: string) => `${env}-app`,
  preview: (pr: number) => `preview-pr-${pr}`,
} as const;

/** State prefix of a stack in the bootstrap state bucket: one prefix per stack. */
export function statePrefix(stack: string): string {
  return `stacks/${stack}`;
}

/**
 * The database admin of an environment's Cloud SQL instance: an IAM database
 * user in `cloudsqlsuperuser` (granted by the platform stack, ADR 0202) that
 * the grant Job runs as before each database's first migrations (its own
 * namespace, never a service or preview namespace).
 */
export const DATABASE_ADMIN_IDENTITY = {
  namespace: 'db-admin',
  kubernetesServiceAccount: 'db-admin',
  googleServiceAccountId: 'db-admin',
} as const;

/** @deprecated the preview database admin is now the environment's DATABASE_ADMIN_IDENTITY. */
export const PREVIEW_DB_ADMIN_IDENTITY = DATABASE_ADMIN_IDENTITY;

/**
 * The Firestore → PostgreSQL migration (runbooks/cutover.md) runs as its own
 * Job with this identity: it reads the Firebase project's Firestore
 * (roles/datastore.viewer there) and logs in to the environment's database as
 * its own IAM user, which the tables' owner grants read/write
 * (runbooks/sql/grant-firestore-migration.sql).
 */
export const FIRESTORE_MIGRATION_IDENTITY = {
  namespace: SERVICE_NAMESPACE,
  kubernetesServiceAccount: 'firestore-migration',
  googleServiceAccountId: 'firestore-migration',
} as const;

/**
 * What the migration's calls need, where (app/src/firestore-migration): Auth
 * `getUsers` on the Firebase project (auth-users.ts); reading thumbnails
 * (download, metadata, exists) in the Firebase bucket; in the service's bucket
 * reading a copy's MD5, writing it, and replacing a copy whose bytes differ
 * (thumbnails.ts), only under the prefix it writes.
 */
export const FIRESTORE_MIGRATION_NEEDS = {
  firebaseAuth: ['firebaseauth.users.get'],
  firebaseBucket: ['storage.objects.get'],
  serviceBucket: ['storage.objects.create', 'storage.objects.delete', 'storage.objects.get'],
  serviceBucketPrefix: 'walk_thumbnails/',
} as const;

/** Namespace of the observability add-ons (Grafana, Loki, Alloy, query frontend). */
export const MONITORING_NAMESPACE = 'monitoring';

/** Loki writes chunks to the environment's GCS bucket as this identity (Workload Identity). */
export const LOKI_IDENTITY = {
  namespace: MONITORING_NAMESPACE,
  /** The Loki Helm chart's service account (release `loki`). */
  kubernetesServiceAccount: 'loki',
  googleServiceAccountId: 'loki-storage',
} as const;

/** GCS bucket of an environment's Loki chunks and index (bucket names are global). */
export function lokiBucketName(projectId: string): string {
  return `${projectId}-loki`;
}

/**
 * The service's bucket of walk images (thumbnails the migration moves out of
 * Firebase Storage; the uploads of issue 19 go here too).
 */
export function walkImagesBucketName(projectId: string): string {
  return `${projectId}-walk-images`;
}

/**
 * Object-name prefixes of the walk-images bucket (issue 19's contract):
 * `thumbnails/<user>/<walk>/<random>.(jpg|png)` uploaded through signed URLs,
 * `share-images/<user>/<walk>/<job>.jpg` written by the share-image worker.
 */
export const WALK_IMAGE_PREFIXES = { thumbnails: 'thumbnails/', shareImages: 'share-images/' } as const;

/**
 * The share-image worker (issue 19): its own Deployment of the service's
 * image in the service's namespace, its own Kubernetes and Google service
 * accounts, and its own IAM database user.
 */
export const SHARE_IMAGE_WORKER_IDENTITY = {
  /** Deployment, app label and container name. */
  name: 'walk-image-worker',
  namespace: SERVICE_NAMESPACE,
  kubernetesServiceAccount: 'walk-image-worker',
  googleServiceAccountId: 'walk-image-worker',
} as const;

/**
 * What the worker's storage calls need: it writes
 * `share-images/<user>/<walk>/<job>.jpg`, and a retried job writes the same
 * name again, which replaces the object (a replacement takes
 * `storage.objects.delete`, STORAGE_OBJECT_ROLE_PERMISSIONS). It reads no
 * other object.
 */
export const SHARE_IMAGE_WORKER_NEEDS = {
  bucket: ['storage.objects.create', 'storage.objects.delete'],
  bucketPrefix: WALK_IMAGE_PREFIXES.shareImages,
} as const;

/**
 * What walk-service's storage calls need: signed upload and read URLs for
 * thumbnails (its own identity signs, so it holds what the URLs grant),
 * deleting a replaced thumbnail and a deleted walk's objects, reading share
 * images and the cutover's copies (`walk_thumbnails/`).
 */
export const WALK_SERVICE_BUCKET_NEEDS = {
  bucket: ['storage.objects.create', 'storage.objects.delete', 'storage.objects.get'],
  bucketPrefixes: [
    WALK_IMAGE_PREFIXES.thumbnails,
    WALK_IMAGE_PREFIXES.shareImages,
    FIRESTORE_MIGRATION_NEEDS.serviceBucketPrefix,
  ],
} as const;

/** A preview's own walk-images bucket, removed with the preview (ADR 0261). */
export function previewWalkImagesBucketName(projectId: string, pr: number): string {
  return `${walkImagesBucketName(projectId)}-pr-${pr}`;
}

/** Default state bucket of a bootstrap project. */
export function stateBucketName(bootstrapProjectId: string): string {
  return `${bootstrapProjectId}-tfstate`;
}

/** What a deploy identity deploys: an environment, or the pull-request previews. */
export type DeployTarget = 'dev' | 'staging' | 'prod' | 'previews';

/** CI identities created by bootstrap (ids before `@`); docs/ci-cd.md says who obtains each. */
export const CI_IDENTITIES = {
  workloadIdentityPoolId: 'github',
  workloadIdentityProviderId: 'github-actions',
  /** Read-only: plans on pull requests and the drift check (any run of the repository). */
  planServiceAccountId: 'tekutoko-plan',
  /** Pushes release images: push to the deploy ref only. */
  buildServiceAccountId: 'tekutoko-build',
  /** One deploy identity per target, reachable only from its GitHub environment on the deploy ref. */
  deployServiceAccountId: (target: DeployTarget) => `tekutoko-deploy-${target}`,
  /** GitHub environment whose jobs may use a target's deploy identity. */
  githubEnvironment: (target: DeployTarget) => (target === 'previews' ? 'preview' : target),
} as const;

/**
 * Service account Autopilot nodes run as in each environment project (created
 * by bootstrap, which also lets it pull from the Artifact Registry), instead
 * of the Compute Engine default service account.
 */
export const GKE_NODE_SERVICE_ACCOUNT_ID = 'gke-nodes';

/** Cloud SQL instance of an environment: stable name, never suffixed. */
export function sqlInstanceName(env: string): string {
  return `walks-${env}`;
}

/** Platform stack outputs other stacks read through remote state. */
export const PLATFORM_OUTPUTS = {
  clusterName: 'cluster_name',
  /** DNS-based control plane endpoint (host only; Google-trusted TLS, IAM-authenticated). */
  clusterEndpoint: 'cluster_endpoint',
  clusterCaCertificate: 'cluster_ca_certificate',
  sqlInstanceName: 'sql_instance_name',
  sqlInstanceConnectionName: 'sql_instance_connection_name',
  sqlPrivateIp: 'sql_private_ip',
  privateServiceAccessCidr: 'private_service_access_cidr',
  walkServiceServiceAccountEmail: 'walk_service_gsa_email',
  walkServiceDatabaseUser: 'walk_service_database_user',
  shareImageWorkerServiceAccountEmail: 'share_image_worker_gsa_email',
  shareImageWorkerDatabaseUser: 'share_image_worker_database_user',
  walkImagesBucket: 'walk_images_bucket',
  signingKeysSecretId: 'signing_keys_secret_id',
  cloudArmorPolicyName: 'cloud_armor_policy_name',
  lokiBucket: 'loki_bucket',
  lokiServiceAccountEmail: 'loki_gsa_email',
  /** For the DNS zone: A records of the domain and `*.<domain>`. */
  gatewayIpAddress: 'gateway_ip_address',
  /** For the DNS zone: the CNAME Certificate Manager checks. */
  dnsAuthorizationRecord: 'dns_authorization_record',
} as const;
