import { GcsBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { WalkServiceProps } from '../../charts/walk-service/props';
import { imageReference } from '../../charts/walk-service/workload';
import { ClusterAccess, PlatformOutputNames } from '../constructs/cluster-access';
import { WalkServiceRelease } from '../constructs/walk-service-release';

export interface AppStackProps {
  readonly stateBucket: string;
  /** State prefix of this stack. */
  readonly statePrefix: string;
  /** State prefix of the platform stack that created the cluster. */
  readonly platformStatePrefix: string;
  readonly platformOutputs: PlatformOutputNames;
  /** walk-service in this environment, image digest included. */
  readonly service: WalkServiceProps;
}

/**
 * `<env>-app`: walk-service itself. Deploying a new image is
 * `WALK_SERVICE_IMAGE_DIGEST=sha256:… cdktf deploy <env>-app`: the migrations
 * Job of that image runs, then the Deployment's pod template changes, and
 * Kubernetes (dev) or Flagger (staging, prod) rolls it out.
 */
export class AppStack extends TerraformStack {
  readonly release: WalkServiceRelease;

  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id);
    new GcsBackend(this, { bucket: props.stateBucket, prefix: props.statePrefix });
    const access = new ClusterAccess(this, 'access', {
      projectId: props.service.projectId,
      region: props.service.region,
      stateBucket: props.stateBucket,
      platformStatePrefix: props.platformStatePrefix,
      outputNames: props.platformOutputs,
    });
    this.release = new WalkServiceRelease(this, 'walk-service', {
      provider: access.kubernetesProvider,
      service: props.service,
    });
    new TerraformOutput(this, 'image', {
      value: imageReference(props.service),
      description: 'Image this stack deploys',
    });
  }
}
