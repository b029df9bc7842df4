import { ITerraformDependable } from 'cdktf';

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
 * A principal from a member string (e.g. a service account read from remote
 * state); `dependsOn` is what creates it in this stack, if anything.
 */
export function principal(member: string, dependsOn?: ITerraformDependable[]): IPrincipal {
  return { principalMember: member, principalDependsOn: dependsOn };
}
