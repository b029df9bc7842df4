/** Jest projects: the service runs against real PostgreSQL and the Auth emulator
 * (started once by the global setup); the other layers test synthesized artefacts. */
// isolatedModules in tsconfig.json makes ts-jest transpile each file alone (no type check: `npm run typecheck` does that).
const tsJest = ['ts-jest', {}];
const base = { testEnvironment: 'node', transform: { '^.+\\.ts$': tsJest } };

module.exports = {
  testTimeout: 30000,
  // `npm test` runs with --coverage; CI fails below these floors (set just under the measured figures).
  collectCoverageFrom: [
    'app/src/**/*.ts',
    'infra/**/*.ts',
    'charts/**/*.ts',
    'monitoring/**/*.ts',
    '!**/test/**',
    '!**/*.d.ts',
  ],
  coverageReporters: ['text-summary', 'json-summary'],
  projects: [
    {
      ...base,
      displayName: 'app',
      testMatch: ['<rootDir>/app/test/**/*.test.ts'],
      globalSetup: '<rootDir>/app/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/app/test/harness/global-teardown.ts',
    },
    { ...base, displayName: 'infra', testMatch: ['<rootDir>/infra/test/**/*.test.ts'] },
    { ...base, displayName: 'charts', testMatch: ['<rootDir>/charts/test/**/*.test.ts'] },
    { ...base, displayName: 'monitoring', testMatch: ['<rootDir>/monitoring/test/**/*.test.ts'] },
    { ...base, displayName: 'workflows', testMatch: ['<rootDir>/.github/test/**/*.test.ts'] },
  ],
};
