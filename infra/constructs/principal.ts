import { ITerraformDependable, TerraformProvider } from 'cdktf';
import { Construct } from 'constructs';
import { BillingAccountIamMember } from '@cdktf/provider-google/lib/billing-account-iam-member';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';

/**
 * Something IAM can grant a role to. Constructs take a principal in their
 * `grantX` methods so callers never build member strings by hand.
 */
export interface IPrincipal {
  /** IAM member, e.g. `serviceAccount:walk-service@p.iam.gserviceaccount.com`. */
  readonly principalMember: string;
  /**
   * @default none — what must exist before anything is granted to this
   * principal (its `google_service_account`): IAM rejects a member that does
   * not exist yet, so every grant depends on it.
   */
  readonly principalDependsOn?: ITerraformDependable[];
}

/** Roles that must never be granted: primitive roles give every permission of a product family. */
export const PRIMITIVE_ROLES = ['roles/owner', 'roles/editor', 'roles/viewer'] as const;

/** Members that would make a resource public. */
export const PUBLIC_MEMBERS = ['allUsers', 'allAuthenticatedUsers'] as const;

/** Throws when a grant would be primitive or public; every construct calls it before binding. */
export function assertSafeGrant(role: string, member: string): void {
  if ((PRIMITIVE_ROLES as readonly string[]).includes(role)) {
    throw new Error(`refusing to grant primitive role ${role} to ${member}: use a predefined role`);
  }
  if ((PUBLIC_MEMBERS as readonly string[]).includes(member)) {
    throw new Error(`refusing to grant ${role} to ${member}: resources stay private`);
  }
}

/**
 * The fields every IAM member resource takes for `grantee`, after the
 * safety check: no primitive role, no public member; created after the
 * grantee exists.
 */
export function safeGrant(
  role: string,
  grantee: IPrincipal,
): { role: string; member: string; dependsOn: ITerraformDependable[] | undefined } {
  assertSafeGrant(role, grantee.principalMember);
  return { role, member: grantee.principalMember, dependsOn: grantee.principalDependsOn };
}

/**
 * A principal from a member string (e.g. a service account read from remote
 * state); `dependsOn` is what creates it in this stack, if anything.
 */
export function principal(member: string, dependsOn?: ITerraformDependable[]): IPrincipal {
  return { principalMember: member, principalDependsOn: dependsOn };
}

export interface ProjectRoleGrantProps {
  readonly projectId: string;
  /** A predefined or custom role; never a primitive one. */
  readonly role: string;
  readonly grantee: IPrincipal;
  /** @default the stack's default Google provider */
  readonly provider?: TerraformProvider;
}

/** Grants `role` on a whole project to `grantee` (after the grantee exists). */
export function grantProjectRole(
  scope: Construct,
  id: string,
  props: ProjectRoleGrantProps,
): ProjectIamMember {
  return new ProjectIamMember(scope, id, {
    provider: props.provider,
    project: props.projectId,
    ...safeGrant(props.role, props.grantee),
  });
}

export interface BillingAccountRoleGrantProps {
  /** `XXXXXX-XXXXXX-XXXXXX`. */
  readonly billingAccountId: string;
  readonly role: string;
  readonly grantee: IPrincipal;
}

/** Grants `role` on a billing account (budgets live there, not in a project). */
export function grantBillingAccountRole(
  scope: Construct,
  id: string,
  props: BillingAccountRoleGrantProps,
): BillingAccountIamMember {
  return new BillingAccountIamMember(scope, id, {
    billingAccountId: props.billingAccountId,
    ...safeGrant(props.role, props.grantee),
  });
}
