import { ApiObject, Chart, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { DATABASE_ADMIN_IDENTITY, iamDatabaseUser, SERVICE_NAME } from '../../config/names';
import { LABEL, PART_OF } from '../lib/labels';
import { CLOUD_SQL_PROXY_LISTEN_PORT, cloudSqlProxySidecar } from './cloud-sql-proxy';
import { WalkServiceProps, validateWalkServiceProps } from './props';
import { CDK8S_ADDRESS_LABEL, SERVICE_UID, imageReference, restrictedSecurityContext } from './workload';

/** One grant Job per database; a rerun (after its TTL) is harmless: the grants are idempotent. */
export function databaseGrantJobName(databaseName: string): string {
  return `grant-${databaseName.replace(/_/g, '-')}`;
}

/** How long a finished grant or migrations Job stays for `kubectl logs`. */
export const FINISHED_JOB_TTL_SECONDS = 24 * 3600;

/**
 * Lets the service's IAM database user create (and so own) its tables:
 * runs `dist/app/db/grant-cli.js` of the service's own image, in namespace
 * `db-admin`, as the environment's database admin (IAM login through the
 * Auth Proxy), on the service's database. Applied before the migrations Job.
 */
export class DatabaseGrantChart extends Chart {
  readonly job: kplus.Job;

  constructor(scope: Construct, id: string, props: WalkServiceProps) {
    const admin = DATABASE_ADMIN_IDENTITY;
    super(scope, id, {
      namespace: admin.namespace,
      labels: { ...props.extraLabels },
      disableResourceNameHashes: true,
    });
    validateWalkServiceProps(props);
    const adminUser = encodeURIComponent(iamDatabaseUser(admin.googleServiceAccountId, props.projectId));
    this.job = new kplus.Job(this, 'job', {
      metadata: { name: databaseGrantJobName(props.identity.databaseName) },
      backoffLimit: 2,
      activeDeadline: Duration.minutes(5),
      ttlAfterFinished: Duration.seconds(FINISHED_JOB_TTL_SECONDS),
      serviceAccount: kplus.ServiceAccount.fromServiceAccountName(
        this,
        'admin',
        admin.kubernetesServiceAccount,
      ),
      automountServiceAccountToken: false,
      restartPolicy: kplus.RestartPolicy.NEVER,
      securityContext: { ensureNonRoot: true, user: SERVICE_UID, group: SERVICE_UID, fsGroup: SERVICE_UID },
      podMetadata: { labels: { [LABEL.name]: `${SERVICE_NAME}-grant`, [LABEL.partOf]: PART_OF } },
      initContainers: [cloudSqlProxySidecar(props.cloudSqlInstanceConnectionName)],
      containers: [
        {
          name: 'grant',
          image: imageReference(props),
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: ['dist/app/db/grant-cli.js'],
          envVariables: {
            DATABASE_URL: kplus.EnvValue.fromValue(
              `postgres://${adminUser}@127.0.0.1:${CLOUD_SQL_PROXY_LISTEN_PORT}/${props.identity.databaseName}?sslmode=disable`,
            ),
            DATABASE_GRANTEE: kplus.EnvValue.fromValue(
              iamDatabaseUser(props.identity.googleServiceAccountId, props.projectId),
            ),
            LOG_LEVEL: kplus.EnvValue.fromValue(props.logLevel ?? 'info'),
          },
          resources: {
            cpu: { request: kplus.Cpu.millis(100) },
            memory: { request: Size.mebibytes(128), limit: Size.mebibytes(128) },
          },
          securityContext: restrictedSecurityContext(SERVICE_UID),
        },
      ],
    });
    ApiObject.of(this.job).addJsonPatch(
      JsonPatch.add('/spec/template/spec/enableServiceLinks', false),
      JsonPatch.remove(`/spec/template/metadata/labels/${CDK8S_ADDRESS_LABEL}`),
    );
  }
}
