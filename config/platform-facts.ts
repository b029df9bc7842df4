/**
 * Platform facts: behaviours, names and enums that Google Cloud (or a tool we
 * run) defines and documents, not this project. Each is stated once, here,
 * with the page that says it; code, charts and runbooks import the value.
 * Keep this a flat list of documented constants (no logic, no imports).
 */

/** A documented constant: `value` as the `source` page states it. */
export interface PlatformFact<T> {
  readonly value: T;
  /** The document that states the fact (https). */
  readonly source: string;
}

/**
 * Namespace of GKE's managed collection for Managed Service for Prometheus
 * (collectors, rule-evaluator, managed Alertmanager, operator). `gmp-system`
 * is the namespace of the self-deployed operator and of non-GKE clusters;
 * GKE-managed components run in `gke-gmp-system`.
 */
export const GKE_MANAGED_PROMETHEUS_NAMESPACE: PlatformFact<string> = {
  value: 'gke-gmp-system',
  source: 'https://cloud.google.com/stackdriver/docs/managed-prometheus/troubleshooting',
};

/** Namespace where managed collection reads OperatorConfig and the Alertmanager secret. */
export const GKE_MANAGED_PROMETHEUS_PUBLIC_NAMESPACE: PlatformFact<string> = {
  value: 'gmp-public',
  source: 'https://cloud.google.com/stackdriver/docs/managed-prometheus/setup-managed',
};

/**
 * The Google API behind each provider resource type (by type prefix): a
 * resource cannot be created before its API is enabled on its project.
 */
export const API_OF_RESOURCE_TYPE: PlatformFact<Readonly<Record<string, string>>> = {
  value: {
    google_storage_: 'storage.googleapis.com',
    google_artifact_registry_: 'artifactregistry.googleapis.com',
    google_iam_workload_identity_pool: 'iam.googleapis.com',
    google_service_account: 'iam.googleapis.com',
    google_compute_: 'compute.googleapis.com',
    google_container_: 'container.googleapis.com',
    google_sql_: 'sqladmin.googleapis.com',
    google_service_networking_: 'servicenetworking.googleapis.com',
    google_secret_manager_: 'secretmanager.googleapis.com',
    google_monitoring_: 'monitoring.googleapis.com',
    google_certificate_manager_: 'certificatemanager.googleapis.com',
    google_binary_authorization_: 'binaryauthorization.googleapis.com',
    google_dns_: 'dns.googleapis.com',
  },
  source: 'https://cloud.google.com/service-usage/docs/enable-disable',
};

/**
 * Default service accounts Google creates when an API is enabled, by email
 * suffix: the Compute Engine default service account
 * (`<project-number>-compute@developer.gserviceaccount.com`) exists once the
 * Compute Engine API is on.
 */
export const DEFAULT_SERVICE_ACCOUNT_APIS: PlatformFact<Readonly<Record<string, string>>> = {
  value: { '-compute@developer.gserviceaccount.com': 'compute.googleapis.com' },
  source: 'https://cloud.google.com/compute/docs/access/service-accounts#default_service_account',
};

/** Security posture vulnerability modes GKE no longer supports ("basic vulnerability scanning"). */
export const GKE_DEPRECATED_VULNERABILITY_MODES: PlatformFact<readonly string[]> = {
  value: ['VULNERABILITY_BASIC'],
  source: 'https://cloud.google.com/kubernetes-engine/docs/deprecations/posture-management-deprecation',
};

/** The role a custom GKE node service account needs (logs, metrics, image pulls of system images). */
export const GKE_NODE_SERVICE_ACCOUNT_ROLE: PlatformFact<string> = {
  value: 'roles/container.defaultNodeServiceAccount',
  source: 'https://cloud.google.com/kubernetes-engine/docs/how-to/service-accounts#default-gke-service-agent',
};

/**
 * Managed Prometheus has no staleness: a series that stopped (a deleted canary
 * pod) is not marked stale, so a short window can mix a dead pod's last
 * samples with none from the new one (section "Staleness").
 */
export const GMP_SUPPORTS_STALENESS: PlatformFact<boolean> = {
  value: false,
  source: 'https://cloud.google.com/stackdriver/docs/managed-prometheus/promql-differences',
};

/** A `rate`/`increase` window shorter than the query step is widened to the step (section "Calculation of rate and increase"). */
export const GMP_WIDENS_RATE_WINDOW_TO_STEP: PlatformFact<boolean> = {
  value: true,
  source: 'https://cloud.google.com/stackdriver/docs/managed-prometheus/promql-differences',
};

/**
 * `histogram_quantile` over a histogram with no samples gives no value on
 * Managed Prometheus where Prometheus gives NaN (section "Calculation of
 * histogram_quantile").
 */
