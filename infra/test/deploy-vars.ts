/**
 * Every deploy key set to a real-looking value, as a deploy job's `env:`
 * block sets them: what the operator CLIs (ops-job, cutover, app-operator)
 * see when an SRE runs them.
 */
import { DEPLOY_REQUIRED_KEYS, envVarForKey } from '../../config/environments';

export const DEPLOY_VARS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(DEPLOY_REQUIRED_KEYS.map((k) => [envVarForKey(k), ''])),
  TEKUTOKO_BOOTSTRAP_PROJECT_ID: 'ops-real-1',
  TEKUTOKO_BILLING_ACCOUNT: '012345-6789AB-CDEF01',
  TEKUTOKO_GITHUB_REPOSITORY: 'acme/tekutoko-platform',
  TEKUTOKO_GITHUB_REPOSITORY_ID: '123456',
  TEKUTOKO_GITHUB_REPOSITORY_OWNER_ID: '654321',
  TEKUTOKO_DEV_PROJECT_ID: 'real-dev-123',
  TEKUTOKO_DEV_DOMAIN: 'dev.acme.test',
  TEKUTOKO_STAGING_PROJECT_ID: 'real-staging-123',
  TEKUTOKO_STAGING_DOMAIN: 'staging.acme.test',
  TEKUTOKO_PROD_PROJECT_ID: 'real-prod-123',
  TEKUTOKO_PROD_DOMAIN: 'acme.test',
};

/** The image a deploy runs, by digest (`fill` makes each test's digest its own). */
export const releaseImage = (fill: string) =>
  `asia-northeast1-docker.pkg.dev/ops-real-1/tekutoko/walk-service@sha256:${fill.repeat(64)}`;
