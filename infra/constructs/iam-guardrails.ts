import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { IamDenyPolicy } from '@cdktf/provider-google/lib/iam-deny-policy';
import { ProjectIamCustomRole } from '@cdktf/provider-google/lib/project-iam-custom-role';
import { IPrincipal } from './principal';

/** A service account as a deny policy names it (https://cloud.google.com/iam/docs/principal-identifiers). */
export function denyPrincipal(serviceAccountEmail: string): string {
  return `principal://iam.googleapis.com/projects/-/serviceAccounts/${serviceAccountEmail}`;
}

export interface CustomProjectRoleProps {
  readonly projectId: string;
  /** camelCase, unique in the project. */
  readonly roleId: string;
  readonly title: string;
  readonly permissions: readonly string[];
}

/** A project-level custom role holding exactly `permissions`; returns its name (`projects/<p>/roles/<id>`). */
export function customProjectRole(scope: Construct, id: string, props: CustomProjectRoleProps): string {
  return new ProjectIamCustomRole(scope, id, {
    project: props.projectId,
    roleId: props.roleId,
    title: props.title,
    permissions: [...props.permissions],
  }).name;
}

/** A service account a deny policy can name. */
export interface DeniableServiceAccount extends IPrincipal {
  readonly serviceAccountEmail: string;
}

export interface ProjectDenyPolicyProps {
  readonly projectId: string;
  /** Policy id, unique on the project. */
  readonly name: string;
  readonly displayName: string;
  /** What the one rule is for. */
  readonly description: string;
  readonly deniedServiceAccounts: readonly DeniableServiceAccount[];
  /** `SERVICE_FQDN/resource.verb`, only permissions Google lists (https://cloud.google.com/iam/docs/deny-permissions-support). */
  readonly deniedPermissions: readonly string[];
  /** @default the denied accounts — plus what must exist first (the project's IAM API). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * A deny policy on a project: the denied service accounts cannot use the
 * denied permissions whatever roles they hold, since a deny rule outranks
 * every allow (https://cloud.google.com/iam/docs/deny-overview). Creating
 * one needs roles/iam.denyAdmin.
 */
export function denyProjectPermissions(
  scope: Construct,
  id: string,
  props: ProjectDenyPolicyProps,
): IamDenyPolicy {
  return new IamDenyPolicy(scope, id, {
    parent: encodeURIComponent(`cloudresourcemanager.googleapis.com/projects/${props.projectId}`),
    name: props.name,
    displayName: props.displayName,
    rules: [
      {
        description: props.description,
        denyRule: {
          deniedPrincipals: props.deniedServiceAccounts.map((a) => denyPrincipal(a.serviceAccountEmail)),
          deniedPermissions: [...props.deniedPermissions],
        },
      },
    ],
    dependsOn: [
      ...(props.dependsOn ?? []),
      ...props.deniedServiceAccounts.flatMap((a) => a.principalDependsOn ?? []),
    ],
  });
}
