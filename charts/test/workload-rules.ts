/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Rules every workload the charts produce must follow: the restricted Pod
 * Security Standard, resource requests, pinned images, and probes on every
 * long-running container (startup and liveness on native sidecars, never readiness).
 */
import { K8sObject } from './schema-validation';

export function podSpecOf(workload: K8sObject): any {
  const spec = (workload as any).spec;
  if (workload.kind === 'CronJob') return spec.jobTemplate.spec.template.spec;
  return spec.template.spec;
}

export function containersOf(workload: K8sObject): any[] {
  const pod = podSpecOf(workload);
  return [...(pod.initContainers ?? []), ...pod.containers];
}

export function workloadProblems(workload: K8sObject): string[] {
  const where = `${workload.kind}/${workload.metadata?.name}`;
  const pod = podSpecOf(workload);
  const problems: string[] = [];
  const fail = (msg: string) => problems.push(`${where}: ${msg}`);
  if (pod.automountServiceAccountToken !== false) fail('automountServiceAccountToken must be false');
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) fail('must not use host namespaces');
  if (pod.securityContext?.runAsNonRoot !== true) fail('pod securityContext.runAsNonRoot must be true');
  for (const v of pod.volumes ?? []) if (v.hostPath) fail(`volume ${v.name} must not be a hostPath`);

  const longRunning = workload.kind !== 'Job' && workload.kind !== 'CronJob';
  for (const c of containersOf(workload)) {
    const at = (msg: string) => fail(`container ${c.name}: ${msg}`);
    const sc = c.securityContext ?? {};
    if (sc.runAsNonRoot !== true || !(sc.runAsUser > 0)) at('must run as a non-root numeric user');
    if (sc.readOnlyRootFilesystem !== true) at('readOnlyRootFilesystem must be true');
    if (sc.allowPrivilegeEscalation !== false) at('allowPrivilegeEscalation must be false');
    if (sc.privileged === true) at('must not be privileged');
    if (!sc.capabilities?.drop?.includes('ALL') || (sc.capabilities?.add ?? []).length > 0) {
      at('must drop ALL capabilities and add none');
    }
    const seccomp = sc.seccompProfile?.type ?? pod.securityContext?.seccompProfile?.type;
    if (!['RuntimeDefault', 'Localhost'].includes(seccomp)) at('seccompProfile must be RuntimeDefault');
    if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory) {
      at('must request cpu and memory and limit memory');
    }
    if (!/@sha256:[0-9a-f]{64}$/.test(c.image) && !/:v?\d+\.\d+\.\d+[-\w.]*$/.test(c.image)) {
      at(`image must be pinned by digest or exact version, got ${c.image}`);
    }
    const isSidecar = c.restartPolicy === 'Always';
    if (longRunning || isSidecar) {
      for (const probe of ['startupProbe', 'livenessProbe']) {
        if (!c[probe]) at(`long-running container needs a ${probe}`);
      }
    }
    // A sidecar's readiness gates the whole pod: a transient failure there makes every pod unready at once.
    if (isSidecar && c.readinessProbe) at('a sidecar must not have a readinessProbe');
    if (longRunning && !isSidecar && !c.readinessProbe) at('long-running container needs a readinessProbe');
  }
  return problems;
}
