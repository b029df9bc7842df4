import {
  defaultEnvironment,
  ENVIRONMENT_NAMES,
  EnvironmentConfigError,
  environmentConfig,
  envVarForKey,
  loadEnvironments,
  previewPullRequest,
  validateEnvironment,
} from '../../config/environments';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof EnvironmentConfigError) return e.problems;
    throw e;
  }
  throw new Error('expected an EnvironmentConfigError');
}

describe('environments config', () => {
  it('loads dev, staging and prod with example placeholders only', () => {
    const all = loadEnvironments();
    expect(Object.keys(all.environments)).toEqual([...ENVIRONMENT_NAMES]);
    for (const name of ENVIRONMENT_NAMES) {
      const env = all.environments[name];
      expect(env.projectId).toMatch(/-example$/);
      expect(env.domain).toMatch(/\.example$/);
    }
    expect(all.bootstrap.billingAccount).toBe('000000-000000-000000');
    expect(all.previewPr).toBeUndefined();
  });

  it('holds the DESIGN.md table', () => {
    const { dev, staging, prod } = loadEnvironments().environments;
    expect([dev, staging, prod].map((e) => e.database.edition)).toEqual([
      'ENTERPRISE',
      'ENTERPRISE',
      'ENTERPRISE',
    ]);
    expect(dev.database.tier).toMatch(/^db-(f1-micro|g1-small)$/);
    expect(dev.database.availabilityType).toBe('ZONAL');
    expect(dev.database.pointInTimeRecovery).toBe(false);
    expect(staging.database.tier).toMatch(/^db-custom-/);
    expect(staging.database.pointInTimeRecovery).toBe(true);
    expect(prod.database.availabilityType).toBe('REGIONAL');
    expect(prod.database.backupRetentionCount).toBe(30);
    expect([dev.service.minReplicas, dev.service.maxReplicas, dev.service.canary]).toEqual([1, 2, null]);
    expect([staging.service.minReplicas, staging.service.maxReplicas]).toEqual([2, 4]);
    expect([prod.service.minReplicas, prod.service.maxReplicas]).toEqual([3, 10]);
    expect(prod.service.canary?.stepWeights).toEqual([10, 25, 50]);
    expect(staging.service.canary?.stepWeights).toEqual([10, 50]);
    expect(prod.gke.binaryAuthorization && prod.gke.deletionProtection).toBe(true);
    expect(dev.hostsPreviews && !staging.hostsPreviews && !prod.hostsPreviews).toBe(true);
  });

  it('takes ids from context before env vars', () => {
    const env = {
      TEKUTOKO_PROD_PROJECT_ID: 'acme-prod-from-env',
      TEKUTOKO_DEV_PROJECT_ID: 'acme-dev-from-env',
    };
    const all = loadEnvironments(
      { 'prod.projectId': 'acme-prod-from-ctx', 'dev.paused': 'true', 'dev.domain': 'dev.acme.example' },
      env,
    );
    expect(all.environments.prod.projectId).toBe('acme-prod-from-ctx');
    expect(all.environments.dev.projectId).toBe('acme-dev-from-env');
    expect(all.environments.dev.paused).toBe(true);
    expect(all.environments.dev.hostname).toBe('api.dev.acme.example');
    expect(envVarForKey('bootstrap.projectId')).toBe('TEKUTOKO_BOOTSTRAP_PROJECT_ID');
    expect(envVarForKey('pr')).toBe('PREVIEW_PR');
  });

  it('rejects a prod without HA or deletion protection, naming field, value and fix', () => {
    const prod = defaultEnvironment('prod');
    const problems = problemsOf(() =>
      validateEnvironment({
        ...prod,
        database: { ...prod.database, availabilityType: 'ZONAL', terraformDeletionProtection: false },
        gke: { ...prod.gke, deletionProtection: false },
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        `environments.prod.database.availabilityType: got "ZONAL"; prod must be highly available; set database.availabilityType: 'REGIONAL'`,
        'environments.prod.database.terraformDeletionProtection: got false; prod keeps both deletion protections; set database.terraformDeletionProtection: true',
        'environments.prod.gke.deletionProtection: got false; prod clusters are deletion-protected; set gke.deletionProtection: true',
      ]),
    );
  });

  it('rejects staging without PITR and with OWASP rules in preview', () => {
    const staging = defaultEnvironment('staging');
    const problems = problemsOf(() =>
      validateEnvironment({
        ...staging,
        database: { ...staging.database, pointInTimeRecovery: false },
        edge: { ...staging.edge, owaspRulesMode: 'preview' },
      }),
    );
    expect(problems.join('\n')).toMatch(
      /staging\.database\.pointInTimeRecovery: got false; .*pointInTimeRecovery: true/,
    );
    expect(problems.join('\n')).toMatch(/staging\.edge\.owaspRulesMode: got "preview"; .*'enforce'/);
  });

  it('rejects an Enterprise Plus tier under ENTERPRISE and a shared-core REGIONAL instance', () => {
    const dev = defaultEnvironment('dev');
    expect(
      problemsOf(() =>
        validateEnvironment({ ...dev, database: { ...dev.database, availabilityType: 'REGIONAL' } }),
      ),
    ).toEqual([
      expect.stringContaining('environments.dev.database.availabilityType: got "REGIONAL"; shared-core'),
    ]);
    expect(
      problemsOf(() =>
        validateEnvironment({ ...dev, database: { ...dev.database, tier: 'db-perf-optimized-N-2' } }),
      ),
    ).toEqual([expect.stringContaining('need edition ENTERPRISE_PLUS')]);
  });

  it('moves bootstrap state into the bucket only when told', () => {
    expect(loadEnvironments().bootstrap.stateInBucket).toBe(false);
    expect(loadEnvironments({ 'bootstrap.stateInBucket': 'true' }).bootstrap.stateInBucket).toBe(true);
  });

  it('refuses to hibernate a deletion-protected cluster', () => {
    expect(problemsOf(() => loadEnvironments({ 'prod.hibernated': 'true' }))).toEqual([
      'environments.prod.hibernated: got true; a deletion-protected cluster cannot be removed; hibernate needs gke.deletionProtection: false',
    ]);
  });

  it('checks canary shape and replica ranges', () => {
    const staging = defaultEnvironment('staging');
    const problems = problemsOf(() =>
      validateEnvironment({
        ...staging,
        service: {
          ...staging.service,
          maxReplicas: 1,
          canary: { ...staging.service.canary!, stepWeights: [50, 10] },
        },
      }),
    );
    expect(problems.join('\n')).toContain('service.maxReplicas: got 1; set it >= service.minReplicas (2)');
    expect(problems.join('\n')).toContain('service.canary.stepWeights: got [50,10]; weights must increase');
  });

  it('reports bad overrides with the value and every problem at once', () => {
    const problems = problemsOf(() =>
      loadEnvironments({ 'dev.domain': 'Not A Domain', pr: 'abc' }, { TEKUTOKO_BILLING_ACCOUNT: 'nope' }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^bootstrap\.billingAccount: must look like .* \(got "nope"\)$/),
        expect.stringMatching(/^environments\.dev\.domain: must be a DNS name .* \(got "Not A Domain"\)$/),
        expect.stringMatching(/^pr: got "abc"; give a pull request number/),
      ]),
    );
  });

  it('reads the preview PR from context or PREVIEW_PR', () => {
    expect(previewPullRequest({ pr: '12' })).toBe(12);
    expect(previewPullRequest({}, { PREVIEW_PR: '34' })).toBe(34);
    expect(previewPullRequest({})).toBeUndefined();
    expect(() => previewPullRequest({ pr: '0' })).toThrow(/1\.\.999999/);
  });

  it('refuses an unknown environment name', () => {
    expect(() => environmentConfig('qa' as never)).toThrow('use one of dev, staging, prod');
  });
});

