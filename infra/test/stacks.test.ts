/**
 * Properties of the synthesized stacks: per environment (DESIGN.md's
 * table), policies that hold in every stack, the preview's isolation and
 * the bootstrap's CI identities. One synth for the whole file.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { App } from 'cdktf';
import { ENVIRONMENT_NAMES, EnvironmentName, loadEnvironments } from '../../config/environments';
import {
  ARTIFACT_REPOSITORY_ID,
  PREVIEW_ARTIFACT_REPOSITORY_ID,
  CLOUD_ARMOR_POLICY_NAME,
  CI_IDENTITIES,
  googleServiceAccountEmail,
  iamDatabaseUser,
  PLATFORM_OUTPUTS,
  DATABASE_ADMIN_IDENTITY,
  serviceIdentity,
  ALERT_RECEIVERS_SECRET_ID,
  SIGNING_KEYS_SECRET_ID,
  stackName,
  previewWalkImagesBucketName,
} from '../../config/names';
import { OWASP_RULE_SETS } from '../constructs/cloud-armor-policy';
import { GKE_AUTH_PLUGIN } from '../constructs/cluster-access';
import { PRIMITIVE_ROLES } from '../constructs/principal';
import { BootstrapStack, SECRETS_MANAGER_ROLE } from '../stacks/bootstrap-stack';
import { Block, iamResources, only, resources, StackJson, synthesizeAll, Synthesized } from './synthesized';

let s: Synthesized;
beforeAll(() => {
  s = synthesizeAll();
});

const platform = (env: EnvironmentName): StackJson => s.stacks[stackName.platform(env)]!;
const OWN_STACKS = [stackName.bootstrap, ...ENVIRONMENT_NAMES.map(stackName.platform), stackName.preview(42)];

describe('synthInfra', () => {
  it('writes bootstrap, every platform stack and the requested preview', () => {
    for (const name of OWN_STACKS) expect(Object.keys(s.stacks)).toContain(name);
  });
});

describe.each(ENVIRONMENT_NAMES)('%s-platform', (env) => {
  const config = () => s.config.environments[env];

  it('runs GKE Autopilot with private nodes, DNS-only control plane and the add-ons', () => {
    const c = only(platform(env), 'google_container_cluster');
    expect(c.enable_autopilot).toBe(true);
    expect(c.private_cluster_config.enable_private_nodes).toBe(true);
    expect(c.control_plane_endpoints_config).toEqual({
      dns_endpoint_config: { allow_external_traffic: true },
      ip_endpoints_config: { enabled: false },
    });
    expect(c.release_channel.channel).toBe('REGULAR');
    expect(c.monitoring_config.managed_prometheus.enabled).toBe(true);
    // kube_pod_*, kube_deployment_*, kube_horizontalpodautoscaler_* (monitoring/metric-catalogue.ts).
    expect(c.monitoring_config.enable_components).toEqual(
      expect.arrayContaining(['POD', 'DEPLOYMENT', 'HPA']),
    );
    expect(c.gateway_api_config.channel).toBe('CHANNEL_STANDARD');
    expect(c.secret_manager_config.enabled).toBe(true);
    expect(c.workload_identity_config.workload_pool).toBe(`${config().projectId}.svc.id.goog`);
    expect(c.maintenance_policy.recurring_window.recurrence).toMatch(/^FREQ=WEEKLY;BYDAY=/);
    expect(c.deletion_protection).toBe(env === 'prod');
    // Staging and prod admit only release images (issue 13 item 4); dev runs previews too.
    expect(c.binary_authorization.evaluation_mode).toBe(
      env === 'dev' ? 'DISABLED' : 'PROJECT_SINGLETON_POLICY_ENFORCE',
    );
    expect(resources(platform(env), 'google_binary_authorization_policy')).toHaveLength(
      env === 'dev' ? 0 : 1,
    );
    expect(c.maintenance_policy.maintenance_exclusion.length > 0).toBe(env === 'prod');
  });

  it('puts nodes behind Cloud NAT with secondary ranges and Private Service Access', () => {
    const subnet = only(platform(env), 'google_compute_subnetwork');
    expect(subnet.private_ip_google_access).toBe(true);
    expect(subnet.secondary_ip_range.map((r: Block) => r.ip_cidr_range)).toEqual([
      config().network.podsCidr,
      config().network.servicesCidr,
    ]);
    expect(only(platform(env), 'google_compute_router_nat').source_subnetwork_ip_ranges_to_nat).toBe(
      'ALL_SUBNETWORKS_ALL_IP_RANGES',
    );
    const psa = only(platform(env), 'google_service_networking_connection');
    expect(psa.service).toBe('servicenetworking.googleapis.com');
    const [range, ...others] = resources(platform(env), 'google_compute_global_address').filter(
      (a) => a.purpose === 'VPC_PEERING',
    );
    expect(others).toEqual([]);
    expect(`${range!.address}/${range!.prefix_length}`).toBe(config().network.privateServiceAccessCidr);
  });

  it('runs Cloud SQL PostgreSQL 17 per the DESIGN table', () => {
    const sql = only(platform(env), 'google_sql_database_instance');
    const st = sql.settings;
    expect(sql.database_version).toBe('POSTGRES_17');
    expect(sql.name).toBe(config().database.instanceName);
    expect(st.edition).toBe('ENTERPRISE');
    expect(st.ip_configuration.ipv4_enabled).toBe(false);
    expect(st.ip_configuration.ssl_mode).toBe('ENCRYPTED_ONLY');
    expect(st.database_flags).toContainEqual({ name: 'cloudsql.iam_authentication', value: 'on' });
    expect(st.insights_config.query_insights_enabled).toBe(true);
    expect(st.backup_configuration.enabled).toBe(true);
    expect(st.activation_policy).toBe('ALWAYS');
    const expected = {
      dev: {
        tier: /^db-(f1-micro|g1-small)$/,
        availability: 'ZONAL',
        pitr: false,
        guards: [true, true],
        backups: 7,
      },
      staging: { tier: /^db-custom-/, availability: 'ZONAL', pitr: true, guards: [true, true], backups: 14 },
      prod: { tier: /^db-custom-/, availability: 'REGIONAL', pitr: true, guards: [true, true], backups: 30 },
    }[env];
    expect(st.tier).toMatch(expected.tier);
    expect(st.availability_type).toBe(expected.availability);
    expect(st.backup_configuration.point_in_time_recovery_enabled).toBe(expected.pitr);
    expect([sql.deletion_protection, st.deletion_protection_enabled]).toEqual(expected.guards);
    expect(st.backup_configuration.backup_retention_settings.retained_backups).toBe(expected.backups);
  });

  it('gives walk-service its database, IAM user and exactly six grants', () => {
    const id = serviceIdentity();
    const project = config().projectId;
    const email = googleServiceAccountEmail(id.googleServiceAccountId, project);
    const stack = platform(env);
    expect(resources(stack, 'google_sql_database').map((d) => d.name)).toEqual([id.databaseName]);
    const user = resources(stack, 'google_sql_user').find((u) =>
      u.name.startsWith(`${id.googleServiceAccountId}@`),
    );
    expect(user).toMatchObject({
      name: iamDatabaseUser(id.googleServiceAccountId, project),
      type: 'CLOUD_IAM_SERVICE_ACCOUNT',
    });
    expect(user!.password).toBeUndefined();
    const grants = iamResources(stack)
      .filter(([, b]) => b.member === `serviceAccount:${email}`)
      .map(([type, b]) => `${type} ${b.role}`)
      .sort();
    expect(grants).toEqual([
      'google_project_iam_member roles/cloudsql.client',
      'google_project_iam_member roles/cloudsql.instanceUser',
      'google_project_iam_member roles/telemetry.tracesWriter',
      'google_secret_manager_secret_iam_member roles/secretmanager.secretAccessor',
      // Signing its own V4 URLs; object access under its prefixes (infra/test/walk-images.test.ts).
      'google_service_account_iam_member roles/iam.serviceAccountTokenCreator',
      'google_storage_bucket_iam_member roles/storage.objectUser',
    ]);
    for (const [, b] of iamResources(stack).filter(
      ([t, b]) =>
        t === 'google_project_iam_member' && b.member.includes(email) && b.role.startsWith('roles/cloudsql.'),
    )) {
      expect(b.condition.expression).toContain(`instances/${config().database.instanceName}"`);
    }
    const secretGrant = only(stack, 'google_secret_manager_secret_iam_member');
    expect(secretGrant.secret_id).toContain('google_secret_manager_secret.signing-keys');
    const wi = iamResources(stack).find(
      ([t, b]) =>
        t === 'google_service_account_iam_member' &&
        b.member.endsWith(`[${id.namespace}/${id.kubernetesServiceAccount}]`),
    );
    expect(wi?.[1]).toMatchObject({
      role: 'roles/iam.workloadIdentityUser',
      member: `serviceAccount:${project}.svc.id.goog[${id.namespace}/${id.kubernetesServiceAccount}]`,
    });
  });

  it('has the database admin the grant Jobs run as (IAM user, Workload Identity in namespace db-admin)', () => {
    const admins = resources(platform(env), 'google_sql_user').filter((u) =>
      u.name.startsWith(`${DATABASE_ADMIN_IDENTITY.googleServiceAccountId}@`),
    );
    expect(admins).toHaveLength(1);
    const wi = iamResources(platform(env)).filter(([, b]) =>
      String(b.member).endsWith(
        `[${DATABASE_ADMIN_IDENTITY.namespace}/${DATABASE_ADMIN_IDENTITY.kubernetesServiceAccount}]`,
      ),
    );
    expect(wi).toHaveLength(1);
  });

  it('makes the database admin a cloudsqlsuperuser member by code, with no credential in the stack', () => {
    const [key] = Object.entries(platform(env).resource!.google_sql_user!).find(([, u]) =>
      String(u.name).startsWith(`${DATABASE_ADMIN_IDENTITY.googleServiceAccountId}@`),
    )!;
    const grants = resources(platform(env), 'terraform_data');
    expect(grants).toHaveLength(1);
    const [grant] = grants;
    expect(grant!.triggers_replace.user).toBe(`\${google_sql_user.${key}.id}`);
    const [provisioner] = grant!.provisioner;
    expect(provisioner['local-exec'].command).toBe(
      `'gcloud' 'sql' 'users' 'assign-roles' '\${google_sql_user.${key}.name}' ` +
        `'--instance=\${google_sql_database_instance.sql_instance_A8568CAC.name}' '--project=${platform(env).provider!.google![0]!.project}' ` +
        `'--type=CLOUD_IAM_SERVICE_ACCOUNT' '--database-roles=cloudsqlsuperuser' '--quiet'`,
    );
    expect(JSON.stringify(grant)).not.toMatch(/password|token/i);
  });

  it('creates the signing-key and alert-receiver secrets with no value', () => {
    const secrets = resources(platform(env), 'google_secret_manager_secret').map((x) => x.secret_id);
    expect(secrets).toContain(SIGNING_KEYS_SECRET_ID);
    expect(secrets).toContain(ALERT_RECEIVERS_SECRET_ID);
    expect(resources(platform(env), 'google_secret_manager_secret_version')).toEqual([]);
    // No workload reads the receiver URLs: only operators piping them into Alertmanager.
    const readers = resources(platform(env), 'google_secret_manager_secret_iam_member').filter((m) =>
      String(m.secret_id).includes('alert-receivers'),
    );
    expect(readers).toEqual([]);
  });

  it('protects the edge with OWASP rules, a rate ban and (prod) Adaptive Protection', () => {
    const p = only(platform(env), 'google_compute_security_policy');
    expect(p.name).toBe(CLOUD_ARMOR_POLICY_NAME);
    const waf = p.rule.filter((r: Block) => r.match.expr?.expression?.startsWith('evaluatePreconfiguredWaf'));
    const mode = config().edge.owaspRulesMode;
    expect(waf.map((r: Block) => /'([a-z0-9-]+)'/.exec(r.match.expr.expression)![1])).toEqual(
      mode === 'off' ? [] : [...OWASP_RULE_SETS],
    );
    for (const r of waf) {
      expect(r.action).toBe('deny(403)');
      expect(r.preview).toBe(mode === 'preview');
    }
    // Staging and prod enforce (environments.ts refuses less); dev pays for no WAF rules (ADR 0170).
    expect(mode).toBe(env === 'dev' ? 'off' : 'enforce');
    const ban = p.rule.find((r: Block) => r.action === 'rate_based_ban');
    expect(ban.rate_limit_options).toMatchObject({ enforce_on_key: 'IP', exceed_action: 'deny(429)' });
    expect(p.adaptive_protection_config?.layer_7_ddos_defense_config?.enable ?? false).toBe(env === 'prod');
  });

  it('keeps Loki logs for the configured days, written by its own identity', () => {
    const bucket = resources(platform(env), 'google_storage_bucket').find((b) => b.name.endsWith('-loki'))!;
    expect(bucket.lifecycle_rule[0].condition.age).toBe(config().observability.lokiRetentionDays + 1);
    const [key] = Object.entries(platform(env).resource!.google_storage_bucket!).find(
      ([, b]) => b === bucket,
    )!;
    const grants = resources(platform(env), 'google_storage_bucket_iam_member').filter(
      (g) => g.bucket === `\${google_storage_bucket.${key}.name}`,
    );
    expect(grants.map((g) => [g.role, g.member.replace(/@.*/, '')])).toEqual([
      ['roles/storage.objectUser', 'serviceAccount:loki-storage'],
    ]);
  });

  it('has a budget, Cloud SQL alerts and an uptime check on the hostname', () => {
    const budget = only(platform(env), 'google_billing_budget');
    expect(budget.amount.specified_amount.units).toBe(String(config().budget.monthlyAmount));
    const alerts = resources(platform(env), 'google_monitoring_alert_policy').map((a) => a.display_name);
    for (const word of ['CPU', 'disk', 'connections', 'Uptime']) expect(alerts.join('\n')).toContain(word);
    const uptime = only(platform(env), 'google_monitoring_uptime_check_config');
    expect(uptime.monitored_resource.labels.host).toBe(config().hostname);
    expect(uptime.http_check).toMatchObject({ path: '/healthz', use_ssl: true, validate_ssl: true });
  });

  it('exports every output the Kubernetes-side stacks read', () => {
    expect(Object.keys(platform(env).output ?? {}).sort()).toEqual(Object.values(PLATFORM_OUTPUTS).sort());
  });
});

