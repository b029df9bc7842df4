import { ITerraformDependable, Token } from 'cdktf';
import { Construct } from 'constructs';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { googleServiceAccountEmail } from '../../config/names';
import { assertSafeGrant, IPrincipal } from './principal';

export interface RoleGrant {
  readonly role: string;
  /** @default unconditional */
  readonly condition?: { readonly title: string; readonly expression: string };
  /** @default derived from `role` — required when `role` is a reference (a custom role's name). */
  readonly key?: string;
}

export interface DeployerServiceAccountProps {
  /** Project the account lives in. */
  readonly projectId: string;
  readonly accountId: string;
  readonly description: string;
  /** Predefined roles per project id the account deploys to. */
  readonly projectRoles: Readonly<Record<string, readonly (string | RoleGrant)[]>>;
  /** @default none — what must exist first (the IAM API's google_project_service). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * A CI deployer identity: a service account without keys (reached only
 * through Workload Identity Federation) holding predefined roles on the
 * projects it deploys, never primitive ones.
 */
export class DeployerServiceAccount extends Construct implements IPrincipal {
  readonly serviceAccount: ServiceAccount;
  readonly serviceAccountEmail: string;
  /** `projects/<p>/serviceAccounts/<email>` for IAM bindings on the account. */
  readonly serviceAccountName: string;
  readonly principalMember: string;
  readonly principalDependsOn: ITerraformDependable[];
  readonly grants: readonly ProjectIamMember[];

  constructor(scope: Construct, id: string, props: DeployerServiceAccountProps) {
    super(scope, id);
    this.serviceAccount = new ServiceAccount(this, 'gsa', {
      project: props.projectId,
      accountId: props.accountId,
      displayName: props.accountId,
      description: props.description,
      dependsOn: props.dependsOn,
    });
    this.serviceAccountEmail = googleServiceAccountEmail(props.accountId, props.projectId);
    this.serviceAccountName = this.serviceAccount.name;
    this.principalMember = `serviceAccount:${this.serviceAccountEmail}`;
    this.principalDependsOn = [this.serviceAccount];
    const grants: ProjectIamMember[] = [];
    for (const [project, roles] of Object.entries(props.projectRoles)) {
      for (const entry of roles) {
        const grant: RoleGrant = typeof entry === 'string' ? { role: entry } : entry;
        if (grant.key === undefined && Token.isUnresolved(grant.role))
          throw new Error(`DeployerServiceAccount ${id}: give a key for the role reference ${grant.role}`);
        assertSafeGrant(grant.role, this.principalMember);
        grants.push(
          new ProjectIamMember(
            this,
            `${project}-${grant.key ?? grant.role.replace(/^roles\//, '').replace(/\./g, '-')}`,
            {
              project,
              role: grant.role,
              member: this.principalMember,
              condition: grant.condition ? { ...grant.condition } : undefined,
              dependsOn: this.principalDependsOn,
            },
          ),
        );
      }
    }
    this.grants = grants;
  }
}
