/**
 * Every container the cluster, app and preview stacks run asks for its CPU
 * and memory: without a request Autopilot applies its default (0.5 vCPU /
 * 2 GiB per container), which would be most of an environment's bill. Read
 * from what synth writes: the Kubernetes manifests' pod templates (init
 * containers included) and, for the Helm releases, the containers each chart
 * renders from our values (infra/cost/helm-workloads.ts).
 */
import { AUTOPILOT_GENERAL_PURPOSE_POD_REQUESTS } from '../config/platform-facts';
import { inventory } from '../cost/inventory';
import { cpuMillis, memoryMiB } from '../cost/quantities';
import { Block, synthesizeAll } from './synthesized';

const { stacks } = synthesizeAll();

interface Requests {
  readonly name: string;
  readonly cpuMillis?: number;
  readonly memoryMiB?: number;
}

interface PodRequests {
  readonly where: string;
  readonly containers: readonly Requests[];
  /** Run to completion before the containers start. */
  readonly initContainers: readonly Requests[];
}

const requestsOf = (c: Block): Requests => ({
  name: String(c.name),
  ...(c.resources?.requests?.cpu !== undefined && { cpuMillis: cpuMillis(c.resources.requests.cpu) }),
  ...(c.resources?.requests?.memory !== undefined && { memoryMiB: memoryMiB(c.resources.requests.memory) }),
});

/** The pod spec of a Deployment, StatefulSet, DaemonSet, Job or CronJob manifest. */
function podSpec(manifest: Block): Block | undefined {
  return manifest.kind === 'CronJob'
    ? manifest.spec?.jobTemplate?.spec?.template?.spec
    : manifest.spec?.template?.spec;
}

function manifestPods(): PodRequests[] {
  return Object.entries(stacks).flatMap(([stack, json]) =>
    Object.values(json.resource?.kubernetes_manifest ?? {}).flatMap((resource) => {
      const manifest = resource.manifest as Block;
      const pod = podSpec(manifest);
      if (!pod) return [];
      return [
        {
          where: `${stack}: ${manifest.kind} ${manifest.metadata?.namespace}/${manifest.metadata?.name}`,
          // Native sidecars (init containers that keep running) count as containers.
          containers: [
            ...(pod.initContainers ?? []).filter((c: Block) => c.restartPolicy === 'Always'),
            ...(pod.containers ?? []),
          ].map(requestsOf),
          initContainers: (pod.initContainers ?? [])
            .filter((c: Block) => c.restartPolicy !== 'Always')
            .map(requestsOf),
        },
      ];
    }),
  );
}

function helmPods(): PodRequests[] {
  return Object.entries(stacks).flatMap(([stack, json]) =>
    inventory({ [stack]: json })
      .workloads.filter((w) => w.source.startsWith('helm:'))
      .map((w) => ({
        where: `${stack}: ${w.source} ${w.namespace}/${w.name}`,
        containers: w.containers,
        initContainers: w.initContainers ?? [],
      })),
  );
}

const pods = [...manifestPods(), ...helmPods()];

it('reads the add-ons, the service and its Jobs from what synth writes', () => {
  const where = pods.map((p) => p.where).join('\n');
  for (const expected of [
    /helm:flagger/,
    /helm:flagger-loadtester/,
    /helm:grafana/,
    /helm:loki/,
    /helm:alloy/,
    /Deployment \S+\/gmp-frontend/i,
    /Job /,
  ])
    expect(where).toMatch(expected);
});

it('sets a CPU and a memory request on every container', () => {
  const missing = pods.flatMap((pod) =>
    [...pod.initContainers, ...pod.containers]
      .filter((c) => c.cpuMillis === undefined || c.memoryMiB === undefined)
      .map((c) => `${pod.where} container ${c.name}`),
  );
  expect(missing).toEqual([]);
});

it('keeps every pod inside what Autopilot general-purpose accepts unchanged (minimum and memory per vCPU)', () => {
  const { minCpuMillis, minMemoryMiB, memoryGiBPerVcpu } = AUTOPILOT_GENERAL_PURPOSE_POD_REQUESTS.value;
  const outside = pods.flatMap((pod) => {
    // A pod is sized for the larger of its containers' sum and its largest init container.
    const sized = (pick: (c: Requests) => number) =>
      Math.max(
        pod.containers.reduce((sum, c) => sum + pick(c), 0),
        ...pod.initContainers.map(pick),
      );
    const cpu = sized((c) => c.cpuMillis ?? 0);
    const memory = sized((c) => c.memoryMiB ?? 0);
    const ratio = memory / 1024 / (cpu / 1000);
    return cpu < minCpuMillis ||
      memory < minMemoryMiB ||
      ratio < memoryGiBPerVcpu.min ||
      ratio > memoryGiBPerVcpu.max
      ? [`${pod.where}: ${cpu}m CPU, ${memory} MiB (${ratio.toFixed(2)} GiB per vCPU)`]
      : [];
  });
  expect(outside).toEqual([]);
});