describe('pause and hibernate', () => {
  let paused: (env: EnvironmentName) => StackJson;
  let hibernatedStacks: string[];
  beforeAll(() => {
    // One extra synth: dev paused, staging hibernated.
    const { mkdtempSync, rmSync } = jest.requireActual<typeof import('fs')>('fs');
    const { tmpdir } = jest.requireActual<typeof import('os')>('os');
    const dir = mkdtempSync(join(tmpdir(), 'infra-paused-'));
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { synthInfra } = require('../main') as typeof import('../main');
      synthInfra(dir, {
        context: { 'dev.paused': 'true', 'staging.hibernated': 'true' },
        env: {},
        argv: [],
        readContextFiles: false,
      });
      const stacks = Object.fromEntries(
        (['dev', 'staging'] as const).map((e) => [
          e,
          JSON.parse(
            readFileSync(join(dir, 'stacks', stackName.platform(e), 'cdk.tf.json'), 'utf8'),
          ) as StackJson,
        ]),
      );
      paused = (env) => stacks[env]!;
      hibernatedStacks = readdirSync(join(dir, 'stacks'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // What else pause and hibernate may remove, over every stack: infra/test/pause.test.ts.
  it('pause stops Cloud SQL through the activation policy and removes only the Cloud Armor policy here', () => {
    expect(only(paused('dev'), 'google_sql_database_instance').settings.activation_policy).toBe('NEVER');
    expect(Object.keys(paused('dev').resource!).sort()).toEqual(
      Object.keys(platform('dev').resource!)
        .filter((t) => t !== 'google_compute_security_policy' && t !== 'terraform_data')
        .sort(),
    );
  });

  it('hibernate removes only the GKE cluster and the Cloud Armor policy, and keeps the database, backups and buckets', () => {
    const stack = paused('staging');
    expect(resources(stack, 'google_container_cluster')).toEqual([]);
    const sql = only(stack, 'google_sql_database_instance');
    expect(sql.settings.activation_policy).toBe('NEVER');
    expect(sql.settings.backup_configuration.enabled).toBe(true);
    const kept = Object.keys(platform('staging').resource!).filter(
      (t) => !['google_container_cluster', 'google_compute_security_policy', 'terraform_data'].includes(t),
    );
    expect(Object.keys(stack.resource!).sort()).toEqual(kept.sort());
    expect(stack.output?.[PLATFORM_OUTPUTS.clusterEndpoint]).toBeUndefined();
    expect(hibernatedStacks).not.toContain(stackName.cluster('staging'));
    expect(hibernatedStacks).not.toContain(stackName.app('staging'));
    expect(hibernatedStacks).toContain(stackName.cluster('dev'));
  });

  it('keeps what DNS points at (global IP, DNS authorization, certificate map) at the same addresses', () => {
    const edge = (stack: StackJson) =>
      [
        'google_compute_global_address',
        'google_certificate_manager_dns_authorization',
        'google_certificate_manager_certificate',
        'google_certificate_manager_certificate_map',
        'google_certificate_manager_certificate_map_entry',
      ].flatMap((type) => Object.keys(stack.resource?.[type] ?? {}).map((name) => `${type}.${name}`));
    expect(edge(platform('staging')).length).toBeGreaterThanOrEqual(5);
    expect(edge(paused('staging'))).toEqual(edge(platform('staging')));
    expect(edge(paused('dev'))).toEqual(edge(platform('dev')));
    expect(resources(s.stacks[stackName.cluster('dev')]!, 'google_compute_global_address')).toEqual([]);
  });
});

describe('policies in every stack', () => {
  const each = () => Object.entries(s.stacks);

  it('never gives Cloud SQL a public IP and always enforces TLS', () => {
    for (const [, stack] of each()) {
      for (const sql of resources(stack, 'google_sql_database_instance')) {
        expect(sql.settings.ip_configuration.ipv4_enabled).toBe(false);
        expect(sql.settings.ip_configuration.authorized_networks).toBeUndefined();
        expect(sql.settings.ip_configuration.ssl_mode).toBe('ENCRYPTED_ONLY');
      }
    }
  });

  // Terraform stores data sources in state: a provider fed from one (google_client_config's
  // access_token) leaves a live credential in the state bucket after every run.
  it('feeds no provider from a data source, except the cluster endpoint of the platform state', () => {
    const refs: string[] = [];
    for (const [name, stack] of each()) {
      for (const [type, blocks] of Object.entries(stack.provider ?? {})) {
        const text = JSON.stringify(blocks);
        for (const ref of text.match(/\$\{data\.[^}]*\}/g) ?? []) refs.push(`${name} ${type}: ${ref}`);
      }
    }
    const allowed = new RegExp(
      `: \\$\\{data\\.terraform_remote_state\\.[\\w-]+\\.outputs\\.${PLATFORM_OUTPUTS.clusterEndpoint}\\}$`,
    );
    expect(refs.filter((r) => !allowed.test(r))).toEqual([]);
    // The Kubernetes-side stacks exist and do reach the cluster: the filter above is not vacuous.
    expect(refs.length).toBeGreaterThan(0);
    expect(Object.values(s.stacks).flatMap((st) => Object.keys(st.data?.google_client_config ?? {}))).toEqual(
      [],
    );
  });

  it('authenticates Kubernetes and Helm with the GKE exec plugin and no stored credential', () => {
    for (const [name, stack] of each()) {
      const kube = [
        ...(stack.provider?.kubernetes ?? []),
        ...(stack.provider?.helm ?? []).map((h) => h.kubernetes as Block),
      ];
      for (const k of kube) {
        const exec = Array.isArray(k.exec) ? k.exec[0] : k.exec;
        expect([name, exec]).toEqual([
          name,
          {
            api_version: GKE_AUTH_PLUGIN.apiVersion,
            command: GKE_AUTH_PLUGIN.command,
            args: [...GKE_AUTH_PLUGIN.args],
          },
        ]);
        const creds = ['token', 'password', 'client_key', 'client_certificate', 'config_path'];
        expect([name, creds.filter((c) => k[c] !== undefined)]).toEqual([name, []]);
      }
    }
  });

  it('creates no service-account keys and no secret versions', () => {
    for (const [, stack] of each()) {
      expect(resources(stack, 'google_service_account_key')).toEqual([]);
      expect(resources(stack, 'google_secret_manager_secret_version')).toEqual([]);
    }
  });

  it('grants no primitive role and nothing to allUsers/allAuthenticatedUsers', () => {
    for (const [name, stack] of each()) {
      for (const [type, b] of iamResources(stack)) {
        const where = `${name} ${type} ${b.role}`;
        expect([where, (PRIMITIVE_ROLES as readonly string[]).includes(b.role)]).toEqual([where, false]);
        const members: string[] = b.members ?? [b.member];
        expect(members.filter((m) => m === 'allUsers' || m === 'allAuthenticatedUsers')).toEqual([]);
      }
    }
  });

  it('keeps every bucket private with uniform access', () => {
    for (const [, stack] of each()) {
      for (const b of resources(stack, 'google_storage_bucket')) {
        expect([b.name, b.uniform_bucket_level_access, b.public_access_prevention]).toEqual([
          b.name,
          true,
          'enforced',
        ]);
      }
    }
  });

  it('puts every stack but bootstrap on GCS under its own prefix', () => {
    const prefixes = new Map<string, string>();
    for (const [name, stack] of each()) {
      if (name === stackName.bootstrap) {
        expect(Object.keys(stack.terraform.backend ?? {})).toEqual(['local']);
        continue;
      }
      const gcs = stack.terraform.backend?.gcs;
      expect([name, gcs?.bucket]).toEqual([name, s.config.bootstrap.stateBucket]);
      expect(prefixes.has(gcs!.prefix)).toBe(false);
      prefixes.set(gcs!.prefix, name);
      expect(gcs!.prefix).toBe(`stacks/${name}`);
    }
  });

  it('holds no literal secret values', () => {
    for (const [name, text] of Object.entries(s.text)) {
      expect([name, /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)]).toEqual([name, false]);
      expect([name, /"(password|root_password|secret_data|private_key|password_wo)"\s*:/.test(text)]).toEqual(
        [name, false],
      );
    }
  });

  it('imports provider classes by deep path only', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const f of readdirSync(dir)) {
        const p = join(dir, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(join(__dirname, '..'));
    const barrel = /from '@cdktf\/provider-(google|kubernetes|helm)'/;
    expect(files.filter((f) => barrel.test(readFileSync(f, 'utf8')))).toEqual([]);
  });
});

describe('preview-pr-42', () => {
  const preview = () => s.stacks[stackName.preview(42)]!;
  const id = serviceIdentity(42);

  it('holds only the PR-scoped Google resources, and Kubernetes objects only in its namespace', () => {
    const types = Object.keys(preview().resource ?? {});
    expect(types.filter((t) => t.startsWith('google_')).sort()).toEqual([
      'google_project_iam_member',
      'google_secret_manager_secret_iam_member',
      'google_service_account',
      'google_service_account_iam_member',
      'google_sql_database',
      'google_sql_user',
      'google_storage_bucket',
      'google_storage_bucket_iam_member',
    ]);
    expect(types.filter((t) => !t.startsWith('google_') && !t.startsWith('kubernetes_'))).toEqual([]);
    // Besides the grant Job, which runs in the database admin's namespace.
    const grant = resources(preview(), 'kubernetes_manifest').filter(
      (m) => m.manifest.metadata.namespace === DATABASE_ADMIN_IDENTITY.namespace,
    );
    expect(grant.map((m) => `${m.manifest.kind}/${m.manifest.metadata.name}`)).toEqual([
      `Job/grant-${id.databaseName.replace(/_/g, '-')}`,
    ]);
    for (const m of resources(preview(), 'kubernetes_manifest').filter((x) => !grant.includes(x))) {
      const meta = m.manifest.metadata;
      const ns = m.manifest.kind === 'Namespace' ? meta.name : meta.namespace;
      expect([m.manifest.kind, meta.name, ns]).toEqual([m.manifest.kind, meta.name, id.namespace]);
    }
  });

  it('removes everything that connects to the database before dropping it', () => {
    // depends_on edges between resources of the stack, by Terraform address.
    const edges = new Map<string, string[]>();
    for (const [type, blocks] of Object.entries(preview().resource ?? {})) {
      for (const [name, b] of Object.entries(blocks))
        edges.set(`${type}.${name}`, (b.depends_on ?? []) as string[]);
    }
    const reaches = (from: string, target: RegExp, seen = new Set<string>()): boolean =>
      (edges.get(from) ?? []).some(
        (to) => target.test(to) || (!seen.has(to) && (seen.add(to), reaches(to, target, seen))),
      );
    const connectors = [...edges.keys()].filter((a) => {
      const kind = a.startsWith('kubernetes_manifest.')
        ? resources(preview(), 'kubernetes_manifest').find((m) => a.endsWith(`.${m['//'].metadata.uniqueId}`))
            ?.manifest.kind
        : undefined;
      return kind === 'Deployment' || kind === 'Job';
    });
    expect(connectors.length).toBeGreaterThanOrEqual(2);
    for (const a of connectors) expect([a, reaches(a, /^google_sql_database\./)]).toEqual([a, true]);
  });

  it('reads the dev instance from the dev-platform remote state only', () => {
    const remote = Object.values(preview().data?.terraform_remote_state ?? {});
    expect(remote.length).toBeGreaterThan(0);
    for (const r of remote) {
      expect(r).toMatchObject({ backend: 'gcs', config: { prefix: `stacks/${stackName.platform('dev')}` } });
    }
    expect(only(preview(), 'google_sql_database').instance).toContain('data.terraform_remote_state');
  });

  it('names everything after the PR and drops its database on destroy', () => {
    const dev = s.config.environments.dev;
    expect(only(preview(), 'google_service_account').account_id).toBe(id.googleServiceAccountId);
    expect(only(preview(), 'google_sql_database')).toMatchObject({
      name: id.databaseName,
      deletion_policy: 'DELETE',
    });
    expect(only(preview(), 'google_sql_user')).toMatchObject({
      name: iamDatabaseUser(id.googleServiceAccountId, dev.projectId),
      type: 'CLOUD_IAM_SERVICE_ACCOUNT',
      deletion_policy: 'ABANDON',
    });
    const accountGrants = resources(preview(), 'google_service_account_iam_member');
    expect(accountGrants.map((g) => [g.role, g.member]).sort()).toEqual(
      [
        [
          'roles/iam.workloadIdentityUser',
          `serviceAccount:${dev.projectId}.svc.id.goog[pr-42/${id.kubernetesServiceAccount}]`,
        ],
        // Signs its V4 URLs as itself (ADR 0261).
        [
          'roles/iam.serviceAccountTokenCreator',
          `serviceAccount:${googleServiceAccountEmail(id.googleServiceAccountId, dev.projectId)}`,
        ],
      ].sort(),
    );
    // Its own bucket, removed with the preview; its images are test data (ADR 0261).
    expect(only(preview(), 'google_storage_bucket')).toMatchObject({
      name: previewWalkImagesBucketName(dev.projectId, 42),
      force_destroy: true,
      public_access_prevention: 'enforced',
      uniform_bucket_level_access: true,
    });
    expect(only(preview(), 'google_storage_bucket_iam_member')).toMatchObject({
      role: 'roles/storage.objectUser',
      member: `serviceAccount:${googleServiceAccountEmail(id.googleServiceAccountId, dev.projectId)}`,
    });
    for (const grant of resources(preview(), 'google_project_iam_member')) {
      expect(grant.condition.expression).toContain(`instances/${dev.database.instanceName}"`);
    }
    expect(only(preview(), 'google_secret_manager_secret_iam_member').secret_id).toBe(id.signingKeysSecretId);
    expect(id.signingKeysSecretId).not.toBe(SIGNING_KEYS_SECRET_ID);
  });

  it('is not built without a PR number', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildInfra } = require('../main') as typeof import('../main');
    const app = new App({ outdir: 'unused', stackTraces: false });
    buildInfra(app, loadEnvironments());
    const ids = app.node.children.map((c) => c.node.id);
    expect(ids).toContain(stackName.platform('dev'));
    expect(ids.filter((n) => n.startsWith('preview-'))).toEqual([]);
  });
});

