import { GcsBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { BootstrapConfig, EnvironmentConfig, serviceImageRepository } from '../../config/environments';
import {
  CLOUD_SQL_SUPERUSER_ROLE,
  QUOTA_PROJECT_ROLE,
  TELEMETRY_TRACES_WRITER_ROLE,
} from '../../config/platform-facts';
import {
  CLOUD_ARMOR_POLICY_NAME,
  LOKI_IDENTITY,
  PLATFORM_OUTPUTS,
  DATABASE_ADMIN_IDENTITY,
  GKE_NODE_SERVICE_ACCOUNT_ID,
  googleServiceAccountEmail,
  FIRESTORE_MIGRATION_IDENTITY,
  FIRESTORE_MIGRATION_NEEDS,
  ALERT_RECEIVERS_SECRET_ID,
  PREVIEW_SIGNING_KEYS_SECRET_ID,
  SIGNING_KEYS_SECRET_ID,
  lokiBucketName,
  walkImagesBucketName,
  WALK_IMAGE_PREFIXES,
  WALK_SERVICE_BUCKET_NEEDS,
  SHARE_IMAGE_WORKER_IDENTITY,
  SHARE_IMAGE_WORKER_NEEDS,
  serviceIdentity,
  stackName,
  statePrefix,
} from '../../config/names';
import { BinaryAuthorization } from '../constructs/binary-authorization';
import { Budget } from '../constructs/budget';
import { CloudArmorPolicy } from '../constructs/cloud-armor-policy';
import { CloudSqlDatabaseRoles } from '../constructs/cloud-sql-database-roles';
import { CloudSqlPostgres } from '../constructs/cloud-sql-postgres';
import { GatewayEdge } from '../constructs/gateway-edge';
import { GkeAutopilotCluster } from '../constructs/gke-autopilot-cluster';
import { googleProvider, projectNumber } from '../constructs/google-provider';
import { LokiStorage } from '../constructs/loki-storage';
import { Network } from '../constructs/network';
import { grantProjectRole } from '../constructs/principal';
import { grantBucketRole, PrivateBucket } from '../constructs/private-bucket';
import { Secret } from '../constructs/secret';
import { createIamDatabaseUser, ServiceDatabase } from '../constructs/service-database';
import { WorkloadIdentityUser } from '../constructs/service-identity';
import { emailNotificationChannel, SqlMonitoring } from '../constructs/sql-monitoring';
import { UptimeCheck } from '../constructs/uptime-check';
import { GATEWAY_EDGE } from '../../charts/lib/cluster-addons';

/**
 * Images Binary Authorization admits besides ours: the Cloud SQL Auth Proxy
 * and the cluster add-ons' public images (Google's system images are
 * admitted by the global policy). A new add-on image is added here.
 */
export const BINARY_AUTHORIZATION_THIRD_PARTY_IMAGES = [
  'gcr.io/cloud-sql-connectors/cloud-sql-proxy*',
  'gke.gcr.io/prometheus-engine/**',
  'ghcr.io/fluxcd/flagger*',
  'ghcr.io/fluxcd/flagger-loadtester*',
  'docker.io/grafana/**',
  'grafana/**',
  'quay.io/kiwigrid/k8s-sidecar*',
  'ghcr.io/kedacore/*',
] as const;

export interface PlatformStackProps {
  readonly bootstrap: BootstrapConfig;
  readonly environment: EnvironmentConfig;
}

/**
 * `<env>-platform`: the Google Cloud resources of one environment — network,
 * GKE Autopilot cluster, Cloud SQL with the `walks` database, walk-service's
 * identity and secret, the edge security policy, Loki's bucket, the budget
 * and the Cloud SQL alerts. Everything that differs between environments is
 * read from `environment`; the stack itself has no environment branches.
 */
export class PlatformStack extends TerraformStack {
  readonly network: Network;
  /** Absent while the environment is hibernated. */
  readonly cluster?: GkeAutopilotCluster;
  readonly database: CloudSqlPostgres;
  readonly walkService: WorkloadIdentityUser;
  readonly walksDatabase: ServiceDatabase;
  readonly signingKeys: Secret;
  /** Alertmanager receiver URLs (versions added with gcloud; see runbooks/secret-rotation.md). */
  readonly alertReceivers: Secret;
  /** Runs the Firestore migration Job: reads Firestore, writes the database (runbooks/cutover.md). */
  readonly firestoreMigration: WorkloadIdentityUser;
  /** The service's walk images; the migration copies Firebase thumbnails into it. */
  readonly walkImages: PrivateBucket;
  /** Renders share images: writes `share-images/` only, reads the database as its own user. */
  readonly shareImageWorker: WorkloadIdentityUser;
  /** Only where `hostsPreviews`: the key ring every preview mounts. */
  readonly previewSigningKeys?: Secret;
  /** The identity grant Jobs run as: each service user's schema privileges (all environments). */
  readonly databaseAdmin: WorkloadIdentityUser;
  /** Absent while paused or hibernated: no Gateway serves, and the policy is billed by the month. */
  readonly edgePolicy?: CloudArmorPolicy;
  readonly loki: LokiStorage;
  /** Global IP, DNS authorization and certificate map: kept while paused or hibernated. */
  readonly edge: GatewayEdge;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const env = props.environment;
    const project = env.projectId;
    new GcsBackend(this, {
      bucket: props.bootstrap.stateBucket,
      prefix: statePrefix(stackName.platform(env.name)),
    });
    // The Budgets API needs a quota project; the environment's own pays for its calls.
    googleProvider(this, 'google', {
      projectId: project,
      region: env.region,
      billCallsToProject: true,
      defaultLabels: { environment: env.name, managed_by: 'cdktf' },
    });
    const envProjectNumber = projectNumber(this, 'project', project);

    this.network = new Network(this, 'network', {
      projectId: project,
      region: env.region,
      name: `tekutoko-${env.name}`,
      subnetCidr: env.network.subnetCidr,
      podsCidr: env.network.podsCidr,
      servicesCidr: env.network.servicesCidr,
      privateServiceAccessCidr: env.network.privateServiceAccessCidr,
      natMinPortsPerVm: env.network.natMinPortsPerVm,
    });

    // Hibernated: no cluster (and no cluster fee); everything with data stays.
    this.cluster = env.hibernated
      ? undefined
      : new GkeAutopilotCluster(this, 'gke', {
          projectId: project,
          region: env.region,
          name: `tekutoko-${env.name}`,
          network: this.network.networkId,
          subnetwork: this.network.subnetworkId,
          podsRangeName: this.network.podsRangeName,
          servicesRangeName: this.network.servicesRangeName,
          releaseChannel: env.gke.releaseChannel,
          deletionProtection: env.gke.deletionProtection,
          binaryAuthorization: env.gke.binaryAuthorization,
          maintenanceStartHourUtc: env.gke.maintenanceStartHourUtc,
          maintenanceDurationHours: env.gke.maintenanceDurationHours,
          maintenanceDays: env.gke.maintenanceDays,
          maintenanceExclusions: env.gke.maintenanceExclusions,
          // Created by bootstrap with the node role and image pulls.
          nodeServiceAccountEmail: googleServiceAccountEmail(GKE_NODE_SERVICE_ACCOUNT_ID, project),
        });
    if (env.gke.binaryAuthorization) {
      new BinaryAuthorization(this, 'binary-authorization', {
        projectId: project,
        allowedImagePatterns: [
          `${serviceImageRepository(props.bootstrap)}*`,
          ...BINARY_AUTHORIZATION_THIRD_PARTY_IMAGES,
        ],
      });
    }

    const db = env.database;
    this.database = new CloudSqlPostgres(this, 'sql', {
      projectId: project,
      region: env.region,
      instanceName: db.instanceName,
      network: this.network.networkId,
      allocatedIpRange: this.network.privateServiceAccessRangeName,
      dependsOn: [this.network.privateServiceAccessConnection],
      edition: db.edition,
      tier: db.tier,
      availabilityType: db.availabilityType,
      diskSizeGb: db.diskSizeGb,
      diskAutoresizeLimitGb: db.diskAutoresizeLimitGb,
      backupStartHourUtc: db.backupStartHourUtc,
      backupRetentionCount: db.backupRetentionCount,
      pointInTimeRecovery: db.pointInTimeRecovery,
      transactionLogRetentionDays: db.transactionLogRetentionDays,
      terraformDeletionProtection: db.terraformDeletionProtection,
      instanceDeletionProtection: db.instanceDeletionProtection,
      maintenanceDay: db.maintenanceDay,
      maintenanceHourUtc: db.maintenanceHourUtc,
      ...(db.denyMaintenancePeriod ? { denyMaintenancePeriod: db.denyMaintenancePeriod } : {}),
      maxConnections: db.maxConnections,
      stopped: env.paused || env.hibernated,
    });

    // walk-service: its own identity with exactly four grants.
    const identity = serviceIdentity();
    // Workload Identity members need the cluster's pool (absent while hibernated: bound before).
    const pool = this.cluster ? [this.cluster.cluster] : undefined;
    this.walkService = new WorkloadIdentityUser(this, 'walk-service', {
      projectId: project,
      googleServiceAccountId: identity.googleServiceAccountId,
      namespace: identity.namespace,
      kubernetesServiceAccount: identity.kubernetesServiceAccount,
      displayName: 'walk-service',
      workloadIdentityPoolDependsOn: pool,
    });
    this.database.grantConnect(this.walkService, 'walk-service');
    // Its spans go straight to the Telemetry API (ADR 0242): writing traces, nothing else.
    grantProjectRole(this, 'walk-service-traces-writer', {
      projectId: project,
      role: TELEMETRY_TRACES_WRITER_ROLE.value,
      grantee: this.walkService,
    });
    this.walksDatabase = new ServiceDatabase(this, 'walks', {
      projectId: project,
      instanceName: this.database.instanceName,
      databaseName: identity.databaseName,
      iamUserName: this.walkService.serviceAccountDatabaseUser,
      iamUserDependsOn: this.walkService.principalDependsOn,
    });
    this.signingKeys = new Secret(this, 'signing-keys', {
      projectId: project,
      secretId: SIGNING_KEYS_SECRET_ID,
      replicaLocations: [env.region],
    });
    this.signingKeys.grantAccess(this.walkService, 'walk-service');
    // Receiver URLs for the managed Alertmanager: operators read it, no workload does.
    this.alertReceivers = new Secret(this, 'alert-receivers', {
      projectId: project,
      secretId: ALERT_RECEIVERS_SECRET_ID,
      replicaLocations: [env.region],
    });
    // Grants each database's service user its schema (grant Jobs, before migrations); no password anywhere.
    this.databaseAdmin = new WorkloadIdentityUser(this, 'db-admin', {
      projectId: project,
      googleServiceAccountId: DATABASE_ADMIN_IDENTITY.googleServiceAccountId,
      namespace: DATABASE_ADMIN_IDENTITY.namespace,
      kubernetesServiceAccount: DATABASE_ADMIN_IDENTITY.kubernetesServiceAccount,
      displayName: 'database admin (grant Jobs)',
      workloadIdentityPoolDependsOn: pool,
    });
    this.database.grantConnect(this.databaseAdmin, 'db-admin');
    const databaseAdminUser = createIamDatabaseUser(this, 'db-admin-user', {
      projectId: project,
      instanceName: this.database.instanceName,
      userName: this.databaseAdmin.serviceAccountDatabaseUser,
      dependsOn: this.databaseAdmin.principalDependsOn,
    });
    // Membership of cloudsqlsuperuser lets the admin grant schemas (ADR 0202). The Admin API refuses user
    // changes on a stopped instance, so the grant exists only while it runs (re-applied, idempotently, on resume).
    if (!env.paused && !env.hibernated)
      new CloudSqlDatabaseRoles(this, 'db-admin-superuser', {
        projectId: project,
        instanceName: this.database.instanceName,
        userName: databaseAdminUser.name,
        userId: databaseAdminUser.id,
        roles: [CLOUD_SQL_SUPERUSER_ROLE.value],
      });
    // The cutover's own identity: Firestore reader on the Firebase project, IAM user on the instance.
    this.firestoreMigration = new WorkloadIdentityUser(this, 'firestore-migration', {
      projectId: project,
      googleServiceAccountId: FIRESTORE_MIGRATION_IDENTITY.googleServiceAccountId,
      namespace: FIRESTORE_MIGRATION_IDENTITY.namespace,
      kubernetesServiceAccount: FIRESTORE_MIGRATION_IDENTITY.kubernetesServiceAccount,
      displayName: 'Firestore migration (cutover)',
      workloadIdentityPoolDependsOn: pool,
    });
    this.database.grantConnect(this.firestoreMigration, 'firestore-migration');
    createIamDatabaseUser(this, 'firestore-migration-user', {
      projectId: project,
      instanceName: this.database.instanceName,
      userName: this.firestoreMigration.serviceAccountDatabaseUser,
      deletionPolicy: 'ABANDON',
      dependsOn: this.firestoreMigration.principalDependsOn,
    });
    // Read-only Firestore access: https://cloud.google.com/iam/docs/roles-permissions/firestore
    grantProjectRole(this, 'firestore-migration-datastore-viewer', {
      projectId: env.firebaseProjectId,
      role: 'roles/datastore.viewer',
      grantee: this.firestoreMigration,
    });
    // Roles: the smallest of STORAGE_OBJECT_ROLE_PERMISSIONS / FIREBASE_AUTH_ROLE_PERMISSIONS
    // (config/platform-facts.ts) that hold FIRESTORE_MIGRATION_NEEDS (tested).
    grantProjectRole(this, 'firestore-migration-auth-viewer', {
      projectId: env.firebaseProjectId,
      role: 'roles/firebaseauth.viewer',
      grantee: this.firestoreMigration,
    });
    // Firebase Auth's API bills the Firebase project (the cutover Job names it as quota project),
    // not this one, where that API may not even be enabled.
    grantProjectRole(this, 'firestore-migration-quota-project', {
      projectId: env.firebaseProjectId,
      role: QUOTA_PROJECT_ROLE.value.role,
      grantee: this.firestoreMigration,
    });
    // Firebase's bucket is the app's, not ours: its access mode is unknown, and an IAM condition
    // needs uniform bucket-level access, so the read-only grant covers the whole bucket.
    grantBucketRole(this, 'firestore-migration-firebase-bucket-viewer', {
      bucketName: env.firebaseStorageBucket,
      role: 'roles/storage.objectViewer',
      grantee: this.firestoreMigration,
    });
    this.walkImages = new PrivateBucket(this, 'walk-images', {
      projectId: project,
      name: walkImagesBucketName(project),
      location: env.region,
      // The service deletes a walk's objects; lifecycle removes share images nobody fetched again (ADR 0260).
      deleteUnderPrefixAfterDays: {
        [WALK_IMAGE_PREFIXES.shareImages]: env.walkImages.shareImageRetentionDays,
      },
      softDeleteRetentionDays: env.walkImages.softDeleteRetentionDays,
    });
    this.walkImages.grantReadWrite(
      this.firestoreMigration,
      'firestore-migration-thumbnails',
      this.walkImages.prefixCondition('firestore-migration-thumbnails', [
        FIRESTORE_MIGRATION_NEEDS.serviceBucketPrefix,
      ]),
    );
    // walk-service: object user under its prefixes; signs V4 URLs as itself through signBlob (no key).
    this.walkImages.grantReadWrite(
      this.walkService,
      'walk-service-images',
      this.walkImages.prefixCondition('walk-service-images', WALK_SERVICE_BUCKET_NEEDS.bucketPrefixes),
    );
    this.walkService.grantSignBlob(this.walkService, 'sign-blob-as-itself');

    // The share-image worker: its own identity, database user, traces and share-images/ only (ADR 0261).
    const worker = SHARE_IMAGE_WORKER_IDENTITY;
    this.shareImageWorker = new WorkloadIdentityUser(this, 'share-image-worker', {
      projectId: project,
      googleServiceAccountId: worker.googleServiceAccountId,
      namespace: worker.namespace,
      kubernetesServiceAccount: worker.kubernetesServiceAccount,
      displayName: 'walk-service share-image worker',
      workloadIdentityPoolDependsOn: pool,
    });
    this.database.grantConnect(this.shareImageWorker, 'share-image-worker');
    createIamDatabaseUser(this, 'share-image-worker-user', {
      projectId: project,
      instanceName: this.database.instanceName,
      userName: this.shareImageWorker.serviceAccountDatabaseUser,
      dependsOn: this.shareImageWorker.principalDependsOn,
    });
    grantProjectRole(this, 'share-image-worker-traces-writer', {
      projectId: project,
      role: TELEMETRY_TRACES_WRITER_ROLE.value,
      grantee: this.shareImageWorker,
    });
    this.walkImages.grantReadWrite(
      this.shareImageWorker,
      'share-image-worker-images',
      this.walkImages.prefixCondition('share-image-worker-images', [SHARE_IMAGE_WORKER_NEEDS.bucketPrefix]),
    );

    if (env.hostsPreviews) {
      // Previews get their own key ring: PR code never holds this environment's keys.
      this.previewSigningKeys = new Secret(this, 'preview-signing-keys', {
        projectId: project,
        secretId: PREVIEW_SIGNING_KEYS_SECRET_ID,
        replicaLocations: [env.region],
      });
    }

    this.edge = new GatewayEdge(this, 'gateway-edge', {
      projectId: project,
      domain: env.domain,
      addressName: GATEWAY_EDGE.addressName,
      certificateMapName: GATEWAY_EDGE.certificateMapName,
    });
    new TerraformOutput(this, PLATFORM_OUTPUTS.gatewayIpAddress, {
      value: this.edge.addressIp,
      description: `A record for ${env.domain} and *.${env.domain}`,
    });
    new TerraformOutput(this, PLATFORM_OUTPUTS.dnsAuthorizationRecord, {
      value: this.edge.dnsAuthorizationRecord,
      description: 'CNAME to publish so Certificate Manager can issue the certificate',
    });

    if (!env.paused && !env.hibernated)
      this.edgePolicy = new CloudArmorPolicy(this, 'edge', {
        projectId: project,
        name: CLOUD_ARMOR_POLICY_NAME,
        owaspRulesMode: env.edge.owaspRulesMode,
        owaspSensitivity: env.edge.owaspSensitivity,
        rateLimitRequests: env.edge.rateLimitRequests,
        rateLimitIntervalSeconds: env.edge.rateLimitIntervalSeconds,
        banDurationSeconds: env.edge.banDurationSeconds,
        adaptiveProtection: env.edge.adaptiveProtection,
      });

    this.loki = new LokiStorage(this, 'loki', {
      projectId: project,
      location: env.region,
      bucketName: lokiBucketName(project),
      retentionDays: env.observability.lokiRetentionDays,
      googleServiceAccountId: LOKI_IDENTITY.googleServiceAccountId,
      namespace: LOKI_IDENTITY.namespace,
      kubernetesServiceAccount: LOKI_IDENTITY.kubernetesServiceAccount,
      workloadIdentityPoolDependsOn: pool,
    });

    const channels: string[] = [];
    if (env.observability.notificationEmail) {
      channels.push(
        emailNotificationChannel(this, 'email', {
          projectId: project,
          displayName: `tekutoko ${env.name} on-call e-mail`,
          emailAddress: env.observability.notificationEmail,
        }),
      );
    }
    const severity = env.observability.alertRouting === 'page' ? 'CRITICAL' : 'WARNING';
    new SqlMonitoring(this, 'sql-alerts', {
      projectId: project,
      instanceName: db.instanceName,
      maxConnections: db.maxConnections,
      cpuUtilizationThreshold: env.observability.sqlCpuUtilizationThreshold,
      diskUtilizationThreshold: env.observability.sqlDiskUtilizationThreshold,
      connectionsThreshold: env.observability.sqlConnectionsThreshold,
      notificationChannels: channels,
      severity,
    });
    new UptimeCheck(this, 'uptime', {
      projectId: project,
      hostname: env.hostname,
      periodSeconds: env.observability.uptimeCheckPeriodSeconds,
      notificationChannels: channels,
    });
    new Budget(this, 'budget', {
      billingAccount: props.bootstrap.billingAccount,
      projectNumber: envProjectNumber,
      displayName: `tekutoko ${env.name}`,
      monthlyAmount: env.budget.monthlyAmount,
      currencyCode: env.budget.currencyCode,
      alertThresholds: env.budget.alertThresholds,
      notificationChannels: channels,
    });

    const out = (key: keyof typeof PLATFORM_OUTPUTS, value: string, description: string, sensitive = false) =>
      new TerraformOutput(this, PLATFORM_OUTPUTS[key], { value, description, sensitive });
    if (this.cluster) {
      out(
        'clusterName',
        this.cluster.clusterName,
        'GKE cluster name (gcloud container clusters get-credentials)',
      );
      out('clusterEndpoint', this.cluster.clusterEndpoint, 'DNS-based control plane endpoint host');
      out('clusterCaCertificate', this.cluster.clusterCaCertificate, 'Cluster CA (base64 PEM)');
    }
    out('sqlInstanceName', this.database.instanceName, 'Cloud SQL instance name');
    out(
      'sqlInstanceConnectionName',
      this.database.instanceConnectionName,
      'project:region:instance for the Auth Proxy',
    );
    out('sqlPrivateIp', this.database.instancePrivateIp, 'Cloud SQL private IP');
    out(
      'privateServiceAccessCidr',
      this.network.privateServiceAccessCidr,
      'Range Cloud SQL private IPs come from',
    );
    out(
      'walkServiceServiceAccountEmail',
      this.walkService.serviceAccountEmail,
      'walk-service Google service account',
    );
    out('walkServiceDatabaseUser', this.walksDatabase.databaseUserName, 'walk-service IAM database user');
    out(
      'shareImageWorkerServiceAccountEmail',
      this.shareImageWorker.serviceAccountEmail,
      'share-image worker Google service account',
    );
    out(
      'shareImageWorkerDatabaseUser',
      this.shareImageWorker.serviceAccountDatabaseUser,
      'share-image worker IAM database user (WORKER_DATABASE_USER of the migrations Job)',
    );
    out('walkImagesBucket', this.walkImages.bucketName, 'bucket of thumbnails and share images');
    out(
      'signingKeysSecretId',
      this.signingKeys.secretId,
      'Secret Manager secret of the session key ring (add versions with gcloud)',
    );
    if (this.edgePolicy)
      out(
        'cloudArmorPolicyName',
        this.edgePolicy.policyName,
        'Cloud Armor policy the Gateway backend attaches',
      );
    out('lokiBucket', this.loki.bucketName, 'GCS bucket of Loki chunks');
    out('lokiServiceAccountEmail', this.loki.serviceAccountEmail, 'Google service account Loki writes as');
  }
}
