/* eslint-disable @typescript-eslint/no-explicit-any */
import { Testing, TerraformStack } from 'cdktf';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider';
import { FLAGGER, GATEWAY_EDGE, MONITORING, prometheusQueryUrl } from '../../charts/lib/cluster-addons';
import { LABEL } from '../../charts/lib/labels';
import { validateObjects } from '../../charts/test/schema-validation';
import { workloadProblems } from '../../charts/test/workload-rules';
import { loadEnvironments } from '../../config/environments';
import { GATEWAY, SERVICE_NAMESPACE } from '../../config/names';
import { ADDON_CHARTS } from '../constructs/cluster-addons';
import { PinnedHelmRelease } from '../constructs/helm-release';
import { KubernetesManifests } from '../constructs/kubernetes-manifests';
import { ClusterStack, ClusterStackProps, QUERY_FRONTEND_GSA_ID } from '../stacks/cluster-stack';

const { bootstrap, environments } = loadEnvironments();
const env = environments.dev;
const props: ClusterStackProps = { env, bootstrap };

function synth(p: ClusterStackProps = props): any {
  return JSON.parse(Testing.synth(new ClusterStack(Testing.app(), 'dev-cluster', p)));
}
const manifests = (json: any) => Object.values(json.resource.kubernetes_manifest).map((m: any) => m.manifest);
const manifest = (json: any, kind: string, name: string) =>
  manifests(json).find((m: any) => m.kind === kind && m.metadata.name === name);
const releases = (json: any) => Object.values(json.resource.helm_release) as any[];
const release = (json: any, name: string) => releases(json).find((r) => r.name === name);

