/**
 * Platform facts are stated once (infra/config/platform-facts.ts) with their
 * document; what the charts apply and what the runbooks tell an operator to
 * type use that value and no look-alike.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { join, relative } from 'path';
import { Testing } from 'cdk8s';
import { loadEnvironments, ENVIRONMENT_NAMES } from '../config/environments';
import * as facts from '../config/platform-facts';
import { SERVICE_PORTS } from '../config/names';
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
