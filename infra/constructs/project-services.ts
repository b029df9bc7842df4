import { Construct } from 'constructs';
import { ProjectService } from '@cdktf/provider-google/lib/project-service';

export interface ProjectServicesProps {
  readonly projectId: string;
  /** API service names, e.g. `container.googleapis.com`. */
  readonly services: readonly string[];
}

/**
 * Enables Google APIs on a project. They stay enabled on destroy: turning an
 * API off can delete resources other stacks still own.
 */
export class ProjectServices extends Construct {
  readonly services: Readonly<Record<string, ProjectService>>;

  constructor(scope: Construct, id: string, props: ProjectServicesProps) {
    super(scope, id);
    const services: Record<string, ProjectService> = {};
    for (const service of props.services) {
      if (!/^[a-z0-9.-]+\.googleapis\.com$/.test(service)) {
        throw new Error(
          `ProjectServices ${id}: "${service}" is not an API service name like container.googleapis.com`,
        );
      }
      if (services[service]) throw new Error(`ProjectServices ${id}: ${service} listed twice`);
      services[service] = new ProjectService(this, service.split('.')[0]!, {
        project: props.projectId,
        service,
        disableOnDestroy: false,
        disableDependentServices: false,
      });
    }
    this.services = services;
  }
}
