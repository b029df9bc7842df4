/** Each construct synthesized alone: secure defaults with minimal props, full props honoured, errors name prop, value and range. */
import { TerraformOutput, Testing } from 'cdktf';
import { Construct } from 'constructs';
import { ArtifactRegistry } from '../constructs/artifact-registry';
import { Budget } from '../constructs/budget';
import { CloudArmorPolicy } from '../constructs/cloud-armor-policy';
import { CloudSqlPostgres } from '../constructs/cloud-sql-postgres';
import { GitHubWorkloadIdentityFederation } from '../constructs/github-workload-identity-federation';
import { GkeAutopilotCluster } from '../constructs/gke-autopilot-cluster';
import { Network } from '../constructs/network';
import { googleProvider } from '../constructs/google-provider';
import { customProjectRole, denyProjectPermissions } from '../constructs/iam-guardrails';
import {
  assertSafeGrant,
  grantBillingAccountRole,
  grantProjectRole,
  principal,
} from '../constructs/principal';
import { grantBucketRole, PrivateBucket } from '../constructs/private-bucket';
import { grantSecretAccess, Secret } from '../constructs/secret';
import { createIamDatabaseUser } from '../constructs/service-database';
import { googleServiceAccount, grantActAs, WorkloadIdentityUser } from '../constructs/service-identity';
import { emailNotificationChannel } from '../constructs/sql-monitoring';
import { Block } from './synthesized';

/** Resources of one type synthesized from `fn`. */
function synth(fn: (scope: Construct) => void): Record<string, Block[]> {
  const json = JSON.parse(Testing.synthScope(fn)) as { resource?: Record<string, Record<string, Block>> };
  return Object.fromEntries(Object.entries(json.resource ?? {}).map(([t, r]) => [t, Object.values(r)]));
}

const P = 'tekutoko-test-example';
const sqlProps = {
  projectId: P,
  region: 'asia-northeast1',
  instanceName: 'walks-test',
  network: 'net',
  allocatedIpRange: 'psa',
};

describe('CloudSqlPostgres', () => {
  it('is HA, double-protected, private and TLS-only with minimal props', () => {
    const sql = synth((s) => new CloudSqlPostgres(s, 'sql', sqlProps)).google_sql_database_instance![0]!;
    expect(sql.database_version).toBe('POSTGRES_17');
    expect(sql.deletion_protection).toBe(true);
    expect(sql.settings).toMatchObject({
      edition: 'ENTERPRISE',
      availability_type: 'REGIONAL',
      deletion_protection_enabled: true,
      activation_policy: 'ALWAYS',
      ip_configuration: { ipv4_enabled: false, ssl_mode: 'ENCRYPTED_ONLY' },
      backup_configuration: { enabled: true, point_in_time_recovery_enabled: true },
    });
  });

  it('grants connect on its instance only', () => {
    const r = synth((s) =>
      new CloudSqlPostgres(s, 'sql', sqlProps).grantConnect(
        principal('serviceAccount:a@b.iam.gserviceaccount.com'),
      ),
    );
    expect(r.google_project_iam_member!.map((m) => [m.role, m.condition.expression])).toEqual([
      [
        'roles/cloudsql.client',
        expect.stringContaining('"projects/tekutoko-test-example/instances/walks-test"'),
      ],
      [
        'roles/cloudsql.instanceUser',
        expect.stringContaining('"projects/tekutoko-test-example/instances/walks-test"'),
      ],
    ]);
  });

  it('refuses a shared-core REGIONAL instance and a non-PostgreSQL version', () => {
    expect(() => synth((s) => new CloudSqlPostgres(s, 'sql', { ...sqlProps, tier: 'db-f1-micro' }))).toThrow(
      'CloudSqlPostgres sql: tier db-f1-micro is shared-core and cannot be REGIONAL',
    );
    expect(() =>
      synth((s) => new CloudSqlPostgres(s, 'sql', { ...sqlProps, databaseVersion: 'MYSQL_8_0' })),
    ).toThrow('databaseVersion must be POSTGRES_<major>, got "MYSQL_8_0"');
  });
});

