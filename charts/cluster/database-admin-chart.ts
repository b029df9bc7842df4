import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { DATABASE_ADMIN_IDENTITY, googleServiceAccountEmail } from '../../config/names';

export interface DatabaseAdminChartProps {
  /** Project of the environment (its `db-admin` Google service account). */
  readonly projectId: string;
}

/**
 * Where grant Jobs run: namespace `db-admin` (restricted Pod Security) with
 * the one Kubernetes service account bound to the environment's database
 * admin through Workload Identity. Nothing else runs there.
 */
export class DatabaseAdminChart extends Chart {
  constructor(scope: Construct, id: string, props: DatabaseAdminChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const a = DATABASE_ADMIN_IDENTITY;
    new kplus.Namespace(this, 'namespace', {
      metadata: {
        name: a.namespace,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    });
    new kplus.ServiceAccount(this, 'service-account', {
      metadata: {
        name: a.kubernetesServiceAccount,
        namespace: a.namespace,
        annotations: {
          'iam.gke.io/gcp-service-account': googleServiceAccountEmail(
            a.googleServiceAccountId,
            props.projectId,
          ),
        },
      },
      automountToken: false,
    });
  }
}
