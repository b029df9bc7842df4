import { serviceIdentity, serviceImage } from '../../config/names';
import { WalkServiceProps } from '../walk-service/props';

/** Props of a canary environment with placeholder project values. */
export function canaryProps(overrides: Partial<WalkServiceProps> = {}): WalkServiceProps {
  return {
    appEnv: 'prod',
    projectId: 'tekutoko-prod-example',
    region: 'asia-northeast1',
    identity: serviceIdentity(),
    imageRepository: serviceImage('asia-northeast1', 'tekutoko-ops-example'),
    imageDigest: `sha256:${'ab'.repeat(32)}`,
    cloudSqlInstanceConnectionName: 'tekutoko-prod-example:asia-northeast1:walks',
    hostname: 'api.tekutoko.example',
    minReplicas: 3,
    maxReplicas: 10,
    resources: { cpuMillis: 250, memoryMiB: 256 },
    canary: {
      stepWeights: [10, 50],
      intervalSeconds: 300,
      routeUpdateWaitSeconds: 60,
      failedChecksBeforeRollback: 2,
      loadTestRequestsPerSecond: 2,
    },
    firebaseProjectId: 'tekutoko-prod-example',
    rolloutPercent: 10,
    databaseCidrs: ['10.20.0.0/16'],
    walkImagesBucket: 'tekutoko-prod-example-walk-images',
    ...overrides,
  };
}

/** Props of a rolling-update environment (dev-like). */
export function rollingProps(overrides: Partial<WalkServiceProps> = {}): WalkServiceProps {
  return canaryProps({
    appEnv: 'dev',
    projectId: 'tekutoko-dev-example',
    cloudSqlInstanceConnectionName: 'tekutoko-dev-example:asia-northeast1:walks',
    hostname: 'api.dev.tekutoko.example',
    minReplicas: 1,
    maxReplicas: 2,
    canary: undefined,
    firebaseProjectId: 'tekutoko-dev-example',
    ...overrides,
  });
}
