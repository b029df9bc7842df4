import { GcsBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { walkServiceProps } from '../../charts/environments';
import { imageReference } from '../../charts/walk-service/workload';
import { BootstrapConfig, EnvironmentConfig } from '../../config/environments';
import { stackName, statePrefix } from '../../config/names';
import { ClusterAccess } from '../constructs/cluster-access';
import { WalkServiceRelease } from '../constructs/walk-service-release';

export interface AppStackProps {
  readonly env: EnvironmentConfig;
  readonly bootstrap: BootstrapConfig;
  /** Digest of the image to run (`TEKUTOKO_IMAGE_DIGEST`). */
  readonly imageDigest: string;
}

/**
 * `<env>-app`: walk-service itself. Deploying a new image is
 * `TEKUTOKO_IMAGE_DIGEST=sha256:… npx cdktf deploy <env>-app`: the migrations
 * Job of that image runs, then the Deployment's pod template changes and
 * Kubernetes (rolling update) or Flagger (canary) rolls it out.
 */
export class AppStack extends TerraformStack {
  readonly release: WalkServiceRelease;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id);
    const { env, bootstrap } = props;
    new GcsBackend(this, { bucket: bootstrap.stateBucket, prefix: statePrefix(stackName.app(env.name)) });
    const access = new ClusterAccess(this, 'access', {
      projectId: env.projectId,
      region: env.region,
      stateBucket: bootstrap.stateBucket,
      platformStatePrefix: statePrefix(stackName.platform(env.name)),
    });
    const service = walkServiceProps(env, bootstrap, props.imageDigest);
    this.release = new WalkServiceRelease(this, 'walk-service', {
      provider: access.kubernetesProvider,
      service,
    });
    new TerraformOutput(this, 'image', {
      value: imageReference(service),
      description: 'Image this stack deploys',
    });
  }
}
