import { App } from 'cdk8s';
import { ITerraformDependable, Op, TerraformLocal } from 'cdktf';
import { Construct } from 'constructs';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { UNRELEASED_IMAGE_DIGEST } from '../../charts/environments';
import { WalkServiceChart } from '../../charts/walk-service/chart';
import { DatabaseGrantChart } from '../../charts/walk-service/database-grant-chart';
import {
  MIGRATIONS_DEADLINE_SECONDS,
  MIGRATIONS_TERRAFORM_MARGIN_SECONDS,
  MigrationsChart,
} from '../../charts/walk-service/migrations-chart';
import { WalkServiceProps } from '../../charts/walk-service/props';
import { KubernetesManifests } from './kubernetes-manifests';

export interface WalkServiceReleaseProps {
  readonly provider: KubernetesProvider;
  /** The chart's props: image digest, identity, replicas, canary, ... */
  readonly service: WalkServiceProps;
  /** @default none — what must exist first (namespace, database, IAM grants). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * One release of walk-service into a namespace that exists: the migrations Job
 * of this image runs to completion first (Terraform waits for its Complete
 * condition, and a failure stops the deploy before any pod changes), then the
 * chart's objects are applied. A new digest renames the Job and changes the
 * pod template — the rollout (or, with Flagger, the canary analysis) follows.
 */
export class WalkServiceRelease extends Construct {
  readonly chart: WalkServiceChart;
  /** The database admin's grant Job (the service user may create its tables); before migrations. */
  readonly databaseGrant: KubernetesManifests;
  readonly migrations: KubernetesManifests;
  readonly objects: KubernetesManifests;
  /** Terraform local holding the image digest; the Job's precondition refuses the placeholder. */
  readonly imageDigest: TerraformLocal;

  constructor(scope: Construct, id: string, props: WalkServiceReleaseProps) {
    super(scope, id);
    const app = new App();
    this.chart = new WalkServiceChart(app, 'walk-service', props.service);
    // The Job runs as the service account the service chart creates.
    const serviceAccount = new KubernetesManifests(this, 'identity', {
      provider: props.provider,
      source: this.chart
        .toJson()
        .filter((o: { kind: string }) => o.kind === 'ServiceAccount' || o.kind === 'SecretProviderClass'),
      // Its namespace and the Google service account it names exist first.
      dependsOn: props.dependsOn,
    });
    const complete = { Job: [{ type: 'Complete', status: 'True' }] };
    // PostgreSQL 15+ gives a new IAM user no CREATE on public: the admin grants it first.
    this.databaseGrant = new KubernetesManifests(this, 'database-grant', {
      provider: props.provider,
      source: new DatabaseGrantChart(app, 'database-grant', props.service),
      waitConditions: complete,
      timeout: '10m',
      dependsOn: props.dependsOn,
    });
    this.migrations = new KubernetesManifests(this, 'migrations', {
      provider: props.provider,
      source: new MigrationsChart(app, 'migrations', props.service),
      waitConditions: complete,
      timeout: `${MIGRATIONS_DEADLINE_SECONDS + MIGRATIONS_TERRAFORM_MARGIN_SECONDS}s`,
      dependsOn: [
        ...(props.dependsOn ?? []),
        ...Object.values(serviceAccount.manifests),
        ...Object.values(this.databaseGrant.manifests),
      ],
    });
    // Synth works without a digest (for review); a plan refuses to deploy the placeholder. The
    // condition reads a local, not a constant: Terraform rejects a condition that refers to nothing.
    this.imageDigest = new TerraformLocal(this, 'image_digest', props.service.imageDigest);
    for (const job of Object.values(this.migrations.manifests)) {
      job.lifecycle = {
        ...job.lifecycle,
        precondition: [
          {
            condition: Op.neq(this.imageDigest.asString, UNRELEASED_IMAGE_DIGEST),
            errorMessage:
              'No image digest: set TEKUTOKO_IMAGE_DIGEST=sha256:… (the digest CI pushed) and deploy again.',
          },
        ],
      };
    }
    const errors = this.chart.node.validate();
    if (errors.length > 0) throw new Error(`walk-service chart: ${errors.join('; ')}`);
    this.objects = new KubernetesManifests(this, 'service', {
      provider: props.provider,
      source: this.chart
        .toJson()
        .filter((o: { kind: string }) => o.kind !== 'ServiceAccount' && o.kind !== 'SecretProviderClass'),
      dependsOn: [...Object.values(this.migrations.manifests), ...Object.values(serviceAccount.manifests)],
    });
  }
}
