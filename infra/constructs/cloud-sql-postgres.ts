import { Construct } from 'constructs';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { SqlDatabaseInstance } from '@cdktf/provider-google/lib/sql-database-instance';
import { ITerraformDependable } from 'cdktf';
import { safeGrant, IPrincipal } from './principal';

export interface CloudSqlPostgresProps {
  readonly projectId: string;
  readonly region: string;
  readonly instanceName: string;
  /** Network id the private IP lives in (Private Service Access must exist). */
  readonly network: string;
  /** Name of the Private Service Access range to allocate from. */
  readonly allocatedIpRange: string;
  /** The peering the instance needs first. */
  readonly dependsOn?: ITerraformDependable[];
  /** @default 'POSTGRES_17' */
  readonly databaseVersion?: string;
  /** @default 'ENTERPRISE' — set explicitly: PostgreSQL 16+ otherwise defaults to ENTERPRISE_PLUS. */
  readonly edition?: 'ENTERPRISE' | 'ENTERPRISE_PLUS';
  /** @default 'db-custom-1-3840' */
  readonly tier?: string;
  /** @default 'REGIONAL' — highly available (a standby in a second zone). */
  readonly availabilityType?: 'ZONAL' | 'REGIONAL';
  /** @default 10 */
  readonly diskSizeGb?: number;
  /** @default 100 — upper bound for automatic storage increase. */
  readonly diskAutoresizeLimitGb?: number;
  /** @default 16 — UTC hour automated backups start. */
  readonly backupStartHourUtc?: number;
  /** @default 30 */
  readonly backupRetentionCount?: number;
  /** @default true */
  readonly pointInTimeRecovery?: boolean;
  /** @default 7 */
  readonly transactionLogRetentionDays?: number;
  /** @default true — Terraform-side guard. */
  readonly terraformDeletionProtection?: boolean;
  /** @default true — API-side guard (nobody can delete the instance). */
  readonly instanceDeletionProtection?: boolean;
  /** @default 7 (Sunday) — weekly maintenance day, 1 = Monday. */
  readonly maintenanceDay?: number;
  /** @default 18 — UTC hour of weekly maintenance. */
  readonly maintenanceHourUtc?: number;
  /**
   * @default none — dates (yyyy-mm-dd) and UTC time between which Cloud SQL
   * starts no maintenance, e.g. a year-end freeze.
   */
  readonly denyMaintenancePeriod?: {
    readonly startDate: string;
    readonly endDate: string;
    readonly time: string;
  };
  /** @default 100 — PostgreSQL max_connections. */
  readonly maxConnections?: number;
  /** @default false — paused: activation policy NEVER (instance stopped, storage kept and billed). */
  readonly stopped?: boolean;
}

/**
 * Cloud SQL for PostgreSQL reachable only on a private IP, TLS required for
 * direct connections (the Auth Proxy always encrypts), IAM database
 * authentication on, Query Insights, automated backups and the deletion
 * guards. Databases and users are added by their own constructs.
 */
export class CloudSqlPostgres extends Construct {
  readonly instance: SqlDatabaseInstance;
  readonly instanceName: string;
  /** `project:region:instance`, what the Auth Proxy dials. */
  readonly instanceConnectionName: string;
  readonly instancePrivateIp: string;
  readonly instanceProjectId: string;
  /** The configured name (literal, so IAM conditions read plainly in a plan). */
  private readonly configuredName: string;