describe('requireContext (every synth a deploy or plan uses)', () => {
  const full: Record<string, string> = {
    'bootstrap.projectId': 'acme-ops-123',
    billingAccount: '012345-6789AB-CDEF01',
    githubRepository: 'acme/platform',
    githubRepositoryId: '123456',
    githubRepositoryOwnerId: '7890',
    ...Object.fromEntries(
      ENVIRONMENT_NAMES.flatMap((n) => [
        [`${n}.projectId`, `acme-${n}-123`],
        [`${n}.domain`, `${n}.acme.example`],
      ]),
    ),
  };

  it('fails naming every missing key and its variable instead of using a placeholder', () => {
    const { githubRepositoryId: _id, 'prod.domain': _domain, ...partial } = full;
    expect(() => loadEnvironments(partial, { TEKUTOKO_REQUIRE_CONTEXT: 'true' })).toThrow(
      /githubRepositoryId \[TEKUTOKO_GITHUB_REPOSITORY_ID\]: required for a deploy or plan[\s\S]*prod\.domain \[TEKUTOKO_PROD_DOMAIN\]/,
    );
    expect(() => loadEnvironments({}, {}, { requireContext: true })).toThrow(
      'githubRepositoryOwnerId [TEKUTOKO_GITHUB_REPOSITORY_OWNER_ID]',
    );
  });

  it('accepts a complete context, from context or env vars', () => {
    expect(loadEnvironments(full, {}, { requireContext: true }).bootstrap.githubRepositoryId).toBe('123456');
    const env = Object.fromEntries(Object.entries(full).map(([k, v]) => [envVarForKey(k), v]));
    expect(
      loadEnvironments({}, { ...env, TEKUTOKO_REQUIRE_CONTEXT: 'true' }).bootstrap.githubRepositoryOwnerId,
    ).toBe('7890');
  });

  it('without it, the trust anchor is an id no GitHub token carries', () => {
    const b = loadEnvironments().bootstrap;
    expect([b.githubRepositoryId, b.githubRepositoryOwnerId]).toEqual(['0', '0']);
  });
});
