import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { Manifest, ManifestWaitCondition } from '@cdktf/provider-kubernetes/lib/manifest';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import type { KubernetesObject } from '../../charts/lib/kubernetes-object';

export type { KubernetesObject };

/** Something that yields Kubernetes objects: a cdk8s Chart has `toJson()`. */
export interface KubernetesObjectSource {
  toJson(): unknown[];
}

/** Fields controllers own after apply; Terraform must not put them back. */
const CONTROLLER_OWNED_FIELDS = ['metadata.labels', 'metadata.annotations'];

export interface KubernetesManifestsProps {
  readonly provider: KubernetesProvider;
  /** Objects to apply; usually a cdk8s chart. */
  readonly source: KubernetesObjectSource | readonly KubernetesObject[];
  /**
   * @default none — per-kind conditions Terraform waits for after apply,
   * e.g. `{ Job: [{ type: 'Complete', status: 'True' }] }`.
   */
  readonly waitConditions?: Readonly<Record<string, ManifestWaitCondition[]>>;
  /** @default '10m' — how long create/update may wait for those conditions. */
  readonly timeout?: string;
  /** @default none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * Applies Kubernetes objects with the Kubernetes provider, one
 * `kubernetes_manifest` per object, addressed by kind, namespace and name (a
 * stable Terraform address). Server-side apply with its own field manager:
 * Terraform owns only the fields the chart sets, so it does not fight the HPA
 * (the chart leaves `replicas` out of autoscaled Deployments) or Flagger
 * (which owns the Services, HTTPRoute and the primary objects it generates).
 */
export class KubernetesManifests extends Construct {
  /** Applied objects by `<kind>/<namespace>/<name>`. */
  readonly manifests: Readonly<Record<string, Manifest>>;

  constructor(scope: Construct, id: string, props: KubernetesManifestsProps) {
    super(scope, id);
    const objects = (
      Array.isArray(props.source) ? props.source : (props.source as KubernetesObjectSource).toJson()
    ) as KubernetesObject[];
    if (objects.length === 0) throw new Error(`KubernetesManifests ${id}: source has no objects`);
    const manifests: Record<string, Manifest> = {};
    for (const object of objects) {
      const name = object.metadata?.name;
      if (!name) throw new Error(`KubernetesManifests ${id}: a ${object.kind} has no metadata.name`);
      const key = `${object.kind}/${object.metadata.namespace ?? '_cluster'}/${name}`;
      if (manifests[key]) throw new Error(`KubernetesManifests ${id}: ${key} appears twice`);
      const template = JSON.stringify(object).match(/[$%]\{(?!TfToken\[)/);
      if (template) {
        throw new Error(
          `KubernetesManifests ${id}: ${key} contains "${template[0]}", which Terraform would interpolate`,
        );
      }
      const conditions = props.waitConditions?.[object.kind];
      manifests[key] = new Manifest(this, key.toLowerCase().replace(/[^a-z0-9]+/g, '-'), {
        provider: props.provider,
        manifest: object,
        fieldManager: { name: 'cdktf', forceConflicts: true },
        computedFields: CONTROLLER_OWNED_FIELDS,
        wait: conditions ? { condition: conditions } : undefined,
        timeouts: { create: props.timeout ?? '10m', update: props.timeout ?? '10m' },
        dependsOn: props.dependsOn,
      });
    }
    this.manifests = manifests;
  }

  /** The manifest of one object; throws naming the key when absent. */
  manifest(kind: string, namespace: string | undefined, name: string): Manifest {
    const key = `${kind}/${namespace ?? '_cluster'}/${name}`;
    const found = this.manifests[key];
    if (!found) throw new Error(`no ${key} among ${Object.keys(this.manifests).join(', ')}`);
    return found;
  }
}
