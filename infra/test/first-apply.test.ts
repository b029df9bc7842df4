/**
 * A first apply on an empty project works only if Terraform creates what a
 * resource needs before the resource: it must reference it or depend on it
 * (directly or through others). This walks each synthesized stack's graph
 * with a few generic rules instead of one assertion per resource.
 */
import { API_OF_RESOURCE_TYPE, DEFAULT_SERVICE_ACCOUNT_APIS } from '../../config/platform-facts';
import { Block, StackJson, synthesizeAll, Synthesized } from './synthesized';

/** One resource of a stack, with what it reaches through references and depends_on. */
interface Node {
  readonly address: string;
  readonly type: string;
  readonly block: Block;
  /** The block as JSON without depends_on and metadata, to search literals in. */
  readonly text: string;
}

class Graph {
  readonly nodes: Node[] = [];
  private readonly edges = new Map<string, Set<string>>();
  private readonly closure = new Map<string, Set<string>>();

  constructor(readonly stack: StackJson) {
    const addresses = new Set<string>();
    for (const [type, blocks] of Object.entries(stack.resource ?? {}))
      for (const name of Object.keys(blocks)) addresses.add(`${type}.${name}`);
    for (const [type, blocks] of Object.entries(stack.data ?? {}))
      for (const name of Object.keys(blocks)) addresses.add(`data.${type}.${name}`);
    const add = (address: string, type: string, block: Block) => {
      const { depends_on: dependsOn, '//': _meta, ...rest } = block;
      const text = JSON.stringify(rest);
      const refs = new Set<string>((dependsOn ?? []) as string[]);
      for (const expr of text.matchAll(/\$\{([^}]*)\}/g))
        for (const m of expr[1]!.matchAll(/(?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+/g))
          if (addresses.has(m[0])) refs.add(m[0]);
      this.edges.set(address, refs);
      this.nodes.push({ address, type, block, text });
    };
    for (const [type, blocks] of Object.entries(stack.resource ?? {}))
      for (const [name, block] of Object.entries(blocks)) add(`${type}.${name}`, type, block);
    for (const [type, blocks] of Object.entries(stack.data ?? {}))
      for (const [name, block] of Object.entries(blocks)) add(`data.${type}.${name}`, `data.${type}`, block);
  }

  /** Addresses `from` references or depends on directly. */
  refs(from: string): Set<string> {
    return this.edges.get(from) ?? new Set();
  }

