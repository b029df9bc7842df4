import { Construct } from 'constructs';
import { DataGoogleProject } from '@cdktf/provider-google/lib/data-google-project';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';

export interface GoogleProviderProps {
  /** Project resources go to unless they name their own. */
  readonly projectId: string;
  readonly region: string;
  /**
   * @default false — when true, `projectId` is the quota and billing project
   * of every call (`user_project_override` + `billing_project`): the Budgets
   * and Billing APIs reject calls without one
   * (https://registry.terraform.io/providers/hashicorp/google/latest/docs/guides/provider_reference#user_project_override).
   */
  readonly billCallsToProject?: boolean;
  /** @default none — labels on every resource that takes labels. */
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

/** The Google provider of a stack; the id is its construct id (`google` by convention). */
export function googleProvider(scope: Construct, id: string, props: GoogleProviderProps): GoogleProvider {
  const billing = props.billCallsToProject
    ? { userProjectOverride: true, billingProject: props.projectId }
    : {};
  return new GoogleProvider(scope, id, {
    project: props.projectId,
    region: props.region,
    ...billing,
    ...(props.defaultLabels ? { defaultLabels: { ...props.defaultLabels } } : {}),
  });
}

/** The project's number (budgets and workload identity pools name projects by number), read at plan time. */
export function projectNumber(scope: Construct, id: string, projectId: string): string {
  return new DataGoogleProject(scope, id, { projectId }).number;
}
