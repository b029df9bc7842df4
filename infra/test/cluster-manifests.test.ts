/* eslint-disable @typescript-eslint/no-explicit-any -- Terraform JSON is untyped data */
/**
 * Every Kubernetes object the synthesized cluster, app and preview stacks
 * apply — the monitoring layer's included — is schema-valid (unknown fields
 * rejected), and every workload among them is restricted and probed.
 */
import { validateObjects } from '../../charts/test/schema-validation';
import { workloadProblems } from '../../charts/test/workload-rules';
import { resources, synthesizeAll } from './synthesized';

const s = synthesizeAll();
const kubernetesStacks = Object.keys(s.stacks).filter((n) => /-(cluster|app)$|^preview-pr-/.test(n));
const objectsOf = (name: string) =>
  resources(s.stacks[name]!, 'kubernetes_manifest').map((m) => m.manifest as any);

describe('manifests of the cluster, app and preview stacks', () => {
  it('are schema-valid (checked together: one type-check for all stacks)', () => {
    expect(kubernetesStacks.length).toBeGreaterThanOrEqual(7);
    const all = kubernetesStacks.flatMap(objectsOf);
    expect(all.some((o) => o.kind === 'Rules')).toBe(true);
    expect(validateObjects(all)).toEqual([]);
  });

  it.each(kubernetesStacks)('%s runs only restricted, probed workloads', (name) => {
    for (const w of objectsOf(name).filter((o) =>
      ['Deployment', 'Job', 'StatefulSet', 'DaemonSet'].includes(o.kind),
    )) {
      expect(workloadProblems(w)).toEqual([]);
    }
  });
});
