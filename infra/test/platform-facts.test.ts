/**
 * Platform facts are stated once (config/platform-facts.ts) with their
 * document; what the charts apply and what the runbooks tell an operator to
 * type use that value and no look-alike.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';
import { Testing } from 'cdk8s';
import { loadEnvironments, ENVIRONMENT_NAMES } from '../../config/environments';
import * as facts from '../../config/platform-facts';
import {
  GKE_NODE_SERVICE_ACCOUNT_ID,
  googleServiceAccountEmail,
  SERVICE_PORTS,
  stackName,
} from '../../config/names';
import { iamResources, only, resources, synthesizeAll } from './synthesized';
import { WalkServiceChart } from '../../charts/walk-service/chart';
import { walkServiceProps } from '../../charts/environments';

const ROOT = join(__dirname, '..', '..');

/** Text files under `dir` (recursively), skipping vendored schemas and generated output. */
function files(dir: string, ext: RegExp): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (/^(node_modules|schemas|dist|cdktf\.out)$/.test(name)) return [];
    if (statSync(join(ROOT, path)).isDirectory()) return files(path, ext);
    return ext.test(name) ? [path] : [];
  });
}

describe('platform facts', () => {
  // Every export is a fact (the interface is a type only).
  const all = Object.entries(facts as unknown as Record<string, facts.PlatformFact<unknown>>);

  it('each names the document that states it', () => {
    expect(all.length).toBeGreaterThan(0);
    for (const [name, fact] of all)
      expect([name, fact.source]).toEqual([name, expect.stringMatching(/^https:\/\/\S+$/)]);
  });

  it("runbooks, docs, charts and monitoring name the managed collection namespace only by the fact's value", () => {
    const ns = facts.GKE_MANAGED_PROMETHEUS_NAMESPACE.value;
    // ADRs are history: a superseded one may name the old value.
    const scanned = [
      ...files('runbooks', /\.md$/),
      ...files('docs', /\.md$/).filter((f) => !f.startsWith(join('docs', 'adr'))),
      'README.md',
      'CONTRIBUTING.md',
      ...files('charts', /\.ts$/),
      ...files('monitoring', /\.(ts|md)$/),
    ];
    const wrong = scanned.flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/(?<![\w-])(?:gke-)?gmp-system(?![\w-])/g)]
        .filter((m) => m[0] !== ns)
        .map((m) => `${relative(ROOT, join(ROOT, file))}: ${m[0]}`),
    );
    expect(wrong).toEqual([]);
  });

  it.each(ENVIRONMENT_NAMES)(
    '%s: the walk-service NetworkPolicy admits the metrics port from the managed collectors only',
    (env) => {
      const { bootstrap, environments } = loadEnvironments();
      const chart = new WalkServiceChart(
        Testing.app(),
        'walk-service',
        walkServiceProps(environments[env], bootstrap, `sha256:${'ab'.repeat(32)}`),
      ).toJson();
      const policy = chart.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'walk-service');
      const metricsRules = policy.spec.ingress.filter((r: { ports: { port: number }[] }) =>
        r.ports.some((p) => p.port === SERVICE_PORTS.metrics),
      );
      expect(metricsRules.flatMap((r: { from: unknown[] }) => r.from)).toEqual([
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': facts.GKE_MANAGED_PROMETHEUS_NAMESPACE.value },
          },
          podSelector: {},
        },
      ]);
    },
  );
});

describe('GKE settings against the facts', () => {
  const s = synthesizeAll();
  const bootstrap = s.stacks[stackName.bootstrap]!;

  it.each(ENVIRONMENT_NAMES)(
    '%s: no deprecated vulnerability mode, explicit private endpoint, dedicated node account',
    (env) => {
      const project = s.config.environments[env].projectId;
      const cluster = only(s.stacks[stackName.platform(env)]!, 'google_container_cluster');
      expect(facts.GKE_DEPRECATED_VULNERABILITY_MODES.value).not.toContain(
        cluster.security_posture_config.vulnerability_mode,
      );
      expect(cluster.private_cluster_config).toEqual({
        enable_private_nodes: true,
        enable_private_endpoint: true,
      });
      const nodes = googleServiceAccountEmail(GKE_NODE_SERVICE_ACCOUNT_ID, project);
      expect(cluster.cluster_autoscaling.auto_provisioning_defaults.service_account).toBe(nodes);

      // Bootstrap creates that account with the node role and lets it pull images.
      const account = resources(bootstrap, 'google_service_account').find(
        (a) => a.project === project && a.account_id === GKE_NODE_SERVICE_ACCOUNT_ID,
      );
      expect(account).toBeDefined();
      const ref = `\${google_service_account.${account!['//'].metadata.uniqueId}.email}`;
      expect(
        iamResources(bootstrap)
          .filter(([, b]) => b.member === `serviceAccount:${ref}`)
          .map(([type, b]) => `${type} ${b.role}`)
          .filter((grant, i, all) => all.indexOf(grant) === i) // the preview host also reads previews
          .sort(),
      ).toEqual([
        'google_artifact_registry_repository_iam_member roles/artifactregistry.reader',
        `google_project_iam_member ${facts.GKE_NODE_SERVICE_ACCOUNT_ROLE.value}`,
      ]);
      expect(bootstrap).not.toHaveProperty(['data', 'google_project', `project-${project}`]);
    },
  );
});
