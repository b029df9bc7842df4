import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-34';
import { Construct } from 'constructs';
import { SERVICE_NAME } from '../../config/names';
import { LABEL, PART_OF } from '../lib/labels';
import { cloudSqlProxySidecar } from './cloud-sql-proxy';
import { WalkServiceProps } from './props';
import { CDK8S_ADDRESS_LABEL, SERVICE_UID, imageReference, restrictedSecurityContext } from './workload';

export interface ServiceJobSpec {
  readonly name: string;
  /** Pod component label (migrations, operator). */
  readonly component: string;
  readonly containerName: string;
  /** Kubernetes service account the pod runs as (Workload Identity). */
  readonly kubernetesServiceAccount: string;
  /** Arguments to the image's entrypoint (node): the built entry file and its flags. */
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly activeDeadlineMinutes: number;
  /** @default none — seconds a finished Job stays (for `kubectl logs`) before Kubernetes deletes it. */
  readonly ttlAfterFinishedSeconds?: number;
  /** @default 2 */
  readonly backoffLimit?: number;
  /** @default 256 */
  readonly memoryMiB?: number;
}

/**
 * A one-shot Job of the service image with the Cloud SQL Auth Proxy as a
 * native sidecar: the migrations Job and the operator Jobs
 * (scripts/ops-job.ts) share it. The pod carries the service's name label,
 * so the namespace's network policies give it the database and Google APIs.
 */
export function serviceJob(scope: Construct, props: WalkServiceProps, spec: ServiceJobSpec): kplus.Job {
  const job = new kplus.Job(scope, 'job', {
    metadata: { name: spec.name },
    backoffLimit: spec.backoffLimit ?? 2,
    activeDeadline: Duration.minutes(spec.activeDeadlineMinutes),
    ttlAfterFinished:
      spec.ttlAfterFinishedSeconds === undefined ? undefined : Duration.seconds(spec.ttlAfterFinishedSeconds),
    serviceAccount: kplus.ServiceAccount.fromServiceAccountName(
      scope,
      'service-account',
      spec.kubernetesServiceAccount,
    ),
    automountServiceAccountToken: false,
    restartPolicy: kplus.RestartPolicy.NEVER,
    securityContext: { ensureNonRoot: true, user: SERVICE_UID, group: SERVICE_UID, fsGroup: SERVICE_UID },
    podMetadata: {
      labels: { [LABEL.name]: SERVICE_NAME, [LABEL.component]: spec.component, [LABEL.partOf]: PART_OF },
    },
    initContainers: [cloudSqlProxySidecar(props.cloudSqlInstanceConnectionName)],
    containers: [
      {
        name: spec.containerName,
        image: imageReference(props),
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        args: spec.args,
        envVariables: Object.fromEntries(
          Object.entries(spec.env).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)]),
        ),
        resources: {
          cpu: { request: kplus.Cpu.millis(250) },
          memory: {
            request: Size.mebibytes(spec.memoryMiB ?? 256),
            limit: Size.mebibytes(spec.memoryMiB ?? 256),
          },
        },
        securityContext: restrictedSecurityContext(SERVICE_UID),
      },
    ],
  });
  // A one-shot Job needs no variables for every Service in the namespace.
  ApiObject.of(job).addJsonPatch(
    JsonPatch.add('/spec/template/spec/enableServiceLinks', false),
    JsonPatch.remove(`/spec/template/metadata/labels/${CDK8S_ADDRESS_LABEL}`),
  );
  return job;
}
