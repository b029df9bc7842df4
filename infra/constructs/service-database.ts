import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { SqlDatabase } from '@cdktf/provider-google/lib/sql-database';
import { SqlUser } from '@cdktf/provider-google/lib/sql-user';

export interface ServiceDatabaseProps {
  readonly projectId: string;
  /** Cloud SQL instance name. */
  readonly instanceName: string;
  readonly databaseName: string;
  /**
   * IAM database user of the service account that logs in:
   * names.iamDatabaseUser(accountId, projectId), i.e. its email without
   * `.gserviceaccount.com`.
   */
  readonly iamUserName: string;
  /**
   * @default none — what creates the service account behind `iamUserName`
   * (Cloud SQL rejects an IAM user whose account does not exist yet).
   */
  readonly iamUserDependsOn?: ITerraformDependable[];
  /**
   * @default 'ABANDON' — on destroy Terraform forgets the user instead of
   * dropping it (a role that owns objects cannot be dropped, and a failed drop
   * would block the destroy). See docs/deploy.md for removing it.
   */
  readonly userDeletionPolicy?: 'ABANDON';
  /**
   * @default 'ABANDON' in long-lived environments. 'DELETE' drops the
   * database with every object in it on destroy (previews).
   */
  readonly databaseDeletionPolicy?: 'ABANDON' | 'DELETE';
}

/**
 * A database on an existing instance and the IAM database user of the
 * service account that owns it (`CLOUD_IAM_SERVICE_ACCOUNT`: no password
 * exists anywhere).
 */
export class ServiceDatabase extends Construct {
  readonly database: SqlDatabase;
  readonly user: SqlUser;
  readonly databaseName: string;
  /** PostgreSQL user name: the service account email without `.gserviceaccount.com`. */
  readonly databaseUserName: string;

  constructor(scope: Construct, id: string, props: ServiceDatabaseProps) {
    super(scope, id);
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(props.databaseName)) {
      throw new Error(
        `ServiceDatabase ${id}: databaseName must be a lowercase PostgreSQL identifier, got "${props.databaseName}"`,
      );
    }
    if (!/^[a-z][-a-z0-9]{4,28}[a-z0-9]@[a-z][-a-z0-9]{4,28}[a-z0-9]\.iam$/.test(props.iamUserName)) {
      throw new Error(
        `ServiceDatabase ${id}: iamUserName must be <account>@<project>.iam, got "${props.iamUserName}"`,
      );
    }
    this.database = new SqlDatabase(this, 'database', {
      project: props.projectId,
      instance: props.instanceName,
      name: props.databaseName,
      charset: 'UTF8',
      collation: 'en_US.UTF8',
      deletionPolicy: props.databaseDeletionPolicy ?? 'ABANDON',
    });
    this.databaseName = this.database.name;
    this.databaseUserName = props.iamUserName;
    this.user = createIamDatabaseUser(this, 'iam-user', {
      projectId: props.projectId,
      instanceName: props.instanceName,
      userName: this.databaseUserName,
      deletionPolicy: props.userDeletionPolicy ?? 'ABANDON',
      dependsOn: props.iamUserDependsOn,
    });
  }
}

export interface IamDatabaseUserProps {
  readonly projectId: string;
  /** Cloud SQL instance name. */
  readonly instanceName: string;
  /** names.iamDatabaseUser(accountId, projectId): the account's email without `.gserviceaccount.com`. */
  readonly userName: string;
  /**
   * @default Terraform drops the user on destroy. 'ABANDON' forgets it instead
   * (a role that owns objects cannot be dropped; docs/deploy.md removes it).
   */
  readonly deletionPolicy?: 'ABANDON';
  /** @default none — what creates the service account (Cloud SQL rejects a user whose account does not exist). */
  readonly dependsOn?: ITerraformDependable[];
}

/** The IAM database user of a service account (`CLOUD_IAM_SERVICE_ACCOUNT`: no password exists anywhere). */
export function createIamDatabaseUser(scope: Construct, id: string, props: IamDatabaseUserProps): SqlUser {
  return new SqlUser(scope, id, {
    project: props.projectId,
    instance: props.instanceName,
    name: props.userName,
    type: 'CLOUD_IAM_SERVICE_ACCOUNT',
    deletionPolicy: props.deletionPolicy,
    dependsOn: props.dependsOn,
  });
}
