import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { SERVICE_NAME } from '../../config/names';
import { COMPONENT } from '../lib/labels';
import { FINISHED_JOB_TTL_SECONDS } from './database-grant-chart';
import { WalkServiceProps, validateWalkServiceProps } from './props';
import { serviceJob } from './service-job';
import { workerIdentity } from './share-image-worker';
import { databaseUrl } from './workload';

/**
 * The most a migrations run may take (Kubernetes fails the Job after it);
 * Terraform waits MIGRATIONS_TERRAFORM_MARGIN_SECONDS longer, so it always
 * sees the Job's end instead of abandoning a run that is still going.
 */
export const MIGRATIONS_DEADLINE_SECONDS = 600;
export const MIGRATIONS_TERRAFORM_MARGIN_SECONDS = 300;

/** Job name changes with the image, so each release runs its migrations once. */
export function migrationsJobName(imageDigest: string): string {
  return `${SERVICE_NAME}-migrate-${imageDigest.replace(/^sha256:/, '').slice(0, 12)}`;
}

/**
 * The migrations Job: same image and identity as the service (Workload
 * Identity, IAM database login through the Auth Proxy sidecar), run before the
 * rollout. Migrations are forward-only and backward compatible with the
 * release still serving, which is what lets a canary run old and new together.
 */
export class MigrationsChart extends Chart {
  readonly job: kplus.Job;

  constructor(scope: Construct, id: string, props: WalkServiceProps) {
    super(scope, id, {
      namespace: props.identity.namespace,
      labels: { ...props.extraLabels },
      disableResourceNameHashes: true,
    });
    validateWalkServiceProps(props);
    const worker = props.shareImageWorker && workerIdentity(props, props.shareImageWorker);
    this.job = serviceJob(this, props, {
      name: migrationsJobName(props.imageDigest),
      component: COMPONENT.migrations,
      containerName: 'migrate',
      kubernetesServiceAccount: props.identity.kubernetesServiceAccount,
      args: ['dist/app/db/migrate-cli.js'],
      env: {
        APP_ENV: props.appEnv,
        DATABASE_URL: databaseUrl(props),
        LOG_LEVEL: props.logLevel ?? 'info',
        // The worker's own database user gets its table rights after each migration (contract, ADR 0261).
        ...(worker?.ownIdentity ? { WORKER_DATABASE_USER: worker.databaseUser } : {}),
      },
      activeDeadlineMinutes: MIGRATIONS_DEADLINE_SECONDS / 60,
      ttlAfterFinishedSeconds: FINISHED_JOB_TTL_SECONDS,
    });
  }
}