describe('GkeAutopilotCluster', () => {
  const props = {
    projectId: P,
    region: 'asia-northeast1',
    name: 'c',
    network: 'n',
    subnetwork: 's',
    podsRangeName: 'p',
    servicesRangeName: 'v',
  };

  it('defaults to deletion protection, REGULAR and a 4-hour window', () => {
    const c = synth((s) => new GkeAutopilotCluster(s, 'gke', props)).google_container_cluster![0]!;
    expect(c.deletion_protection).toBe(true);
    expect(c.release_channel.channel).toBe('REGULAR');
    expect(c.maintenance_policy.recurring_window).toEqual({
      start_time: '2026-01-01T17:00:00Z',
      end_time: '2026-01-01T21:00:00Z',
      recurrence: 'FREQ=WEEKLY;BYDAY=TU,WE,TH',
    });
  });

  it('wraps a window past midnight and rejects bad windows', () => {
    const c = synth(
      (s) =>
        new GkeAutopilotCluster(s, 'gke', {
          ...props,
          maintenanceStartHourUtc: 22,
          maintenanceDurationHours: 6,
        }),
    ).google_container_cluster![0]!;
    expect(c.maintenance_policy.recurring_window.end_time).toBe('2026-01-02T04:00:00Z');
    expect(() =>
      synth((s) => new GkeAutopilotCluster(s, 'gke', { ...props, maintenanceDurationHours: 2 })),
    ).toThrow('maintenanceDurationHours must be 4..24, got 2');
    expect(() =>
      synth((s) => new GkeAutopilotCluster(s, 'gke', { ...props, maintenanceDays: ['XX'] })),
    ).toThrow('got [XX]');
    expect(() =>
      synth((s) => new GkeAutopilotCluster(s, 'gke', { ...props, maintenanceDays: ['TU', 'WE'] })),
    ).toThrow('maintenance window gives 32 h per 32 days (2 days x 4 h); GKE needs >= 48 h');
  });
});

describe('Network', () => {
  const props = {
    projectId: P,
    region: 'asia-northeast1',
    name: 'n',
    subnetCidr: '10.0.0.0/20',
    podsCidr: '10.4.0.0/14',
    servicesCidr: '10.8.0.0/20',
    privateServiceAccessCidr: '10.9.0.0/20',
  };

  it('builds subnet, NAT, PSA and the private googleapis zone', () => {
    const r = synth((s) => new Network(s, 'net', props));
    expect(r.google_compute_network![0]!.auto_create_subnetworks).toBe(false);
    expect(r.google_dns_record_set!.map((x) => x.name).sort()).toEqual([
      '*.googleapis.com.',
      'private.googleapis.com.',
    ]);
    expect(r.google_compute_global_address![0]).toMatchObject({
      address: '10.9.0.0',
      prefix_length: 20,
      purpose: 'VPC_PEERING',
    });
  });

  it('rejects bad CIDRs by prop name', () => {
    expect(() => synth((s) => new Network(s, 'net', { ...props, podsCidr: '10.4.0.0' }))).toThrow(
      'Network: podsCidr must be an IPv4 CIDR like 10.0.0.0/20, got "10.4.0.0"',
    );
    expect(() =>
      synth((s) => new Network(s, 'net', { ...props, privateServiceAccessCidr: '10.9.0.0/28' })),
    ).toThrow('/24 or larger');
  });
});

describe('CloudArmorPolicy', () => {
  it('enforces OWASP rules by default and validates the rate limit', () => {
    const p = synth((s) => new CloudArmorPolicy(s, 'edge', { projectId: P, name: 'edge' }))
      .google_compute_security_policy![0]!;
    expect(p.rule.filter((r: Block) => r.preview === true)).toEqual([]);
    expect(p.adaptive_protection_config).toBeUndefined();
    expect(() =>
      synth(
        (s) => new CloudArmorPolicy(s, 'edge', { projectId: P, name: 'e', rateLimitIntervalSeconds: 45 }),
      ),
    ).toThrow('rateLimitIntervalSeconds must be one of 10, 30, 60');
  });
});

