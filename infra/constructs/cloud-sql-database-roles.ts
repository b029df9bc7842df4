import { DataResource } from 'cdktf';
import { Construct } from 'constructs';

export interface CloudSqlDatabaseRolesProps {
  readonly projectId: string;
  readonly instanceName: string;
  /** The Cloud SQL user's name (an IAM service account user: `<account>@<project>.iam`). */
  readonly userName: string;
  /** Replaces the grant when it changes (the user resource's id): it runs again for a new user. */
  readonly userId: string;
  readonly roles: readonly string[];
}

/** Single-quoted for the shell; Terraform interpolates `${…}` before the shell sees it. */
const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Database roles of a Cloud SQL user, granted through the Admin API on the
 * applying machine (`gcloud sql users assign-roles`, GA:
 * https://cloud.google.com/sdk/gcloud/reference/sql/users/assign-roles).
 * Google provider 6.x has no `database_roles` on `google_sql_user`, and a
 * password-based session would put a credential in state; this puts only the
 * command there. Roles already held are kept.
 */
export class CloudSqlDatabaseRoles extends Construct {
  readonly grant: DataResource;

  constructor(scope: Construct, id: string, props: CloudSqlDatabaseRolesProps) {
    super(scope, id);
    if (props.roles.length === 0) throw new Error(`CloudSqlDatabaseRoles ${id}: no role to grant`);
    const command = [
      'gcloud',
      'sql',
      'users',
      'assign-roles',
      props.userName,
      `--instance=${props.instanceName}`,
      `--project=${props.projectId}`,
      '--type=CLOUD_IAM_SERVICE_ACCOUNT',
      `--database-roles=${props.roles.join(',')}`,
      '--quiet',
    ];
    this.grant = new DataResource(this, 'grant', {
      triggersReplace: { user: props.userId, roles: props.roles.join(',') },
      provisioners: [{ type: 'local-exec', command: command.map(quote).join(' ') }],
    });
  }
}
