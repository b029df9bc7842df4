import { ApiObject, Chart, JsonPatch, Size, Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-31';
import { Construct } from 'constructs';
import { SERVICE_NAME } from '../../infra/config/names';
import { COMPONENT, LABEL, PART_OF } from '../lib/labels';
import { cloudSqlProxySidecar } from './cloud-sql-proxy';
import { FINISHED_JOB_TTL_SECONDS } from './database-grant-chart';
import { WalkServiceProps, validateWalkServiceProps } from './props';
import {
  CDK8S_ADDRESS_LABEL,
  SERVICE_UID,
  databaseUrl,
  imageReference,
  restrictedSecurityContext,
} from './workload';

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
    const serviceAccount = kplus.ServiceAccount.fromServiceAccountName(
      this,
      'service-account',
      props.identity.kubernetesServiceAccount,
    );
    this.job = new kplus.Job(this, 'job', {
      metadata: { name: migrationsJobName(props.imageDigest) },
      backoffLimit: 2,
      activeDeadline: Duration.seconds(MIGRATIONS_DEADLINE_SECONDS),
      ttlAfterFinished: Duration.seconds(FINISHED_JOB_TTL_SECONDS),
      serviceAccount,
      automountServiceAccountToken: false,
      restartPolicy: kplus.RestartPolicy.NEVER,
      securityContext: { ensureNonRoot: true, user: SERVICE_UID, group: SERVICE_UID, fsGroup: SERVICE_UID },
      podMetadata: {
        labels: {
          [LABEL.name]: SERVICE_NAME,
          [LABEL.component]: COMPONENT.migrations,
          [LABEL.partOf]: PART_OF,
        },
      },
      initContainers: [cloudSqlProxySidecar(props.cloudSqlInstanceConnectionName)],
      containers: [
        {
          name: 'migrate',
          image: imageReference(props),
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: ['dist/app/db/migrate-cli.js'],
          envVariables: {
            APP_ENV: kplus.EnvValue.fromValue(props.appEnv),
            DATABASE_URL: kplus.EnvValue.fromValue(databaseUrl(props)),
            LOG_LEVEL: kplus.EnvValue.fromValue(props.logLevel ?? 'info'),
          },
          resources: {
            cpu: { request: kplus.Cpu.millis(250) },
            memory: { request: Size.mebibytes(256), limit: Size.mebibytes(256) },
          },
          securityContext: restrictedSecurityContext(SERVICE_UID),
        },
      ],
    });
    // A one-shot Job needs no variables for every Service in the namespace.
    ApiObject.of(this.job).addJsonPatch(
      JsonPatch.add('/spec/template/spec/enableServiceLinks', false),
      JsonPatch.remove(`/spec/template/metadata/labels/${CDK8S_ADDRESS_LABEL}`),
    );
  }
}
