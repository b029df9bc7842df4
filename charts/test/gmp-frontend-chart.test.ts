import { Testing } from 'cdk8s';
import { GmpFrontendChart } from '../cluster/gmp-frontend-chart';
import { MONITORING, prometheusQueryUrl } from '../lib/cluster-addons';
import { selects } from './flagger-generated';
import { K8sObject, validateObjects } from './schema-validation';
import { workloadProblems } from './workload-rules';

type Obj = K8sObject & { spec: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('GMP query frontend chart', () => {
  const objects = Testing.synth(
    new GmpFrontendChart(Testing.app(), 'gmp', {
      projectId: 'tekutoko-dev-example',
      googleServiceAccountId: 'gmp-frontend',
    }),
  ) as Obj[];
  const byKind = (kind: string) => objects.find((o) => o.kind === kind)!;

  it('is schema-valid and restricted', () => {
    expect(validateObjects(objects)).toEqual([]);
    expect(workloadProblems(byKind('Deployment'))).toEqual([]);
  });

  it('serves the URL Flagger and Grafana are given, from pods that query the right project', () => {
    const service = byKind('Service');
    const deployment = byKind('Deployment');
    const url = new URL(prometheusQueryUrl());
    expect(url.hostname).toBe(`${service.metadata!.name}.${service.metadata!.namespace}.svc.cluster.local`);
    expect(service.spec.ports[0].port).toBe(Number(url.port));
    expect(selects(service.spec.selector, deployment.spec.template.metadata.labels)).toBe(true);
    expect(deployment.spec.template.spec.containers[0].args).toContain(
      '--query.project-id=tekutoko-dev-example',
    );
    expect(service.metadata!.namespace).toBe(MONITORING.namespace);
  });

  it('runs as the Google service account given', () => {
    expect(byKind('ServiceAccount').metadata).toMatchObject({
      annotations: {
        'iam.gke.io/gcp-service-account': 'gmp-frontend@tekutoko-dev-example.iam.gserviceaccount.com',
      },
    });
  });
});
