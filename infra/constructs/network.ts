import { Construct } from 'constructs';
import { ComputeGlobalAddress } from '@cdktf/provider-google/lib/compute-global-address';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeRouter } from '@cdktf/provider-google/lib/compute-router';
import { ComputeRouterNat } from '@cdktf/provider-google/lib/compute-router-nat';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';
import { DnsManagedZone } from '@cdktf/provider-google/lib/dns-managed-zone';
import { DnsRecordSet } from '@cdktf/provider-google/lib/dns-record-set';
import { ServiceNetworkingConnection } from '@cdktf/provider-google/lib/service-networking-connection';

/** private.googleapis.com: Google APIs over Private Google Access, no internet path needed. */
export const PRIVATE_GOOGLE_APIS_ADDRESSES = [
  '199.36.153.8',
  '199.36.153.9',
  '199.36.153.10',
  '199.36.153.11',
];

export interface NetworkProps {
  readonly projectId: string;
  readonly region: string;
  /** VPC name; also the prefix of the subnet, router, NAT and ranges. */
  readonly name: string;
  readonly subnetCidr: string;
  readonly podsCidr: string;
  readonly servicesCidr: string;
  /** Range peered to Google's service producer network (Cloud SQL private IP). */
  readonly privateServiceAccessCidr: string;
  /** @default 64 — NAT ports per VM. */
  readonly natMinPortsPerVm?: number;
  /** @default true — resolve *.googleapis.com to private.googleapis.com inside the VPC. */
  readonly privateGoogleApisDns?: boolean;
  /** @default true — VPC flow logs (sampled 50 %, 10 min aggregation). */
  readonly flowLogs?: boolean;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function parseCidr(prop: string, cidr: string): { address: string; prefix: number } {
  const m = CIDR.exec(cidr);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
    throw new Error(`Network: ${prop} must be an IPv4 CIDR like 10.0.0.0/20, got "${cidr}"`);
  }
  return { address: `${m[1]}.${m[2]}.${m[3]}.${m[4]}`, prefix: Number(m[5]) };
}

/**
 * A custom-mode VPC with one regional subnet (secondary ranges for Pods and
 * Services, Private Google Access), egress through Cloud Router + Cloud NAT
 * (nodes have no public IP), and Private Service Access for Cloud SQL.
 */
export class Network extends Construct {
  readonly network: ComputeNetwork;
  readonly subnetwork: ComputeSubnetwork;
  readonly router: ComputeRouter;
  readonly nat: ComputeRouterNat;
  /** The peering Cloud SQL needs before an instance with a private IP can be created. */
  readonly privateServiceAccessConnection: ServiceNetworkingConnection;
  readonly networkId: string;
  readonly networkName: string;
  readonly networkSelfLink: string;
  readonly subnetworkId: string;
  readonly podsRangeName: string;
  readonly servicesRangeName: string;
  /** CIDR Cloud SQL private IPs are allocated from. */
  readonly privateServiceAccessCidr: string;
  readonly privateServiceAccessRangeName: string;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    parseCidr('subnetCidr', props.subnetCidr);
    parseCidr('podsCidr', props.podsCidr);
    parseCidr('servicesCidr', props.servicesCidr);
    const psa = parseCidr('privateServiceAccessCidr', props.privateServiceAccessCidr);
    if (psa.prefix > 24) {
      throw new Error(
        `Network: privateServiceAccessCidr must be /24 or larger for Cloud SQL, got /${psa.prefix}`,
      );
    }
    const project = props.projectId;
    this.podsRangeName = `${props.name}-pods`;
    this.servicesRangeName = `${props.name}-services`;
    this.privateServiceAccessRangeName = `${props.name}-psa`;
    this.privateServiceAccessCidr = props.privateServiceAccessCidr;

    this.network = new ComputeNetwork(this, 'vpc', {
      project,
      name: props.name,
      autoCreateSubnetworks: false,
      routingMode: 'REGIONAL',
    });
    this.networkId = this.network.id;
    this.networkName = this.network.name;
    this.networkSelfLink = this.network.selfLink;

    this.subnetwork = new ComputeSubnetwork(this, 'subnet', {
      project,
      region: props.region,
      name: `${props.name}-${props.region}`,
      network: this.network.id,
      ipCidrRange: props.subnetCidr,
      privateIpGoogleAccess: true,
      secondaryIpRange: [
        { rangeName: this.podsRangeName, ipCidrRange: props.podsCidr },
        { rangeName: this.servicesRangeName, ipCidrRange: props.servicesCidr },
      ],
      logConfig:
        props.flowLogs === false
          ? undefined
          : { aggregationInterval: 'INTERVAL_10_MIN', flowSampling: 0.5, metadata: 'INCLUDE_ALL_METADATA' },
    });
    this.subnetworkId = this.subnetwork.id;

    this.router = new ComputeRouter(this, 'router', {
      project,
      region: props.region,
      name: `${props.name}-router`,
      network: this.network.id,
    });
    this.nat = new ComputeRouterNat(this, 'nat', {
      project,
      region: props.region,
      name: `${props.name}-nat`,
      router: this.router.name,
      natIpAllocateOption: 'AUTO_ONLY',
      sourceSubnetworkIpRangesToNat: 'ALL_SUBNETWORKS_ALL_IP_RANGES',
      minPortsPerVm: props.natMinPortsPerVm ?? 64,
      enableEndpointIndependentMapping: false,
      logConfig: { enable: true, filter: 'ERRORS_ONLY' },
    });

    const psaRange = new ComputeGlobalAddress(this, 'psa-range', {
      project,
      name: this.privateServiceAccessRangeName,
      purpose: 'VPC_PEERING',
      addressType: 'INTERNAL',
      address: psa.address,
      prefixLength: psa.prefix,
      network: this.network.id,
    });
    this.privateServiceAccessConnection = new ServiceNetworkingConnection(this, 'psa', {
      network: this.network.id,
      service: 'servicenetworking.googleapis.com',
      reservedPeeringRanges: [psaRange.name],
      // Lets `destroy` succeed while Cloud SQL still holds the peering for a few days.
      deletionPolicy: 'ABANDON',
    });

    if (props.privateGoogleApisDns !== false) {
      const zone = new DnsManagedZone(this, 'googleapis-zone', {
        project,
        name: `${props.name}-googleapis`,
        dnsName: 'googleapis.com.',
        visibility: 'private',
        description: 'Google APIs through private.googleapis.com (Private Google Access)',
        privateVisibilityConfig: { networks: [{ networkUrl: this.network.id }] },
      });
      new DnsRecordSet(this, 'googleapis-a', {
        project,
        managedZone: zone.name,
        name: 'private.googleapis.com.',
        type: 'A',
        ttl: 300,
        rrdatas: PRIVATE_GOOGLE_APIS_ADDRESSES,
      });
      new DnsRecordSet(this, 'googleapis-cname', {
        project,
        managedZone: zone.name,
        name: '*.googleapis.com.',
        type: 'CNAME',
        ttl: 300,
        rrdatas: ['private.googleapis.com.'],
      });
    }
  }
}
