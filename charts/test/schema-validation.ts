/**
 * Schema validation of synthesized Kubernetes objects, unknown fields included.
 *
 * - Kinds with a kubernetes-models class (core API, Gateway API, GKE policies):
 *   the model's own validate() for values, plus a TypeScript type check of the
 *   object as a literal of the model's interface, whose excess-property check
 *   rejects unknown fields at every depth (the models' runtime validators allow
 *   them).
 * - Other CRDs (Flagger, PodMonitoring, SecretProviderClass): the vendored CRD
 *   schema in ./schemas, made strict (additionalProperties: false wherever the
 *   CRD does not preserve unknown fields), compiled with ajv.
 */
import Ajv, { ValidateFunction } from 'ajv';
import { existsSync, readFileSync, readdirSync, mkdtempSync, writeFileSync, rmSync } from 'fs';
import { join } from 'path';
import * as ts from 'typescript';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

const ROOT = join(__dirname, '..', '..');
const CORE_GROUPS = new Set([
  'v1',
  'apps',
  'batch',
  'autoscaling',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
]);

/** Module path of the kubernetes-models class for a kind, or undefined. */
export function modelModule(apiVersion: string, kind: string): string | undefined {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : 'v1';
  let mod: string | undefined;
  if (CORE_GROUPS.has(group)) mod = `kubernetes-models/${apiVersion}/${kind}`;
  else if (group === 'gateway.networking.k8s.io')
    mod = `@kubernetes-models/gateway-api/${apiVersion}/${kind}`;
  else if (group.endsWith('gke.io')) mod = `@kubernetes-models/gke/${apiVersion}/${kind}`;
  if (!mod) return undefined;
  return existsSync(join(ROOT, 'node_modules', `${mod}.d.ts`)) ? mod : undefined;
}

type Walkable = Record<string, unknown>;

/** Makes a CRD structural schema reject unknown fields the way a strict apply does. */
export function strictSchema(schema: Walkable): Walkable {
  const out: Walkable = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'properties' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(
        Object.entries(v as Walkable).map(([pk, pv]) => [pk, strictSchema(pv as Walkable)]),
      );
    } else if ((k === 'items' || k === 'additionalProperties') && v && typeof v === 'object') {
      out[k] = strictSchema(v as Walkable);
    } else if ((k === 'anyOf' || k === 'allOf' || k === 'oneOf') && Array.isArray(v)) {
      out[k] = v.map((x) => strictSchema(x as Walkable));
    } else if (k.startsWith('x-kubernetes-')) {
      continue;
    } else {
      out[k] = v;
    }
  }
  if (schema['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    !schema['x-kubernetes-preserve-unknown-fields']
  ) {
    out.additionalProperties = false;
  }
  return out;
}

interface Crd {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; schema: { openAPIV3Schema: Walkable } }[];
  };
}

let crdValidators: Map<string, ValidateFunction> | undefined;

/** Validators of the vendored CRDs, keyed by `apiVersion/kind`. */
export function vendoredCrdValidators(): Map<string, ValidateFunction> {
  if (crdValidators) return crdValidators;
  // Kubernetes formats (int32, int-or-string, ...) are not JSON Schema formats: types are checked, formats not.
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  crdValidators = new Map();
  const dir = join(__dirname, 'schemas');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    for (const crd of JSON.parse(readFileSync(join(dir, file), 'utf8')) as Crd[]) {
      if (!crd?.spec?.versions) continue;
      for (const v of crd.spec.versions) {
        const schema = strictSchema(v.schema.openAPIV3Schema);
        // metadata is validated by the API server's ObjectMeta, not the CRD.
        (schema.properties as Walkable).metadata = { type: 'object' };
        crdValidators.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(schema));
      }
    }
  }
  return crdValidators;
}

/** Every problem found in the objects; empty when all are valid. */
export function validateObjects(objects: K8sObject[]): string[] {
  const errors: string[] = [];
  const typed: { obj: K8sObject; mod: string }[] = [];
  const crds = vendoredCrdValidators();
  for (const obj of objects) {
    const where = `${obj.kind}/${obj.metadata?.name ?? '?'}`;
    const mod = modelModule(obj.apiVersion, obj.kind);
    if (mod) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const Model = (require(mod) as Record<string, new (d: unknown) => { validate(): void }>)[obj.kind]!;
      try {
        new Model(obj).validate();
      } catch (e) {
        errors.push(`${where}: ${(e as Error).message}`);
      }
      typed.push({ obj, mod });
      continue;
    }
    const validate = crds.get(`${obj.apiVersion}/${obj.kind}`);
    if (!validate) {
      errors.push(
        `${where}: no schema for ${obj.apiVersion} ${obj.kind}; vendor its CRD into charts/test/schemas`,
      );
      continue;
    }
    if (!validate(obj)) {
      for (const e of validate.errors ?? []) {
        errors.push(`${where}: ${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
      }
    }
  }
  return errors.concat(typeCheckUnknownFields(typed));
}

/** Type-checks each object as a literal of its model interface (excess properties are errors). */
function typeCheckUnknownFields(items: { obj: K8sObject; mod: string }[]): string[] {
  if (items.length === 0) return [];
  const dir = mkdtempSync(join(ROOT, 'node_modules', '.cache-schema-check-'));
  try {
    const lines = items.map(({ obj, mod }, i) => {
      const iface = `I${obj.kind}`;
      return `import type { ${iface} as T${i} } from '${mod}';\nexport const o${i}: T${i} = ${JSON.stringify(obj)};`;
    });
    const file = join(dir, 'objects.ts');
    writeFileSync(file, lines.join('\n'));
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      types: [],
      baseUrl: ROOT,
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const msg = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
      const item = items[Math.floor(line / 2)];
      const where = item ? `${item.obj.kind}/${item.obj.metadata?.name ?? '?'}` : 'objects.ts';
      return `${where}: ${msg}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