describe('PrivateBucket, Secret, ArtifactRegistry, Budget', () => {
  it('keeps buckets private and versions pruned', () => {
    const b = synth(
      (s) =>
        new PrivateBucket(s, 'b', {
          projectId: P,
          name: 'b-example',
          location: 'asia-northeast1',
          versioning: true,
        }),
    ).google_storage_bucket![0]!;
    expect(b).toMatchObject({
      uniform_bucket_level_access: true,
      public_access_prevention: 'enforced',
      force_destroy: false,
    });
    expect(b.lifecycle_rule).toEqual([
      { action: { type: 'Delete' }, condition: { num_newer_versions: 10, with_state: 'ARCHIVED' } },
    ]);
    expect(() =>
      synth((s) => new PrivateBucket(s, 'b', { projectId: P, name: 'Bad_Name!', location: 'x' })),
    ).toThrow('got "Bad_Name!"');
  });

  it('deletes under a prefix after N days and sets soft delete, refusing values GCS refuses', () => {
    const b = synth(
      (s) =>
        new PrivateBucket(s, 'b', {
          projectId: P,
          name: 'b-example',
          location: 'asia-northeast1',
          deleteUnderPrefixAfterDays: { 'share-images/': 30 },
          softDeleteRetentionDays: 0,
        }),
    ).google_storage_bucket![0]!;
    expect(b.lifecycle_rule).toEqual([
      { action: { type: 'Delete' }, condition: { age: 30, matches_prefix: ['share-images/'] } },
    ]);
    expect(b.soft_delete_policy).toEqual({ retention_duration_seconds: 0 });
    const bad = (props: object) => () =>
      synth((s) => new PrivateBucket(s, 'b', { projectId: P, name: 'b-example', location: 'x', ...props }));
    expect(bad({ softDeleteRetentionDays: 3 })).toThrow(
      'softDeleteRetentionDays must be 0 (off) or 7..90, got 3',
    );
    expect(bad({ deleteUnderPrefixAfterDays: { 'share-images': 3 } })).toThrow('"share-images": 3');
    expect(bad({ deleteUnderPrefixAfterDays: { 'a/': 0 } })).toThrow('"a/": 0');
  });

  it('creates a secret without a version and grants one accessor', () => {
    const r = synth((s) =>
      new Secret(s, 'k', { projectId: P, secretId: 'k', replicaLocations: ['asia-northeast1'] }).grantAccess(
        principal('serviceAccount:x@y.iam.gserviceaccount.com'),
      ),
    );
    expect(r.google_secret_manager_secret_version).toBeUndefined();
    expect(r.google_secret_manager_secret![0]!.deletion_protection).toBe(true);
    expect(r.google_secret_manager_secret_iam_member![0]!.role).toBe('roles/secretmanager.secretAccessor');
  });

  it('makes image tags immutable and cleans untagged images', () => {
    const repo = synth(
      (s) => new ArtifactRegistry(s, 'ar', { projectId: P, location: 'asia-northeast1', repositoryId: 'r' }),
    ).google_artifact_registry_repository![0]!;
    expect(repo.docker_config.immutable_tags).toBe(true);
    expect(repo.cleanup_policies).toContainEqual({
      id: 'delete-untagged',
      action: 'DELETE',
      condition: { tag_state: 'UNTAGGED', older_than: '1209600s' },
    });
  });

  it('rejects a budget threshold outside (0, 2]', () => {
    expect(() =>
      synth(
        (s) =>
          new Budget(s, 'b', {
            billingAccount: 'A',
            projectNumber: '1',
            displayName: 'd',
            monthlyAmount: 10,
            currencyCode: 'USD',
            alertThresholds: [3],
          }),
      ),
    ).toThrow('alertThresholds must be in (0, 2], got 3');
  });
});

