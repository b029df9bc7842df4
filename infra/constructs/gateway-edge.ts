import { Construct } from 'constructs';
import { CertificateManagerCertificate } from '@cdktf/provider-google/lib/certificate-manager-certificate';
import { CertificateManagerCertificateMap } from '@cdktf/provider-google/lib/certificate-manager-certificate-map';
import { CertificateManagerCertificateMapEntry } from '@cdktf/provider-google/lib/certificate-manager-certificate-map-entry';
import { CertificateManagerDnsAuthorization } from '@cdktf/provider-google/lib/certificate-manager-dns-authorization';
import { ComputeGlobalAddress } from '@cdktf/provider-google/lib/compute-global-address';

export interface GatewayEdgeProps {
  readonly projectId: string;
  /** The domain; the certificate covers it and `*.<domain>`. */
  readonly domain: string;
  /** Name of the reserved global address the Gateway listens on. */
  readonly addressName: string;
  /** Name of the Certificate Manager map the Gateway serves. */
  readonly certificateMapName: string;
}

/** DNS records point at these: Terraform refuses any plan that would delete one. */
const KEPT = { preventDestroy: true } as const;

/**
 * What the outside world points at: the reserved global IP (DNS A records),
 * the DNS authorization (its CNAME) and the Google-managed certificate in a
 * certificate map. It lives with the environment's other long-lived
 * resources, so pausing or hibernating (which destroys the cluster side)
 * changes no DNS record and never waits for a new certificate.
 */
export class GatewayEdge extends Construct {
  readonly address: ComputeGlobalAddress;
  readonly dnsAuthorization: CertificateManagerDnsAuthorization;
  readonly certificateMap: CertificateManagerCertificateMap;
  /** The IP the domain's A records point at. */
  readonly addressIp: string;
  /** The CNAME record Certificate Manager checks. */
  readonly dnsAuthorizationRecord: CertificateManagerDnsAuthorization['dnsResourceRecord'];

  constructor(scope: Construct, id: string, props: GatewayEdgeProps) {
    super(scope, id);
    // Construct ids as they were in <env>-cluster (docs/adr/0101: moving existing state).
    this.address = new ComputeGlobalAddress(scope, 'gateway-address', {
      project: props.projectId,
      name: props.addressName,
      lifecycle: KEPT,
    });
    this.dnsAuthorization = new CertificateManagerDnsAuthorization(scope, 'dns-authorization', {
      project: props.projectId,
      name: `gateway-${props.domain.replace(/\./g, '-')}`.slice(0, 63).replace(/-+$/, ''),
      domain: props.domain,
      lifecycle: KEPT,
    });
    const certificate = new CertificateManagerCertificate(scope, 'certificate', {
      project: props.projectId,
      name: 'gateway-external',
      managed: {
        domains: [props.domain, `*.${props.domain}`],
        dnsAuthorizations: [this.dnsAuthorization.id],
      },
      lifecycle: KEPT,
    });
    this.certificateMap = new CertificateManagerCertificateMap(scope, 'certificate-map', {
      project: props.projectId,
      name: props.certificateMapName,
      lifecycle: KEPT,
    });
    new CertificateManagerCertificateMapEntry(scope, 'certificate-map-entry', {
      project: props.projectId,
      name: 'primary',
      map: this.certificateMap.name,
      matcher: 'PRIMARY',
      certificates: [certificate.id],
    });
    this.addressIp = this.address.address;
    this.dnsAuthorizationRecord = this.dnsAuthorization.dnsResourceRecord;
  }
}