describe('bootstrap', () => {
  const boot = () => s.stacks[stackName.bootstrap]!;

  const email = (accountId: string) => googleServiceAccountEmail(accountId, s.config.bootstrap.projectId);
  const grantsOf = (accountId: string) =>
    iamResources(boot()).filter(([, b]) => b.member === `serviceAccount:${email(accountId)}`);
  /** Workload Identity principal sets that may impersonate an account. */
  const principalsOf = (resourceId: string) =>
    resources(boot(), 'google_service_account_iam_member')
      .filter((b) => b.role === 'roles/iam.workloadIdentityUser')
      .filter((b) => String(b.service_account_id).includes(`google_service_account.${resourceId}_gsa`))
      .map((b) => String(b.member).replace(/^.*\/workloadIdentityPools\/github\//, ''));
  const stateConditions = (accountId: string) =>
    resources(boot(), 'google_storage_bucket_iam_member')
      .filter((b) => b.member === `serviceAccount:${email(accountId)}`)
      .map((b) => ({ role: b.role, expression: b.condition?.expression as string | undefined }));
  const bucket = () => s.config.bootstrap.stateBucket;
  const under = (prefixes: string[]) =>
    [
      ...prefixes.map((p) => `resource.name.startsWith("projects/_/buckets/${bucket()}/objects/${p}")`),
      ...prefixes.map(
        (p) => `api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("${p}")`,
      ),
    ].join(' || ');

  it('accepts GitHub tokens of this repository and owner by immutable id, never pull_request_target', () => {
    const provider = only(boot(), 'google_iam_workload_identity_pool_provider');
    expect(provider.attribute_condition).toBe(
      "assertion.repository_id == '0' && assertion.repository_owner_id == '0' && assertion.event_name != 'pull_request_target'",
    );
    expect(provider.oidc.issuer_uri).toBe('https://token.actions.githubusercontent.com');
    expect(provider.attribute_mapping['attribute.environment_ref']).toBe(
      "(has(assertion.environment) ? assertion.environment : '') + '@' + assertion.ref",
    );
  });

  it('binds the trust anchor from context', () => {
    const app = new App({ stackTraces: false });
    const config = loadEnvironments({ githubRepositoryId: '123456', githubRepositoryOwnerId: '7890' });
    const stack = new BootstrapStack(app, 'b', {
      bootstrap: config.bootstrap,
      environments: config.environments,
    });
    expect(stack.federation.providerAttributeCondition).toBe(
      "assertion.repository_id == '123456' && assertion.repository_owner_id == '7890' && assertion.event_name != 'pull_request_target'",
    );
  });

  it('lets any run of the repository plan, a push to main build, and each environment deploy itself', () => {
    expect(principalsOf('plan')).toEqual(['attribute.repository_id/0']);
    expect(principalsOf('build')).toEqual(['attribute.event_ref/push@refs/heads/main']);
    expect(principalsOf('deploy-dev')).toEqual(['attribute.environment_ref/dev@refs/heads/main']);
    expect(principalsOf('deploy-staging')).toEqual(['attribute.environment_ref/staging@refs/heads/main']);
    expect(principalsOf('deploy-prod')).toEqual(['attribute.environment_ref/prod@refs/heads/main']);
    expect(principalsOf('deploy-previews')).toEqual(['attribute.environment_ref/preview@refs/heads/main']);
  });

  it('gives each deploy identity roles on its own project only, and none that reads a secret or acts as any account', () => {
    for (const target of ['dev', 'staging', 'prod', 'previews'] as const) {
      const id = CI_IDENTITIES.deployServiceAccountId(target);
      const project = s.config.environments[target === 'previews' ? 'dev' : target].projectId;
      const projectGrants = grantsOf(id).filter(([t]) => t === 'google_project_iam_member');
      expect(projectGrants.length).toBeGreaterThan(0);
      expect([id, [...new Set(projectGrants.map(([, b]) => b.project))]]).toEqual([id, [project]]);
      const roles = projectGrants.map(([, b]) => b.role as string);
      for (const forbidden of [
        'roles/secretmanager.admin',
        'roles/secretmanager.secretAccessor',
        'roles/iam.serviceAccountUser',
        'roles/iam.serviceAccountTokenCreator',
      ])
        expect([id, roles.includes(forbidden)]).toEqual([id, false]);
      for (const [, b] of projectGrants.filter(([, b]) => b.role === 'roles/resourcemanager.projectIamAdmin'))
        expect(b.condition.expression).toContain("modifiedGrantsByRole', []).hasOnly(");
      // The one secrets role is the custom role without payload access.
      expect(roles.filter((r) => r.includes('google_project_iam_custom_role.'))).toHaveLength(1);
    }
    const custom = resources(boot(), 'google_project_iam_custom_role');
    expect(custom.length).toBeGreaterThan(0);
    for (const role of custom) {
      expect(role.role_id).toBe(SECRETS_MANAGER_ROLE.roleId);
      expect(role.permissions.filter((p: string) => p.startsWith('secretmanager.versions.'))).toEqual([]);
    }
    // actAs only on the Autopilot node account, for the environments that create clusters.
    const actAs = resources(boot(), 'google_service_account_iam_member').filter(
      (b) => b.role === 'roles/iam.serviceAccountUser',
    );
    expect(actAs.map((b) => b.member).sort()).toEqual(
      ENVIRONMENT_NAMES.map((e) => `serviceAccount:${email(CI_IDENTITIES.deployServiceAccountId(e))}`).sort(),
    );
    // The dedicated node account bootstrap creates (GKE_NODE_SERVICE_ACCOUNT_ID), not the default compute one.
    for (const b of actAs)
      expect(b.service_account_id).toMatch(/^\$\{google_service_account\.gke-nodes-[\w-]+\.name\}$/);
  });

  it('denies every CI identity acting on an environment project secret payloads, SA tokens and keys there', () => {
    const policies = resources(boot(), 'google_iam_deny_policy');
    const projects = [...new Set(ENVIRONMENT_NAMES.map((e) => s.config.environments[e].projectId))];
    expect(policies.map((p) => p.parent).sort()).toEqual(
      projects.map((p) => `cloudresourcemanager.googleapis.com%2Fprojects%2F${p}`).sort(),
    );
    for (const policy of policies) {
      const project = decodeURIComponent(policy.parent).split('/').pop()!;
      const rule = policy.rules[0].deny_rule;
      // Every identity with a role on the project is denied there (plan included).
      const actors = iamResources(boot())
        .filter(([t, b]) => t === 'google_project_iam_member' && b.project === project)
        .map(([, b]) => String(b.member).replace(/^serviceAccount:/, ''))
        .filter((m) => m.endsWith(`@${s.config.bootstrap.projectId}.iam.gserviceaccount.com`));
      expect(actors.length).toBeGreaterThan(1);
      expect([...rule.denied_principals].sort()).toEqual(
        [...new Set(actors)]
          .map((m) => `principal://iam.googleapis.com/projects/-/serviceAccounts/${m}`)
          .sort(),
      );
      expect(rule.denied_permissions).toEqual(
        expect.arrayContaining([
          'secretmanager.googleapis.com/versions.access',
          'iam.googleapis.com/serviceAccounts.getAccessToken',
          'iam.googleapis.com/serviceAccounts.signJwt',
          'iam.googleapis.com/serviceAccounts.signBlob',
          'iam.googleapis.com/serviceAccounts.getOpenIdToken',
          'iam.googleapis.com/serviceAccounts.implicitDelegation',
        ]),
      );
      // The v2 form deny policies require (SERVICE_FQDN/resource.verb), never the v1 form.
      for (const p of rule.denied_permissions)
        expect(p).toMatch(/^[a-z]+\.googleapis\.com\/[a-zA-Z]+\.[a-zA-Z]+$/);
      expect(rule.exception_principals ?? []).toEqual([]);
    }
  });

  it('keeps the plan identity read-only, with what a plan with user_project_override needs', () => {
    const grants = grantsOf(CI_IDENTITIES.planServiceAccountId);
    for (const [, b] of grants) {
      const writes = /admin|editor|writer|costsManager|objectUser|creator|user$/i.test(b.role);
      expect([b.role, writes]).toEqual([b.role, false]);
    }
    // Every provider that bills a project (user_project_override) bills one where plan may use services.
    const consumerProjects = grants
      .filter(([, b]) => b.role === 'roles/serviceusage.serviceUsageConsumer')
      .map(([, b]) => b.project);
    const billed = Object.values(s.stacks).flatMap((st) =>
      (st.provider?.google ?? [])
        .filter((g) => g.user_project_override)
        .map((g) => g.billing_project as string),
    );
    expect(billed.length).toBeGreaterThan(0);
    for (const p of billed) expect(consumerProjects).toContain(p);
  });

  it('limits every identity to the state prefixes it needs', () => {
    const envPrefixes = (e: string) => [`stacks/${e}-platform/`, `stacks/${e}-cluster/`, `stacks/${e}-app/`];
    expect(stateConditions(CI_IDENTITIES.planServiceAccountId)).toEqual([
      {
        role: 'roles/storage.objectViewer',
        expression: under(['stacks/bootstrap/', ...ENVIRONMENT_NAMES.flatMap(envPrefixes)]),
      },
    ]);
    for (const e of ENVIRONMENT_NAMES)
      expect(stateConditions(CI_IDENTITIES.deployServiceAccountId(e))).toEqual([
        { role: 'roles/storage.objectUser', expression: under(envPrefixes(e)) },
      ]);
    expect(stateConditions(CI_IDENTITIES.deployServiceAccountId('previews'))).toEqual([
      { role: 'roles/storage.objectViewer', expression: under(['stacks/dev-platform/']) },
      { role: 'roles/storage.objectUser', expression: under(['stacks/preview-pr-']) },
    ]);
    expect(stateConditions(CI_IDENTITIES.buildServiceAccountId)).toEqual([]);
    // Every grant on the state bucket is conditioned: no identity reads another's state.
    for (const b of resources(boot(), 'google_storage_bucket_iam_member')) expect(b.condition).toBeDefined();
  });

  it('lets only the main build write release images and keeps preview images away from staging and prod', () => {
    const repoGrants = (repositoryId: string) =>
      resources(boot(), 'google_artifact_registry_repository_iam_member').filter((b) =>
        String(b.repository).includes(`google_artifact_registry_repository.${repositoryId}_repository`),
      );
    const writers = (id: string) =>
      repoGrants(id)
        .filter((b) => b.role === 'roles/artifactregistry.writer')
        .map((b) => b.member);
    expect(writers('registry')).toEqual([`serviceAccount:${email(CI_IDENTITIES.buildServiceAccountId)}`]);
    expect(writers('preview-registry')).toEqual([
      `serviceAccount:${email(CI_IDENTITIES.deployServiceAccountId('previews'))}`,
    ]);
    const previewReaders = repoGrants('preview-registry').filter(
      (b) => b.role === 'roles/artifactregistry.reader',
    );
    expect(previewReaders).toHaveLength(1);
    expect(previewReaders[0]!.member).toContain(
      `google_service_account.gke-nodes-${s.config.environments.dev.projectId}.email`,
    );
  });

  it('has a versioned state bucket and an immutable, self-cleaning registry', () => {
    const state = resources(boot(), 'google_storage_bucket').find(
      (b) => b.name === s.config.bootstrap.stateBucket,
    )!;
    expect(state.versioning.enabled).toBe(true);
    const repos = resources(boot(), 'google_artifact_registry_repository');
    expect(repos.map((r) => r.repository_id).sort()).toEqual([
      ARTIFACT_REPOSITORY_ID,
      PREVIEW_ARTIFACT_REPOSITORY_ID,
    ]);
    for (const repo of repos) {
      expect(repo.docker_config.immutable_tags).toBe(true);
      expect(repo.cleanup_policies.map((p: Block) => p.action).sort()).toEqual(['DELETE', 'KEEP']);
    }
  });

  it('outputs what the GitHub setup needs', () => {
    expect(Object.keys(boot().output ?? {}).sort()).toEqual([
      'artifact_registry_repository',
      'build_service_account',
      'deploy_dev_service_account',
      'deploy_previews_service_account',
      'deploy_prod_service_account',
      'deploy_staging_service_account',
      'plan_service_account',
      'preview_artifact_registry_repository',
      'state_bucket',
      'workload_identity_provider',
    ]);
  });
});