  constructor(scope: Construct, id: string, props: CloudSqlPostgresProps) {
    super(scope, id);
    const tier = props.tier ?? 'db-custom-1-3840';
    const availabilityType = props.availabilityType ?? 'REGIONAL';
    if (/^db-(f1-micro|g1-small)$/.test(tier) && availabilityType === 'REGIONAL') {
      throw new Error(
        `CloudSqlPostgres ${id}: tier ${tier} is shared-core and cannot be REGIONAL; use db-custom-<vCPU>-<MiB>`,
      );
    }
    const version = props.databaseVersion ?? 'POSTGRES_17';
    if (!/^POSTGRES_\d+$/.test(version)) {
      throw new Error(`CloudSqlPostgres ${id}: databaseVersion must be POSTGRES_<major>, got "${version}"`);
    }
    const pitr = props.pointInTimeRecovery ?? true;
    this.instanceProjectId = props.projectId;
    this.configuredName = props.instanceName;
    this.instance = new SqlDatabaseInstance(this, 'instance', {
      project: props.projectId,
      region: props.region,
      name: props.instanceName,
      databaseVersion: version,
      deletionProtection: props.terraformDeletionProtection ?? true,
      dependsOn: props.dependsOn,
      settings: {
        edition: props.edition ?? 'ENTERPRISE',
        tier,
        availabilityType,
        activationPolicy: props.stopped ? 'NEVER' : 'ALWAYS',
        deletionProtectionEnabled: props.instanceDeletionProtection ?? true,
        diskType: 'PD_SSD',
        diskSize: props.diskSizeGb ?? 10,
        diskAutoresize: true,
        diskAutoresizeLimit: props.diskAutoresizeLimitGb ?? 100,
        ipConfiguration: {
          ipv4Enabled: false,
          privateNetwork: props.network,
          allocatedIpRange: props.allocatedIpRange,
          sslMode: 'ENCRYPTED_ONLY',
          enablePrivatePathForGoogleCloudServices: false,
        },
        backupConfiguration: {
          enabled: true,
          startTime: `${String(props.backupStartHourUtc ?? 16).padStart(2, '0')}:00`,
          location: props.region,
          pointInTimeRecoveryEnabled: pitr,
          transactionLogRetentionDays: props.transactionLogRetentionDays ?? 7,
          backupRetentionSettings: {
            retainedBackups: props.backupRetentionCount ?? 30,
            retentionUnit: 'COUNT',
          },
        },
        retainBackupsOnDelete: true,
        insightsConfig: {
          queryInsightsEnabled: true,
          queryStringLength: 1024,
          recordApplicationTags: true,
          recordClientAddress: false,
          queryPlansPerMinute: 5,
        },
        maintenanceWindow: {
          day: props.maintenanceDay ?? 7,
          hour: props.maintenanceHourUtc ?? 18,
          updateTrack: 'stable',
        },
        ...(props.denyMaintenancePeriod ? { denyMaintenancePeriod: { ...props.denyMaintenancePeriod } } : {}),
        databaseFlags: [
          { name: 'cloudsql.iam_authentication', value: 'on' },
          { name: 'max_connections', value: String(props.maxConnections ?? 100) },
          { name: 'log_min_duration_statement', value: '1000' },
          { name: 'log_lock_waits', value: 'on' },
        ],
        userLabels: { service: 'walk-service' },
      },
    });
    this.instanceName = this.instance.name;
    this.instanceConnectionName = this.instance.connectionName;
    this.instancePrivateIp = this.instance.privateIpAddress;
  }

  /**
   * Lets `grantee` open connections through the Auth Proxy and log in as an
   * IAM database user: Cloud SQL Client + Instance User, both conditioned on
   * this instance.
   */
  grantConnect(grantee: IPrincipal, idPrefix = 'connect'): ProjectIamMember[] {
    return grantInstanceConnect(this, idPrefix, this.instanceProjectId, this.configuredName, grantee);
  }
}

/** Cloud SQL Client + Instance User on one instance (IAM condition on its resource name). */
export function grantInstanceConnect(
  scope: Construct,
  idPrefix: string,
  projectId: string,
  instanceName: string,
  grantee: IPrincipal,
): ProjectIamMember[] {
  return ['roles/cloudsql.client', 'roles/cloudsql.instanceUser'].map((role) => {
    return new ProjectIamMember(scope, `${idPrefix}-${role.split('.')[1]}`, {
      project: projectId,
      ...safeGrant(role, grantee),
      condition: {
        title: 'only this instance',
        expression: `resource.name == "projects/${projectId}/instances/${instanceName}" && resource.service == "sqladmin.googleapis.com"`,
      },
    });
  });
}