describe('ClusterStack', () => {
  const json = synth();

  it('reaches the cluster through the platform stack remote state, never its own resources', () => {
    const remote = Object.values(json.data.terraform_remote_state) as any[];
    expect(remote).toEqual([
      expect.objectContaining({
        backend: 'gcs',
        config: { bucket: bootstrap.stateBucket, prefix: 'stacks/dev-platform' },
      }),
    ]);
    expect(json.provider.kubernetes[0].host).toMatch(
      /^https:\/\/\$\{data\.terraform_remote_state\..*\.outputs\.cluster_endpoint\}$/,
    );
    expect(json.provider.helm[0].kubernetes.host).toBe(json.provider.kubernetes[0].host);
    expect(json.provider.kubernetes[0].token).toBeUndefined();
    expect(json.provider.kubernetes[0].exec[0].command).toBe('gke-gcloud-auth-plugin');
    expect(json.resource.google_container_cluster).toBeUndefined();
    expect(json.terraform.backend.gcs).toEqual({
      bucket: bootstrap.stateBucket,
      prefix: 'stacks/dev-cluster',
    });
  });

  it('pins every Helm release to an exact chart version and rolls back failed upgrades', () => {
    expect(
      releases(json)
        .map((r) => r.chart)
        .sort(),
    ).toEqual(
      Object.values(ADDON_CHARTS)
        .map((c) => c.chart)
        .sort(),
    );
    for (const r of releases(json)) {
      expect(r.version).toMatch(/^\d+\.\d+\.\d+$/);
      expect(r).toMatchObject({ atomic: true, wait: true });
    }
  });

  it('runs Flagger with the Gateway API provider against the Managed Prometheus query frontend', () => {
    const values = JSON.parse(release(json, 'flagger').values[0]);
    expect(values).toMatchObject({
      meshProvider: 'gatewayapi:v1',
      metricsServer: prometheusQueryUrl(),
      prometheus: { install: false },
    });
    expect(release(json, 'flagger').namespace).toBe(FLAGGER.namespace);
    expect(release(json, FLAGGER.loadTesterName).namespace).toBe(FLAGGER.namespace);
    const frontend = manifest(json, 'Service', MONITORING.frontendName);
    expect(
      `http://${frontend.metadata.name}.${frontend.metadata.namespace}.svc.cluster.local:${frontend.spec.ports[0].port}`,
    ).toBe(prometheusQueryUrl());
  });

  it('binds the query frontend KSA to its Google service account with Workload Identity', () => {
    const ksa = manifest(json, 'ServiceAccount', MONITORING.frontendName);
    const binding = Object.values(json.resource.google_service_account_iam_member)[0] as any;
    expect(binding.role).toBe('roles/iam.workloadIdentityUser');
    expect(binding.member).toBe(
      `serviceAccount:${env.projectId}.svc.id.goog[${ksa.metadata.namespace}/${ksa.metadata.name}]`,
    );
    expect(ksa.metadata.annotations['iam.gke.io/gcp-service-account']).toBe(
      `${QUERY_FRONTEND_GSA_ID}@${env.projectId}.iam.gserviceaccount.com`,
    );
    const gsa = Object.values(json.resource.google_service_account)[0] as any;
    expect(gsa.account_id).toBe(QUERY_FRONTEND_GSA_ID);
    const viewer = Object.values(json.resource.google_project_iam_member)[0] as any;
    expect(viewer.role).toBe('roles/monitoring.viewer');
  });

  it('serves the shared Gateway with the platform certificate map and address, to labelled namespaces only', () => {
    const gateway = manifest(json, 'Gateway', GATEWAY.name);
    expect(gateway.metadata.namespace).toBe(GATEWAY.namespace);
    expect(gateway.spec.gatewayClassName).toBe('gke-l7-global-external-managed');
    // Created by <env>-platform (they outlive hibernation), named by the shared constants.
    expect(gateway.metadata.annotations['networking.gke.io/certmap']).toBe(GATEWAY_EDGE.certificateMapName);
    expect(gateway.spec.addresses[0].value).toBe(GATEWAY_EDGE.addressName);
    expect(json.resource.google_certificate_manager_certificate_map).toBeUndefined();
    const https = gateway.spec.listeners.find((l: any) => l.protocol === 'HTTPS');
    const selector = https.allowedRoutes.namespaces.selector.matchLabels;
    const ns = manifest(json, 'Namespace', SERVICE_NAMESPACE);
    expect(Object.entries(selector).every(([k, v]) => ns.metadata.labels[k] === v)).toBe(true);
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(selector).toEqual({ [LABEL.gatewayAccess]: 'true' });
  });

  it('answers plain HTTP with a redirect only where the environment pays for the second forwarding rule', () => {
    const listeners = (j: any) =>
      manifest(j, 'Gateway', GATEWAY.name).spec.listeners.map((l: any) => l.protocol);
    expect(env.edge.httpRedirectListener).toBe(false);
    expect(listeners(json)).toEqual(['HTTPS']);
    expect(manifest(json, 'HTTPRoute', 'https-redirect')).toBeUndefined();
    const withRedirect = synth({
      ...props,
      env: { ...env, edge: { ...env.edge, httpRedirectListener: true } },
    });
    expect(listeners(withRedirect)).toEqual(['HTTPS', 'HTTP']);
    expect(manifest(withRedirect, 'HTTPRoute', 'https-redirect').spec.parentRefs[0].sectionName).toBe('http');
    expect(environments.prod.edge.httpRedirectListener).toBe(true);
  });

  it('puts every add-on on Spot Pods where the environment asks for them', () => {
    expect(env.gke.spotPods).toBe(true);
    const paths: Record<string, (v: any) => any> = {
      flagger: (v) => v.nodeSelector,
      'flagger-loadtester': (v) => v.nodeSelector,
      grafana: (v) => v.nodeSelector,
      loki: (v) => v.singleBinary.nodeSelector,
      alloy: (v) => v.controller.nodeSelector,
      keda: (v) => v.nodeSelector,
    };
    for (const r of releases(json)) {
      const values = Object.assign({}, ...r.values.map((v: string) => JSON.parse(v)));
      expect([r.name, paths[r.name]!(values)]).toEqual([r.name, { 'cloud.google.com/gke-spot': 'true' }]);
    }
    const prod = synth({ ...props, env: { ...env, gke: { ...env.gke, spotPods: false } } });
    for (const r of releases(prod)) expect(r.values.join('')).not.toContain('gke-spot');
  });

  it('applies only schema-valid, restricted objects', () => {
    expect(validateObjects(manifests(json))).toEqual([]);
    for (const d of manifests(json).filter((m: any) => m.kind === 'Deployment'))
      expect(workloadProblems(d)).toEqual([]);
  });

  it('ships pod logs to Loki labelled with namespace and the pod app label (the log selectors use both)', () => {
    const alloy = JSON.parse(release(json, 'alloy').values[0]);
    const config: string = alloy.alloy.configMap.content;
    expect(config).toMatch(/source_labels = \["__meta_kubernetes_pod_label_app"\]\s+target_label\s+= "app"/);
    expect(config).toMatch(
      /source_labels = \["__meta_kubernetes_namespace"\]\s+target_label\s+= "namespace"/,
    );
    const loki = JSON.parse(release(json, 'loki').values[0]);
    expect(config).toContain(
      `loki.${loki.namespace ?? 'monitoring'}.svc.cluster.local:3100/loki/api/v1/push`,
    );
  });

  it('merges the monitoring layer values over the defaults', () => {
    const merged = synth({
      ...props,
      observabilityValues: { grafana: { persistence: { enabled: true }, adminUser: 'sre' } },
    });
    const values = JSON.parse(release(merged, 'grafana').values[0].replace(/\$\$\{/g, '${'));
    expect(values.persistence).toEqual({ enabled: true });
    expect(values.adminUser).toBe('sre');
    expect(values.datasources['datasources.yaml'].datasources[0].url).toBe(prometheusQueryUrl());
  });

  it('applies the monitoring layer objects after the namespaces, schema-valid', () => {
    const rules = {
      apiVersion: 'monitoring.googleapis.com/v1',
      kind: 'Rules',
      metadata: { name: 'walk-service-slo', namespace: SERVICE_NAMESPACE },
      spec: { groups: [{ name: 'slo', interval: '30s', rules: [{ record: 'x:y', expr: 'sum(up)' }] }] },
    };
    const withRules = synth({ ...props, observabilityObjects: [rules] });
    const [applied] = Object.values(withRules.resource.kubernetes_manifest).filter(
      (m: any) => m.manifest.kind === 'Rules',
    ) as any[];
    expect(applied.manifest).toEqual(rules);
    expect(applied.depends_on.length).toBeGreaterThan(0);
    expect(validateObjects([applied.manifest])).toEqual([]);
    expect(validateObjects([{ ...rules, spec: { groups: [], bogus: true } }]).join()).toMatch(/bogus/);
  });

  it('escapes Terraform template syntax in values (Grafana dashboards use ${var})', () => {
    const merged = synth({
      ...props,
      observabilityValues: { grafana: { dashboard: 'rate(x{job="$job"}[${__interval}])' } },
    });
    expect(release(merged, 'grafana').values[0]).toContain('$${__interval}');
  });

  it('rejects a chart version range and a duplicate object, naming the problem', () => {
    const stack = new TerraformStack(Testing.app(), 's');
    const helm = new HelmProvider(stack, 'helm', {});
    expect(
      () =>
        new PinnedHelmRelease(stack, 'x', {
          provider: helm,
          repository: 'https://flagger.app',
          chart: 'flagger',
          version: '^1.44',
          namespace: 'x',
        }),
    ).toThrow(/version must be an exact chart version like 1\.2\.3, got "\^1\.44"/);
    const k8s = new KubernetesProvider(stack, 'k8s', {});
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } };
    expect(() => new KubernetesManifests(stack, 'm', { provider: k8s, source: [ns, ns] })).toThrow(
      /Namespace\/_cluster\/a appears twice/,
    );
    const templated = { ...ns, metadata: { name: 'b', annotations: { x: '${oops}' } } };
    expect(() => new KubernetesManifests(stack, 'n', { provider: k8s, source: [templated] })).toThrow(
      /Terraform would interpolate/,
    );
  });
});
