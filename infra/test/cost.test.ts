import { defaultEnvironment, loadEnvironments, validateEnvironment } from '../../config/environments';
import { stackName } from '../../config/names';
import { containersWithoutRequests, estimateInventory, PricingContext, sqlTierShape } from '../cost/estimate';
import { helmWorkloads } from '../cost/helm-workloads';
import { inventory, StackJson } from '../cost/inventory';
import { PRICE_TABLE, USAGE_ASSUMPTIONS } from '../cost/prices-asia-northeast1';
import { cpuMillis, memoryMiB } from '../cost/quantities';
import { costDeltaMarkdown, costReport } from '../../scripts/lib/cost-report';
import { synthesizeAll } from './synthesized';

/* eslint-disable @typescript-eslint/no-explicit-any -- mutating synthesized JSON */
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('cost estimate from the synthesized stacks', () => {
  const { stacks } = synthesizeAll();
  const envStacks = (s: Record<string, StackJson>, env = 'dev') => ({
    platform: s[stackName.platform(env)],
    cluster: s[stackName.cluster(env)],
    app: s[stackName.app(env)],
  });
  const ctx: PricingContext = {
    environment: 'dev',
    region: 'asia-northeast1',
    state: 'running',
    freeTierCredit: false,
  };
  const total = (s: ReturnType<typeof envStacks>, c: Partial<PricingContext> = {}) =>
    estimateInventory(inventory(s), { ...ctx, ...c }).total;
  const base = envStacks(stacks as Record<string, StackJson>);

  it('reads Kubernetes quantities as the API defines them', () => {
    expect(cpuMillis('250m')).toBe(250);
    expect(cpuMillis('0.5')).toBe(500);
    expect(cpuMillis(2)).toBe(2000);
    expect(memoryMiB('512Mi')).toBe(512);
    expect(memoryMiB('1Gi')).toBe(1024);
    expect(memoryMiB('128M')).toBeCloseTo(122.07, 2);
    expect(() => cpuMillis('lots')).toThrow('not a Kubernetes cpu quantity');
  });

  it('inventories what the dev stacks deploy', () => {
    const inv = inventory(base);
    expect(inv.autopilotClusters).toBe(1);
    expect(inv.sqlInstances).toHaveLength(1);
    expect(inv.forwardingRules).toBeGreaterThanOrEqual(1);
    expect(inv.securityPolicies[0]!.rules).toBeGreaterThan(0);
    const walk = inv.workloads.find((w) => w.name === 'walk-service')!;
    // The app container and the Cloud SQL Auth Proxy native sidecar.
    expect(walk.containers.map((c) => c.name)).toHaveLength(2);
    expect(walk.replicasMin).toBe(defaultEnvironment('dev').service.minReplicas);
    expect(inv.workloads.map((w) => w.source)).toEqual(expect.arrayContaining(['helm:loki', 'manifest:app']));
    expect(inv.scrapeTargets.find((t) => t.name === 'walk-service/walk-service')!.podsMin).toBe(
      walk.replicasMin,
    );
  });

  it('every PodMonitoring the stacks apply selects pods a workload renders (what alerts read is scraped)', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const targets = inventory(envStacks(stacks as Record<string, StackJson>, env)).scrapeTargets;
      expect(targets.map((t) => t.name)).toEqual(
        expect.arrayContaining(['monitoring/loki', 'monitoring/alloy', 'flagger-system/flagger']),
      );
      expect(targets.filter((t) => t.podsMax === 0).map((t) => `${env} ${t.name}`)).toEqual([]);
      // Only a workload KEDA scales to zero may have no pod at its minimum (ADR 0262).
      expect(targets.filter((t) => t.podsMin === 0).map((t) => t.name)).toEqual(
        env === 'dev' || env === 'staging' ? ['walk-service/walk-image-worker'] : [],
      );
      // Loki and Alloy keep only the metrics their alerts read (2 each, plus `up`), not their hundreds.
      expect(targets.find((t) => t.name === 'monitoring/loki')!.keptMetrics).toBe(3);
    }
  });

  describe('moves when an artefact changes', () => {
    const mutate = (edit: (s: ReturnType<typeof envStacks>) => void) => {
      const s = clone(base);
      edit(s);
      return s;
    };
    const deployment = (s: ReturnType<typeof envStacks>) =>
      Object.values(s.app!.resource!.kubernetes_manifest!).find(
        (r: any) => r.manifest.kind === 'Deployment' && r.manifest.metadata.name === 'walk-service',
      )!.manifest;

    it('a container without requests is priced at Autopilot’s default', () => {
      const s = mutate((x) => delete deployment(x).spec.template.spec.containers[0].resources);
      expect(total(s)).toBeGreaterThan(total(base));
      expect(containersWithoutRequests(inventory(s))).toContain(
        'manifest:app walk-service/walk-service/walk-service',
      );
    });
    it('a higher HPA minimum costs more at minimum replicas', () => {
      const s = mutate((x) => {
        const hpa = Object.values(x.app!.resource!.kubernetes_manifest!).find(
          (r: any) => r.manifest.kind === 'HorizontalPodAutoscaler',
        )!.manifest;
        hpa.spec.minReplicas += 1;
        hpa.spec.maxReplicas += 1;
      });
      expect(total(s)).toBeGreaterThan(total(base));
    });
    it('a bigger Cloud SQL tier, HA or disk costs more', () => {
      const sql = (x: ReturnType<typeof envStacks>) =>
        Object.values(x.platform!.resource!.google_sql_database_instance!)[0]!.settings;
      expect(total(mutate((x) => (sql(x).tier = 'db-custom-2-7680')))).toBeGreaterThan(total(base));
      expect(total(mutate((x) => (sql(x).disk_size = 100)))).toBeGreaterThan(total(base));
      const stopped = mutate((x) => (sql(x).activation_policy = 'NEVER'));
      expect(total(stopped)).toBeLessThan(total(base));
    });
    it('one more Cloud Armor rule costs a rule', () => {
      const s = mutate((x) => {
        const p = Object.values(x.platform!.resource!.google_compute_security_policy!)[0]!;
        p.rule = [...p.rule, { ...p.rule[0], priority: 4242 }];
      });
      expect(total(s) - total(base)).toBeCloseTo(PRICE_TABLE.cloudArmor.ruleMonth, 2);
    });
    it('a higher trace sample ratio costs more spans, none at 0', () => {
      const trace = (ratio: number) =>
        estimateInventory(inventory(base), { ...ctx, traceSampleRatio: ratio }).lines.find((l) =>
          l.item.startsWith('Cloud Trace'),
        )?.monthly;
      expect(trace(0)).toBeUndefined();
      expect(trace(0.5)!).toBeGreaterThan(0);
      expect(trace(1)!).toBeCloseTo(2 * trace(0.5)!, 2);
    });

    it('a faster scrape costs more samples', () => {
      const s = mutate((x) => {
        const pm = Object.values(x.app!.resource!.kubernetes_manifest!).find(
          (r: any) => r.manifest.kind === 'PodMonitoring' && r.manifest.metadata.name === 'walk-service',
        )!.manifest;
        pm.spec.endpoints[0].interval = '5s';
      });
      expect(total(s)).toBeGreaterThan(total(base));
    });
    it("the share-image worker's requests move its line: at max replicas in dev, at min in prod", () => {
      const worker = (x: ReturnType<typeof envStacks>) =>
        Object.values(x.app!.resource!.kubernetes_manifest!).find(
          (r: any) => r.manifest.kind === 'Deployment' && r.manifest.metadata.name === 'walk-image-worker',
        )!.manifest;
      const doubled = (x: ReturnType<typeof envStacks>) => {
        const c = worker(x).spec.template.spec.containers[0];
        c.resources.requests.cpu = `${cpuMillis(c.resources.requests.cpu) * 2}m`;
      };
      const line = (x: ReturnType<typeof envStacks>, c: Partial<PricingContext> = {}) =>
        estimateInventory(inventory(x), { ...ctx, ...c }).lines.find((l) =>
          l.item.startsWith('Share-image worker pods'),
        )!;
      // dev scales to zero: nothing at its minimum, a price at its maximum, and more with larger requests.
      expect(line(base).monthly).toBe(0);
      expect(line(base).item).toMatch(/^Share-image worker pods \(0 of 0–1 Spot; at max \$\d+\.\d\d\)$/);
      expect(line(base, { replicas: 'max' }).monthly).toBeGreaterThan(0);
      const s = mutate(doubled);
      expect(total(s, { replicas: 'max' })).toBeGreaterThan(total(base, { replicas: 'max' }));
      expect(line(s, { replicas: 'max' }).monthly).toBeGreaterThan(line(base, { replicas: 'max' }).monthly);
      // prod keeps one warm pod: its minimum moves too.
      const prod = envStacks(stacks as Record<string, StackJson>, 'prod');
      const prodCtx = { environment: 'prod', freeTierCredit: false };
      const prodDoubled = clone(prod);
      doubled(prodDoubled);
      expect(line(prod, prodCtx).monthly).toBeGreaterThan(0);
      expect(line(prodDoubled, prodCtx).monthly).toBeGreaterThan(line(prod, prodCtx).monthly);
    });
    it('KEDA has its own line, priced from its modelled pods', () => {
      const keda = estimateInventory(inventory(base), ctx).lines.find((l) => l.item.startsWith('KEDA pods'))!;
      expect(keda.item).toMatch(/^KEDA pods \(3 of 3–3 Spot; at max/);
      expect(keda.monthly).toBeGreaterThan(0);
    });
    it('the walk-images bucket is priced from its assumptions: storage, operations, downloads', () => {
      const items = estimateInventory(inventory(base), ctx)
        .lines.filter((l) => l.item.includes('-walk-images'))
        .map((l) => l.item.replace(/\(.*\)/, '()'));
      expect(items).toEqual([
        'Bucket tekutoko-dev-example-walk-images ()',
        'Bucket tekutoko-dev-example-walk-images operations ()',
        'Bucket tekutoko-dev-example-walk-images downloads ()',
      ]);
    });
    it('Spot Pods cost less than general-purpose ones', () => {
      const s = mutate((x) => {
        const spec = deployment(x).spec.template.spec;
        if (spec.nodeSelector) delete spec.nodeSelector;
        else spec.nodeSelector = { 'cloud.google.com/gke-spot': 'true' };
      });
      const spotNow = deployment(base).spec.template.spec.nodeSelector !== undefined;
      expect(total(s) > total(base)).toBe(spotNow);
    });
    it('a Gateway without listeners leaves its address reserved and unused', () => {
      const s = mutate((x) => {
        for (const r of Object.values(x.cluster!.resource!.kubernetes_manifest!) as any[])
          if (r.manifest.kind === 'Gateway') r.manifest.spec.listeners = [];
      });
      const lines = estimateInventory(inventory(s), ctx)
        .lines.map((l) => l.item)
        .join('\n');
      expect(lines).toMatch(/Reserved IP addresses not in use/);
      expect(lines).not.toMatch(/forwarding rules/);
    });
  });

  it('models only the Helm charts and versions it has read', () => {
    const release = { name: 'x', namespace: 'n', values: {} };
    expect(() => helmWorkloads({ ...release, chart: 'redis', version: '1' })).toThrow(
      'no pod model for Helm chart redis',
    );
    expect(() => helmWorkloads({ ...release, chart: 'flagger', version: '9.9.9' })).toThrow(
      're-read its values.yaml',
    );
    const loki = { ...release, chart: 'loki', version: '18.11.0' };
    expect(() => helmWorkloads({ ...loki, values: { deploymentMode: 'SingleBinary' } })).toThrow(
      'gateway is enabled',
    );
  });

  it('applies the free-tier credit to the cluster fee only where configured', () => {
    const withCredit = estimateInventory(inventory(base), { ...ctx, freeTierCredit: true });
    // The credit covers one cluster's fee, never more than the fee itself.
    const fee = PRICE_TABLE.gke.clusterHour * PRICE_TABLE.hoursPerMonth;
    expect(total(base) - withCredit.total).toBeCloseTo(Math.min(fee, PRICE_TABLE.gke.freeTierCreditMonth), 2);
    expect(Object.values(loadEnvironments().environments).filter((e) => e.gke.freeTierCredit)).toHaveLength(
      1,
    );
  });

  it('refuses Spot Pods where users are served', () => {
    const prod = defaultEnvironment('prod');
    expect(() => validateEnvironment({ ...prod, gke: { ...prod.gke, spotPods: true } })).toThrow(
      'Spot Pods can all be reclaimed at once',
    );
  });

  it('refuses a region it has no prices for, and a tier it has no price for', () => {
    expect(() => estimateInventory(inventory(base), { ...ctx, region: 'us-central1' })).toThrow(
      'no price table for us-central1',
    );
    expect(sqlTierShape('db-custom-2-7680')).toEqual({ vcpu: 2, memoryGib: 7.5 });
    const s = clone(base);
    Object.values(s.platform!.resource!.google_sql_database_instance!)[0]!.settings.tier = 'db-n1-standard-1';
    expect(() => estimateInventory(inventory(s), ctx)).toThrow(
      'no price for Cloud SQL tier db-n1-standard-1',
    );
  });
});