describe('identities', () => {
  it('binds exactly one Kubernetes service account', () => {
    const r = synth(
      (s) =>
        new WorkloadIdentityUser(s, 'w', {
          projectId: P,
          googleServiceAccountId: 'walk-service',
          namespace: 'ns',
          kubernetesServiceAccount: 'ksa',
        }),
    );
    expect(r.google_service_account_iam_member).toEqual([
      expect.objectContaining({
        role: 'roles/iam.workloadIdentityUser',
        member: `serviceAccount:${P}.svc.id.goog[ns/ksa]`,
      }),
    ]);
    expect(r.google_service_account_key).toBeUndefined();
  });

  it('accepts GitHub tokens of one repository by id and opens accounts per environment or event', () => {
    const r = synth((s) => {
      const f = new GitHubWorkloadIdentityFederation(s, 'gh', {
        projectId: P,
        projectNumber: '123',
        repository: 'acme/app',
        repositoryId: '42',
        repositoryOwnerId: '7',
      });
      f.allowEnvironment(
        'prod',
        'projects/p/serviceAccounts/a@p.iam.gserviceaccount.com',
        'prod',
        'refs/heads/main',
      );
      expect(() => f.allowEnvironment('bad', 'sa', 'prod', 'main')).toThrow(
        'ref must be a full ref like refs/heads/main, got "main"',
      );
      expect(() => f.allowEvent('prt', 'sa', 'pull_request_target', 'refs/heads/main')).toThrow(
        'event "pull_request_target" cannot be trusted',
      );
      expect(
        () =>
          new GitHubWorkloadIdentityFederation(s, 'named', {
            projectId: P,
            projectNumber: '123',
            repository: 'acme/app',
            repositoryId: 'acme/app',
            repositoryOwnerId: '7',
          }),
      ).toThrow('repositoryId must be GitHub\'s numeric id, got "acme/app"');
    });
    expect(r.google_iam_workload_identity_pool_provider![0]!.attribute_condition).toBe(
      "assertion.repository_id == '42' && assertion.repository_owner_id == '7' && assertion.event_name != 'pull_request_target'",
    );
    expect(r.google_service_account_iam_member![0]!.member).toBe(
      'principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/github/attribute.environment_ref/prod@refs/heads/main',
    );
  });

  it('refuses primitive roles and public members', () => {
    expect(() => assertSafeGrant('roles/editor', 'serviceAccount:x')).toThrow(
      'refusing to grant primitive role roles/editor',
    );
    expect(() => assertSafeGrant('roles/storage.objectViewer', 'allUsers')).toThrow('resources stay private');
  });
});