  /** Every address `from` waits for. */
  reach(from: string): Set<string> {
    const done = this.closure.get(from);
    if (done) return done;
    const seen = new Set<string>();
    const stack = [...(this.edges.get(from) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      stack.push(...(this.edges.get(next) ?? []));
    }
    this.closure.set(from, seen);
    return seen;
  }

  of(type: string): Node[] {
    return this.nodes.filter((n) => n.type === type);
  }
}

/** A needed resource that `node` does not wait for. */
interface Missing {
  readonly resource: string;
  readonly needs: string;
  readonly why: string;
}

type Rule = (g: Graph, node: Node) => Missing[];

/** `needs` (addresses) must be reached from node; `why` explains the rule. */
function waitsFor(g: Graph, node: Node, needs: readonly string[], why: string): Missing[] {
  const reached = g.reach(node.address);
  return needs
    .filter((n) => n !== node.address && !reached.has(n))
    .map((n) => ({ resource: node.address, needs: n, why }));
}

const RULES: Record<string, Rule> = {
  // The pool <project>.svc.id.goog exists only once a cluster does.
  workloadIdentityNeedsCluster: (g, node) => {
    if (!/\.svc\.id\.goog\[/.test(node.text)) return [];
    const clusters = g.of('google_container_cluster').map((c) => c.address);
    if (clusters.length > 0)
      return waitsFor(g, node, clusters, 'a Workload Identity member needs the cluster (its pool)');
    // The cluster comes from an earlier layer: the stack must read that layer's state.
    return g.of('data.terraform_remote_state').length > 0
      ? []
      : [
          {
            resource: node.address,
            needs: 'a cluster',
            why: 'no cluster and no platform state in this stack',
          },
        ];
  },
  // Anything naming a service account (email, IAM database user) waits for the account.
  serviceAccountBeforeUse: (g, node) =>
    g
      .of('google_service_account')
      .filter((sa) => node.address !== sa.address)
      .filter((sa) => node.text.includes(`${sa.block.account_id}@${sa.block.project}.iam`))
      .flatMap((sa) => waitsFor(g, node, [sa.address], `names ${sa.block.account_id}@${sa.block.project}`)),
  // Anything naming a GitHub identity pool waits for the pool.
  identityPoolBeforeUse: (g, node) =>
    g
      .of('google_iam_workload_identity_pool')
      .filter((p) => node.text.includes(`/workloadIdentityPools/${p.block.workload_identity_pool_id}/`))
      .flatMap((p) => waitsFor(g, node, [p.address], `names pool ${p.block.workload_identity_pool_id}`)),
  // A resource of an API waits for the API when the stack enables it.
  apiBeforeResource: (g, node) => {
    const api = Object.entries(API_OF_RESOURCE_TYPE.value).find(([prefix]) =>
      node.type.startsWith(prefix),
    )?.[1];
    if (!api || typeof node.block.project !== 'string') return [];
    const services = g
      .of('google_project_service')
      .filter((s) => s.block.project === node.block.project && s.block.service === api);
    return waitsFor(
      g,
      node,
      services.map((s) => s.address),
      `a ${node.type} needs ${api}`,
    );
  },
  // A default service account (e.g. <number>-compute@developer...) exists once its API is on.
  defaultServiceAccountAfterApi: (g, node) =>
    Object.entries(DEFAULT_SERVICE_ACCOUNT_APIS.value).flatMap(([suffix, api]) => {
      if (!node.text.includes(suffix)) return [];
      const projects = g
        .of('data.google_project')
        .filter((p) => g.refs(node.address).has(p.address))
        .map((p) => p.block.project_id);
      const services = g
        .of('google_project_service')
        .filter((s) => projects.includes(s.block.project) && s.block.service === api);
      return waitsFor(
        g,
        node,
        services.map((s) => s.address),
        `*${suffix} exists once ${api} is on`,
      );
    }),
  // A workload waits for every grant, database user and Workload Identity binding of the identity it runs as.
  workloadAfterItsGrants: (g, node) => {
    if (node.type !== 'kubernetes_manifest') return [];
    const m = node.block.manifest;
    if (!['Job', 'Deployment', 'StatefulSet', 'DaemonSet'].includes(m.kind)) return [];
    const ksaName = m.spec?.template?.spec?.serviceAccountName;
    const ksa = g
      .of('kubernetes_manifest')
      .find(
        (k) =>
          k.block.manifest.kind === 'ServiceAccount' &&
          k.block.manifest.metadata.name === ksaName &&
          k.block.manifest.metadata.namespace === m.metadata.namespace,
      );
    const email: string | undefined =
      ksa?.block.manifest.metadata.annotations?.['iam.gke.io/gcp-service-account'];
    if (!email) return [];
    const dbUser = email.replace(/\.gserviceaccount\.com$/, '');
    const wiMember = `.svc.id.goog[${m.metadata.namespace}/${ksaName}]`;
    const grants = g.nodes.filter(
      (n) =>
        (/_iam_member$/.test(n.type) && n.block.member === `serviceAccount:${email}`) ||
        (n.type === 'google_service_account_iam_member' && String(n.block.member).endsWith(wiMember)) ||
        (n.type === 'google_sql_user' && n.block.name === dbUser),
    );
    return waitsFor(
      g,
      node,
      grants.map((n) => n.address),
      `runs as ${email}`,
    );
  },
};

let s: Synthesized;
beforeAll(() => {
  s = synthesizeAll();
});

describe('first apply: every resource waits for what it needs', () => {
  it.each(Object.keys(synthesizeAll().stacks))('%s', (stack) => {
    const g = new Graph(s.stacks[stack]!);
    const missing = g.nodes.flatMap((node) =>
      Object.entries(RULES).flatMap(([rule, check]) =>
        check(g, node).map((m) => `${rule}: ${m.resource} does not wait for ${m.needs} (${m.why})`),
      ),
    );
    expect(missing).toEqual([]);
  });

  it('each rule finds what it looks for in some stack (no rule that cannot fail)', () => {
    const fired = new Set<string>();
    // No stack grants a default service account any more: a minimal one that does.
    const defaultAccountUser: StackJson = {
      terraform: {},
      data: { google_project: { env: { project_id: 'p' } } },
      resource: {
        google_project_service: { compute: { project: 'p', service: 'compute.googleapis.com' } },
        google_storage_bucket_iam_member: {
          reader: {
            bucket: 'b',
            role: 'roles/storage.objectViewer',
            member: 'serviceAccount:${data.google_project.env.number}-compute@developer.gserviceaccount.com',
          },
        },
      },
    };
    for (const stack of [...Object.values(s.stacks), defaultAccountUser]) {
      const g = new Graph(stack);
      // Drop every edge: each rule must then report something somewhere.
      const bare = Object.assign(Object.create(Graph.prototype) as Graph, g, {
        reach: () => new Set<string>(),
      });
      for (const node of g.nodes)
        for (const [rule, check] of Object.entries(RULES)) if (check(bare, node).length > 0) fired.add(rule);
    }
    expect([...fired].sort()).toEqual(Object.keys(RULES).sort());
  });
});
