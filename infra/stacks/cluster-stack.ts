import { App as Cdk8sApp } from 'cdk8s';
import { GcsBackend, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { CertificateManagerCertificate } from '@cdktf/provider-google/lib/certificate-manager-certificate';
import { CertificateManagerCertificateMap } from '@cdktf/provider-google/lib/certificate-manager-certificate-map';
import { CertificateManagerCertificateMapEntry } from '@cdktf/provider-google/lib/certificate-manager-certificate-map-entry';
import { CertificateManagerDnsAuthorization } from '@cdktf/provider-google/lib/certificate-manager-dns-authorization';
import { ComputeGlobalAddress } from '@cdktf/provider-google/lib/compute-global-address';
import { ProjectIamMember } from '@cdktf/provider-google/lib/project-iam-member';
import { ServiceAccount } from '@cdktf/provider-google/lib/service-account';
import { ServiceAccountIamMember } from '@cdktf/provider-google/lib/service-account-iam-member';
import { ClusterBaseChart } from '../../charts/cluster/cluster-base-chart';
import { GATEWAY_EDGE, MONITORING } from '../../charts/lib/cluster-addons';
import { ClusterAccess, PlatformOutputNames } from '../constructs/cluster-access';
import { ClusterAddons, ObservabilityValues } from '../constructs/cluster-addons';
import { KubernetesManifests } from '../constructs/kubernetes-manifests';

export interface ClusterStackProps {
  readonly projectId: string;
  readonly region: string;
  /** DNS zone the Gateway serves: the certificate covers it and `*.<domain>`. */
  readonly domain: string;
  readonly stateBucket: string;
  /** State prefix of this stack. */
  readonly statePrefix: string;
  /** State prefix of the platform stack that created the cluster. */
  readonly platformStatePrefix: string;
  readonly platformOutputs: PlatformOutputNames;
  /** @default {} — Grafana, Loki and Alloy values from the monitoring layer. */
  readonly observabilityValues?: ObservabilityValues;
}

/** Google service account of the Managed Prometheus query frontend. */
export const QUERY_FRONTEND_GSA_ID = MONITORING.frontendGoogleServiceAccountId;

/**
 * `<env>-cluster`: what every workload in the cluster shares — namespaces,
 * the Gateway with its address and certificate, Flagger, the observability
 * add-ons and the Managed Prometheus query frontend.
 */
export class ClusterStack extends TerraformStack {
  readonly access: ClusterAccess;
  readonly base: KubernetesManifests;
  readonly addons: ClusterAddons;
  readonly baseChart: ClusterBaseChart;
  readonly queryFrontendServiceAccount: ServiceAccount;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id);
    if (!/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/.test(props.domain)) {
      throw new Error(`${id}: domain must be a DNS name like dev.tekutoko.example, got "${props.domain}"`);
    }
    new GcsBackend(this, { bucket: props.stateBucket, prefix: props.statePrefix });
    this.access = new ClusterAccess(this, 'access', {
      projectId: props.projectId,
      region: props.region,
      stateBucket: props.stateBucket,
      platformStatePrefix: props.platformStatePrefix,
      outputNames: props.platformOutputs,
    });
    const google = this.access.googleProvider;

    // Edge: a reserved global address and a Google-managed certificate for the domain and its subdomains.
    const address = new ComputeGlobalAddress(this, 'gateway-address', {
      provider: google,
      name: GATEWAY_EDGE.addressName,
    });
    const dnsAuth = new CertificateManagerDnsAuthorization(this, 'dns-authorization', {
      provider: google,
      name: `gateway-${props.domain.replace(/\./g, '-')}`.slice(0, 63),
      domain: props.domain,
    });
    const certificate = new CertificateManagerCertificate(this, 'certificate', {
      provider: google,
      name: 'gateway-external',
      managed: { domains: [props.domain, `*.${props.domain}`], dnsAuthorizations: [dnsAuth.id] },
    });
    const certMap = new CertificateManagerCertificateMap(this, 'certificate-map', {
      provider: google,
      name: GATEWAY_EDGE.certificateMapName,
    });
    new CertificateManagerCertificateMapEntry(this, 'certificate-map-entry', {
      provider: google,
      name: 'primary',
      map: certMap.name,
      matcher: 'PRIMARY',
      certificates: [certificate.id],
    });
    new TerraformOutput(this, 'gateway_ip_address', {
      value: address.address,
      description: `A record for ${props.domain} and *.${props.domain}`,
    });
    new TerraformOutput(this, 'dns_authorization_record', {
      value: dnsAuth.dnsResourceRecord,
      description: 'CNAME to publish so Certificate Manager can issue the certificate',
    });

    // The query frontend reads Cloud Monitoring as its own Google service account.
    this.queryFrontendServiceAccount = new ServiceAccount(this, 'query-frontend-gsa', {
      provider: google,
      accountId: QUERY_FRONTEND_GSA_ID,
      displayName: 'Managed Prometheus query frontend (Flagger, Grafana)',
    });
    new ProjectIamMember(this, 'query-frontend-monitoring-viewer', {
      provider: google,
      project: props.projectId,
      role: 'roles/monitoring.viewer',
      member: this.queryFrontendServiceAccount.member,
    });
    new ServiceAccountIamMember(this, 'query-frontend-workload-identity', {
      provider: google,
      serviceAccountId: this.queryFrontendServiceAccount.name,
      role: 'roles/iam.workloadIdentityUser',
      member: `serviceAccount:${props.projectId}.svc.id.goog[${MONITORING.namespace}/${MONITORING.frontendName}]`,
    });

    this.baseChart = new ClusterBaseChart(new Cdk8sApp(), 'cluster-base', {
      gatewayAddressName: address.name,
      certificateMapName: certMap.name,
    });
    this.base = new KubernetesManifests(this, 'base', {
      provider: this.access.kubernetesProvider,
      source: this.baseChart,
    });
    this.addons = new ClusterAddons(this, 'addons', {
      helmProvider: this.access.helmProvider,
      kubernetesProvider: this.access.kubernetesProvider,
      projectId: props.projectId,
      queryFrontendServiceAccountId: QUERY_FRONTEND_GSA_ID,
      observabilityValues: props.observabilityValues,
      dependsOn: [...Object.values(this.base.manifests), this.queryFrontendServiceAccount],
    });
  }
}