/** The helpers stacks call instead of provider classes (ADR 0225): each resource where the stack puts it. */
describe('provider helpers', () => {
  const sa = 'serviceAccount:x@y.iam.gserviceaccount.com';

  it('grants project, billing-account, secret and act-as roles only after the grantee exists', () => {
    const json = JSON.parse(
      Testing.synthScope((s) => {
        const nodes = googleServiceAccount(s, 'nodes', {
          projectId: P,
          accountId: 'nodes',
          displayName: 'n',
        });
        grantProjectRole(s, 'project-role', {
          projectId: P,
          role: 'roles/monitoring.viewer',
          grantee: nodes,
        });
        grantBillingAccountRole(s, 'billing-role', {
          billingAccountId: '000000-000000-000000',
          role: 'roles/billing.viewer',
          grantee: nodes,
        });
        grantSecretAccess(s, 'secret-access', { projectId: P, secretId: 'k', grantee: nodes });
        grantActAs(s, 'act-as', { serviceAccountName: nodes.serviceAccountName, grantee: principal(sa) });
      }),
    ) as { resource: Record<string, Record<string, Block>> };
    const r = json.resource;
    // Addresses are the ids given: the stacks keep their Terraform addresses.
    expect(Object.keys(r.google_service_account!)).toEqual(['nodes']);
    const member = '${google_service_account.nodes.email}';
    for (const [type, id] of [
      ['google_project_iam_member', 'project-role'],
      ['google_billing_account_iam_member', 'billing-role'],
      ['google_secret_manager_secret_iam_member', 'secret-access'],
    ] as const) {
      expect([type, r[type]![id]!.member, r[type]![id]!.depends_on]).toEqual([
        type,
        `serviceAccount:${member}`,
        ['google_service_account.nodes'],
      ]);
    }
    expect(r.google_secret_manager_secret_iam_member!['secret-access']!.role).toBe(
      'roles/secretmanager.secretAccessor',
    );
    expect(r.google_service_account_iam_member!['act-as']).toMatchObject({
      service_account_id: '${google_service_account.nodes.name}',
      role: 'roles/iam.serviceAccountUser',
      member: sa,
    });
  });

  it('refuses primitive roles and public members in every grant helper', () => {
    const grantee = principal('allUsers');
    expect(() =>
      Testing.synthScope((s) =>
        grantProjectRole(s, 'g', { projectId: P, role: 'roles/owner', grantee: principal(sa) }),
      ),
    ).toThrow('refusing to grant primitive role roles/owner');
    expect(() =>
      Testing.synthScope((s) =>
        grantBillingAccountRole(s, 'g', { billingAccountId: 'b', role: 'roles/billing.viewer', grantee }),
      ),
    ).toThrow('resources stay private');
    expect(() =>
      Testing.synthScope((s) => grantSecretAccess(s, 'g', { projectId: P, secretId: 'k', grantee })),
    ).toThrow('resources stay private');
    expect(() => Testing.synthScope((s) => grantActAs(s, 'g', { serviceAccountName: 'n', grantee }))).toThrow(
      'resources stay private',
    );
    expect(() =>
      Testing.synthScope((s) =>
        grantBucketRole(s, 'g', { bucketName: 'b', role: 'roles/storage.objectViewer', grantee }),
      ),
    ).toThrow('resources stay private');
  });

  it('bills provider calls to the project only when asked', () => {
    const providers = (billCallsToProject?: boolean) =>
      (
        JSON.parse(
          Testing.synthScope((s) =>
            googleProvider(s, 'google', {
              projectId: P,
              region: 'asia-northeast1',
              billCallsToProject,
              defaultLabels: { environment: 'dev' },
            }),
          ),
        ) as { provider: { google: Block[] } }
      ).provider.google;
    expect(providers()).toEqual([
      { project: P, region: 'asia-northeast1', default_labels: { environment: 'dev' } },
    ]);
    expect(providers(true)[0]).toMatchObject({ user_project_override: true, billing_project: P });
  });

  it('creates IAM database users without a password, dropped on destroy unless abandoned', () => {
    const users = synth((s) => {
      createIamDatabaseUser(s, 'dropped', { projectId: P, instanceName: 'i', userName: 'a@p.iam' });
      createIamDatabaseUser(s, 'kept', {
        projectId: P,
        instanceName: 'i',
        userName: 'b@p.iam',
        deletionPolicy: 'ABANDON',
      });
    }).google_sql_user!;
    expect(users.map((u) => [u.type, u.deletion_policy, u.password])).toEqual([
      ['CLOUD_IAM_SERVICE_ACCOUNT', undefined, undefined],
      ['CLOUD_IAM_SERVICE_ACCOUNT', 'ABANDON', undefined],
    ]);
  });

  it('denies permissions to named accounts after they and the IAM API exist', () => {
    const r = synth((s) => {
      const a = googleServiceAccount(s, 'a', { projectId: P, accountId: 'aaaaaa', displayName: 'a' });
      const api = googleServiceAccount(s, 'api', { projectId: P, accountId: 'bbbbbb', displayName: 'b' });
      const role = customProjectRole(s, 'role', {
        projectId: P,
        roleId: 'custom',
        title: 't',
        permissions: ['secretmanager.secrets.get'],
      });
      grantProjectRole(s, 'holds-role', { projectId: P, role, grantee: a });
      denyProjectPermissions(s, 'deny', {
        projectId: P,
        name: 'n',
        displayName: 'd',
        description: 'why',
        deniedServiceAccounts: [{ ...a, serviceAccountEmail: `aaaaaa@${P}.iam.gserviceaccount.com` }],
        deniedPermissions: ['secretmanager.googleapis.com/versions.access'],
        dependsOn: [api.serviceAccount],
      });
    });
    const deny = r.google_iam_deny_policy![0]!;
    expect(deny.parent).toBe(`cloudresourcemanager.googleapis.com%2Fprojects%2F${P}`);
    expect(deny.depends_on).toEqual(['google_service_account.api', 'google_service_account.a']);
    expect(deny.rules).toEqual([
      {
        description: 'why',
        deny_rule: {
          denied_principals: [
            `principal://iam.googleapis.com/projects/-/serviceAccounts/aaaaaa@${P}.iam.gserviceaccount.com`,
          ],
          denied_permissions: ['secretmanager.googleapis.com/versions.access'],
        },
      },
    ]);
    expect(r.google_project_iam_custom_role![0]!.permissions).toEqual(['secretmanager.secrets.get']);
    expect(r.google_project_iam_member![0]!.role).toBe('${google_project_iam_custom_role.role.name}');
  });

  it('returns an e-mail notification channel by name', () => {
    const json = JSON.parse(
      Testing.synthScope((s) => {
        const name = emailNotificationChannel(s, 'email', {
          projectId: P,
          displayName: 'on-call',
          emailAddress: 'o@example.com',
        });
        new TerraformOutput(s, 'channel', { value: name });
      }),
    ) as { resource: Record<string, Record<string, Block>>; output: Record<string, { value: string }> };
    expect(json.output.channel!.value).toBe('${google_monitoring_notification_channel.email.name}');
    expect(json.resource.google_monitoring_notification_channel!.email).toMatchObject({
      type: 'email',
      labels: { email_address: 'o@example.com' },
    });
  });
});
