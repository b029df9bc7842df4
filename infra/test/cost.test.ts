import { defaultEnvironment, ENVIRONMENT_NAMES, loadEnvironments } from '../config/environments';
import { estimateEnvironment, sqlTierShape } from '../cost/estimate';
import { PRICE_TABLE } from '../cost/prices-asia-northeast1';

describe('cost estimate', () => {
  const all = loadEnvironments();

  it('names the date and source of its list prices', () => {
    expect(PRICE_TABLE.region).toBe('asia-northeast1');
    expect(PRICE_TABLE.recordedOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICE_TABLE.source).toMatch(/re-check/);
  });

  it.each(ENVIRONMENT_NAMES)(
    '%s: running > paused > hibernated, and the running minimum fits the budget',
    (name) => {
      const env = all.environments[name];
      const [running, paused, hibernated] = (['running', 'paused', 'hibernated'] as const).map(
        (s) => estimateEnvironment(env, s).total,
      );
      expect(running).toBeGreaterThan(paused!);
      expect(paused).toBeGreaterThan(hibernated!);
      expect(running).toBeLessThanOrEqual(env.budget.monthlyAmount);
      expect(estimateEnvironment(env, 'running', env.service.maxReplicas).total).toBeGreaterThan(running!);
    },
  );

  it('bills no compute while paused and no cluster while hibernated', () => {
    const items = (s: 'paused' | 'hibernated') =>
      estimateEnvironment(all.environments.dev, s)
        .lines.map((l) => l.item)
        .join('\n');
    expect(items('paused')).not.toMatch(/Autopilot pods|db-g1-small/);
    expect(items('paused')).toMatch(/Cloud SQL SSD/);
    expect(items('hibernated')).not.toMatch(/GKE cluster management fee/);
    expect(items('hibernated')).toMatch(/Cloud SQL backups/);
  });

  it('doubles Cloud SQL compute and storage for REGIONAL', () => {
    const staging = defaultEnvironment('staging');
    const zonal = estimateEnvironment(staging, 'running').lines;
    const regional = estimateEnvironment(
      { ...staging, database: { ...staging.database, availabilityType: 'REGIONAL' } },
      'running',
    ).lines;
    const sql = (lines: typeof zonal) =>
      lines.filter((l) => /^Cloud SQL (db-|SSD)/.test(l.item)).reduce((a, l) => a + l.monthly, 0);
    expect(sql(regional)).toBeCloseTo(2 * sql(zonal), 6);
  });

  it('refuses a region it has no prices for', () => {
    expect(() =>
      estimateEnvironment({ ...defaultEnvironment('dev'), region: 'us-central1' }, 'running'),
    ).toThrow('no price table for us-central1');
  });

  it('reads custom tiers and refuses a tier it has no price for', () => {
    expect(sqlTierShape('db-custom-2-7680')).toEqual({ vcpu: 2, memoryGib: 7.5 });
    const dev = defaultEnvironment('dev');
    expect(() =>
      estimateEnvironment({ ...dev, database: { ...dev.database, tier: 'db-n1-standard-1' } }, 'running'),
    ).toThrow('no price for Cloud SQL tier db-n1-standard-1');
  });
});