export const GMP_EMPTY_HISTOGRAM_QUANTILE: PlatformFact<'no value'> = {
  value: 'no value',
  source: 'https://cloud.google.com/stackdriver/docs/managed-prometheus/promql-differences',
};

/**
 * Google's own Gateway API canary tooling waits for an HTTPRoute change to
 * reach the load balancer before it judges a phase (Cloud Deploy
 * `gatewayServiceMesh.routeUpdateWaitTime`: "the time to wait for route
 * updates to propagate"; no wait when unset). The value is that default.
 */
export const GATEWAY_ROUTE_UPDATE_WAIT_DEFAULT_SECONDS: PlatformFact<number> = {
  value: 0,
  source:
    'https://cloud.google.com/php/docs/reference/cloud-deploy/latest/V1.KubernetesConfig.GatewayServiceMesh',
};

/**
 * Node selector that puts an Autopilot Pod on Spot capacity (cheaper,
 * reclaimable with a short notice); Autopilot adds the matching toleration.
 */
export const AUTOPILOT_SPOT_NODE_SELECTOR: PlatformFact<Readonly<Record<string, string>>> = {
  value: { 'cloud.google.com/gke-spot': 'true' },
  source: 'https://cloud.google.com/kubernetes-engine/docs/how-to/autopilot-spot-pods',
};

/**
 * Cloud Monitoring metrics read through PromQL are named `<domain with _>:<path with _>`
 * (monitoring.googleapis.com/uptime_check/check_passed becomes
 * monitoring_googleapis_com:uptime_check_check_passed).
 */
export const CLOUD_MONITORING_PROMQL_NAMING: PlatformFact<Readonly<Record<string, string>>> = {
  value: {
    'monitoring.googleapis.com/uptime_check/check_passed':
      'monitoring_googleapis_com:uptime_check_check_passed',
  },
  source: 'https://cloud.google.com/monitoring/promql/promql-mapping',
};

/**
 * GKE's kube state metrics package exports `kube_pod_status_phase` (one
 * series per phase, 1 for the current one) beside the container readiness.
 */
export const GKE_KUBE_STATE_POD_PHASE_METRIC: PlatformFact<string> = {
  value: 'kube_pod_status_phase',
  source: 'https://cloud.google.com/kubernetes-engine/docs/how-to/kube-state-metrics',
};

/**
 * What Autopilot's general-purpose compute class accepts as a Pod's requests
 * without changing them: at least 50m CPU and 52 MiB memory per Pod, and
 * between 1 and 6.5 GiB of memory per vCPU. Outside that range Autopilot
 * raises the smaller request, so the bill no longer matches what we asked for.
 */
export const AUTOPILOT_GENERAL_PURPOSE_POD_REQUESTS: PlatformFact<{
  readonly minCpuMillis: number;
  readonly minMemoryMiB: number;
  readonly memoryGiBPerVcpu: { readonly min: number; readonly max: number };
}> = {
  value: { minCpuMillis: 50, minMemoryMiB: 52, memoryGiBPerVcpu: { min: 1, max: 6.5 } },
  source:
    'https://cloud.google.com/kubernetes-engine/docs/concepts/autopilot-resource-requests#min-max-requests',
};

/**
 * Name of a Firebase project's default Cloud Storage bucket provisioned on or
 * after 30 October 2024 (`<project id>` + this); one provisioned before is
 * `<project id>.appspot.com`.
 */
export const FIREBASE_DEFAULT_BUCKET_SUFFIX: PlatformFact<string> = {
  value: '.firebasestorage.app',
  source: 'https://firebase.google.com/docs/reference/rest/storage/rest/v1alpha/projects.defaultBucket',
};

/**
 * Object permissions of Cloud Storage's predefined object roles, smallest
 * first: Object User can "create, view, list, update, and delete objects",
 * Object Admin has every `storage.objects.*` permission, IAM policies
 * included (permissions on managed folders, uploads and projects left out).
 * Replacing an existing object takes `storage.objects.delete` besides
 * `storage.objects.create` (https://cloud.google.com/storage/docs/access-control/iam-json).
 */
export const STORAGE_OBJECT_ROLE_PERMISSIONS: PlatformFact<Readonly<Record<string, readonly string[]>>> = {
  value: {
    'roles/storage.objectCreator': ['storage.objects.create'],
    'roles/storage.objectViewer': ['storage.objects.get', 'storage.objects.list'],
    'roles/storage.objectUser': [
      'storage.objects.create',
      'storage.objects.delete',
      'storage.objects.get',
      'storage.objects.list',
      'storage.objects.update',
    ],
    'roles/storage.objectAdmin': [
      'storage.objects.create',
      'storage.objects.delete',
      'storage.objects.get',
      'storage.objects.getIamPolicy',
      'storage.objects.list',
      'storage.objects.setIamPolicy',
      'storage.objects.update',
    ],
  },
  source: 'https://cloud.google.com/storage/docs/access-control/iam-roles',
};

