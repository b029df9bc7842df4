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
    'config/**/*.ts',
    'infra/**/*.ts',
    'charts/**/*.ts',
    'monitoring/**/*.ts',
    '!**/test/**',
    '!**/*.d.ts',
  ],
  coverageReporters: ['text-summary', 'json-summary'],
  // Floors about two points under what a fresh clone measured when they were set
  // (app/src 92.6/83.5/91.5/93.8 %, config 94.1/88.8/98.1/95.3, infra 96.1/82.0/99.0/96.7,
  // charts 81.2/80.2/81.7/83.1, monitoring 93.6/69.5/94.5/94.2: statements/branches/functions/lines),
  // so a real drop fails CI and run-to-run noise does not. Raise them when coverage rises.
  coverageThreshold: {
    './app/src/': { statements: 90, branches: 81, functions: 89, lines: 91 },
    './config/': { statements: 92, branches: 86, functions: 96, lines: 93 },
    './infra/': { statements: 94, branches: 80, functions: 97, lines: 94 },
    './charts/': { statements: 79, branches: 78, functions: 80, lines: 81 },
    './monitoring/': { statements: 91, branches: 67, functions: 92, lines: 92 },
  },
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