describe('npm run cost', () => {
  const report = costReport({}, {});
  const byName = Object.fromEntries(report.environments.map((e) => [e.name, e]));

  it('names the date and source of its list prices', () => {
    expect(report.prices.recordedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(report.prices.source).toMatch(/re-check/);
  });

  it.each(['dev', 'staging', 'prod'])('%s: running max ≥ running min > paused', (name) => {
    const e = byName[name]!;
    expect(e.runningMax.total).toBeGreaterThanOrEqual(e.runningMin.total);
    expect(e.runningMin.total).toBeGreaterThan(e.paused.total);
    if (e.hibernated) expect(e.paused.total).toBeGreaterThan(e.hibernated.total);
  });

  it('bills no pods or database compute while paused, and no cluster while hibernated', () => {
    const items = (lines: readonly { item: string }[]) => lines.map((l) => l.item).join('\n');
    expect(items(byName.dev!.paused.lines)).not.toMatch(/Autopilot|Cloud SQL walks-dev/);
    expect(items(byName.dev!.paused.lines)).toMatch(/Cloud SQL SSD/);
    expect(items(byName.dev!.hibernated!.lines)).not.toMatch(/GKE cluster management fee/);
    expect(items(byName.dev!.hibernated!.lines)).toMatch(/Cloud SQL backups/);
    expect(byName.prod!.hibernated).toBeUndefined();
  });

  it('bills Cloud Logging only for container logs beyond the free 50 GiB of each project', () => {
    const line = (name: string) =>
      byName[name]!.runningMin.lines.find((l) => l.item.startsWith('Cloud Logging'))!;
    // dev 0.2 and staging 0.5 GiB a day stay inside the allotment; prod's 2 GiB a day (61 GiB) do not.
    expect(line('dev').monthly).toBe(0);
    expect(line('staging').monthly).toBe(0);
    expect(line('prod').monthly).toBeCloseTo((2 * (730 / 24) - 50) * 0.5, 2);
    expect(byName.dev!.hibernated!.lines.some((l) => l.item.startsWith('Cloud Logging'))).toBe(false);
  });

  it('prices Cloud Trace spans from each environment’s sample ratio', () => {
    const line = (name: string) =>
      byName[name]!.runningMin.lines.find((l) => l.item.startsWith('Cloud Trace'))!;
    const config = loadEnvironments();
    for (const name of ['dev', 'staging', 'prod']) {
      const { millionRequests } = USAGE_ASSUMPTIONS.traffic[name]!;
      const spans = millionRequests * config.environments[name as 'dev'].service.traceSampleRatio * 4;
      expect([name, line(name).monthly]).toEqual([name, Math.round(spans * 0.2 * 100) / 100]);
    }
    expect(byName.dev!.paused.lines.some((l) => l.item.startsWith('Cloud Trace'))).toBe(false);
  });

  it('prices dev on the free-tier credit and Spot Pods, and prod on neither', () => {
    const items = (name: string) => byName[name]!.runningMin.lines.map((l) => l.item).join('\n');
    expect(items('dev')).toMatch(/GKE free-tier credit/);
    expect(items('dev')).toMatch(/Autopilot Spot Pods/);
    expect(items('prod')).not.toMatch(/free-tier credit|Spot/);
  });

  it('doubles Cloud SQL compute and storage for REGIONAL', () => {
    const sql = (name: string) =>
      byName[name]!.runningMin.lines.filter((l) => /^Cloud SQL (walks|SSD)/.test(l.item));
    expect(sql('prod').find((l) => /SSD/.test(l.item))!.item).toMatch(/\(HA\)/);
  });
});

describe('the monthly delta of a change', () => {
  const estimate = (total: number) => ({ environment: 'dev', state: 'running' as const, lines: [], total });
  const report = (dev: number, prodHibernated?: number) => ({
    prices: { recordedOn: '2026-11-23', source: 's', region: 'asia-northeast1' },
    environments: [
      {
        name: 'dev' as const,
        budget: '',
        runningMin: estimate(dev),
        runningMax: estimate(dev),
        paused: estimate(1),
      },
      {
        name: 'prod' as const,
        budget: '',
        runningMin: estimate(9),
        runningMax: estimate(9),
        paused: estimate(1),
        ...(prodHibernated !== undefined ? { hibernated: estimate(prodHibernated) } : {}),
      },
    ],
  });

  it('lists only what moved, with its sign', () => {
    const md = costDeltaMarkdown(report(40, 5), report(52.5))!;
    expect(md).toContain('| dev | running (min) | $40.00 | $52.50 | +$12.50 |');
    expect(md).toContain('| prod | hibernated | $5.00 | n/a | no longer possible |');
    expect(md).not.toMatch(/\| paused \|/);
    expect(costDeltaMarkdown(report(40), report(30))).toContain('−$10.00');
  });

  it('says nothing when no environment moved', () => {
    expect(costDeltaMarkdown(report(40), report(40))).toBeUndefined();
  });
});