/**
 * Firebase Authentication permissions of its predefined roles, smallest first
 * (the firebase.* and resourcemanager.* permissions both include left out).
 * Admin SDK `getUsers`/`getUser` need `firebaseauth.users.get`.
 */
export const FIREBASE_AUTH_ROLE_PERMISSIONS: PlatformFact<Readonly<Record<string, readonly string[]>>> = {
  value: {
    'roles/firebaseauth.viewer': ['firebaseauth.configs.get', 'firebaseauth.users.get'],
    'roles/firebaseauth.admin': [
      'firebaseauth.configs.create',
      'firebaseauth.configs.get',
      'firebaseauth.configs.getHashConfig',
      'firebaseauth.configs.getSecret',
      'firebaseauth.configs.update',
      'firebaseauth.users.create',
      'firebaseauth.users.createSession',
      'firebaseauth.users.delete',
      'firebaseauth.users.get',
      'firebaseauth.users.sendEmail',
      'firebaseauth.users.update',
    ],
  },
  source: 'https://cloud.google.com/iam/docs/roles-permissions/firebaseauth',
};

/**
 * Cloud SQL for PostgreSQL's predefined role with the most privileges a user
 * can hold (no true superuser): members can grant on schemas and create roles.
 */
export const CLOUD_SQL_SUPERUSER_ROLE: PlatformFact<string> = {
  value: 'cloudsqlsuperuser',
  source: 'https://cloud.google.com/sql/docs/postgres/users#default-users',
};

/**
 * A client-based API (Identity Toolkit, which Firebase Auth's admin calls use)
 * called by a service account bills its quota to the account's own project
 * unless the request names a quota project (`x-goog-user-project`, which
 * firebase-admin sets from GOOGLE_CLOUD_QUOTA_PROJECT); naming one needs
 * `serviceusage.services.use` there, which this role holds.
 */
export const QUOTA_PROJECT_ROLE: PlatformFact<{ readonly role: string; readonly permission: string }> = {
  value: { role: 'roles/serviceusage.serviceUsageConsumer', permission: 'serviceusage.services.use' },
  source: 'https://cloud.google.com/docs/quotas/set-quota-project',
};

/**
 * The Telemetry (OTLP) API: OTLP/HTTP at this root (`/v1/traces` for spans),
 * OAuth scope `trace.append`. Google recommends it, through a collector or
 * from an in-process OTLP exporter, over the Cloud Trace API (ADR 0242).
 */
export const TELEMETRY_OTLP_ENDPOINT: PlatformFact<string> = {
  value: 'https://telemetry.googleapis.com',
  source: 'https://cloud.google.com/stackdriver/docs/reference/telemetry/api',
};

/** The API to enable for it. */
export const TELEMETRY_API: PlatformFact<string> = {
  value: 'telemetry.googleapis.com',
  source: 'https://cloud.google.com/stackdriver/docs/reference/telemetry/overview',
};

/** The predefined role that lets an identity write spans through the Telemetry API. */
export const TELEMETRY_TRACES_WRITER_ROLE: PlatformFact<string> = {
  value: 'roles/telemetry.tracesWriter',
  source: 'https://cloud.google.com/iam/docs/roles-permissions/telemetry',
};

/**
 * Cloud Storage soft delete: on by default with a 7-day retention; a policy
 * sets 0 (off) or between 7 and 90 days. Soft-deleted bytes are billed as
 * stored until the retention ends.
 */
export const SOFT_DELETE_RETENTION_DAYS: PlatformFact<{
  readonly off: 0;
  readonly min: number;
  readonly max: number;
  readonly default: number;
}> = {
  value: { off: 0, min: 7, max: 90, default: 7 },
  source: 'https://cloud.google.com/storage/docs/soft-delete',
};

/**
 * Signing a V4 signed URL without a key: the client library asks the IAM
 * Service Account Credentials API's `signBlob` to sign as the service
 * account, which takes `iam.serviceAccounts.signBlob` on that account, in
 * this role; the account itself must hold the object permissions the URL
 * grants.
 */
export const SIGN_BLOB_ROLE: PlatformFact<{ readonly role: string; readonly permission: string }> = {
  value: { role: 'roles/iam.serviceAccountTokenCreator', permission: 'iam.serviceAccounts.signBlob' },
  source: 'https://cloud.google.com/storage/docs/authentication/creating-signatures',
};
