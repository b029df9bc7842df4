import { Construct } from 'constructs';
import { ContainerCluster } from '@cdktf/provider-google/lib/container-cluster';
import { GKE_DEPRECATED_VULNERABILITY_MODES } from '../../config/platform-facts';

export interface MaintenanceExclusion {
  readonly name: string;
  /** RFC 3339. */
  readonly startTime: string;
  readonly endTime: string;
  readonly scope: 'NO_UPGRADES' | 'NO_MINOR_UPGRADES' | 'NO_MINOR_OR_NODE_UPGRADES';
}

export interface GkeAutopilotClusterProps {
  readonly projectId: string;
  readonly region: string;
  readonly name: string;
  /** Network self link or id. */
  readonly network: string;
  /** Subnetwork id with the two secondary ranges below. */
  readonly subnetwork: string;
  readonly podsRangeName: string;
  readonly servicesRangeName: string;
  /** @default 'REGULAR' */
  readonly releaseChannel?: 'RAPID' | 'REGULAR' | 'STABLE';
  /** @default true — Terraform refuses to destroy the cluster; turn off by name for dev. */
  readonly deletionProtection?: boolean;
  /** @default false — enforce the project's Binary Authorization policy. */
  readonly binaryAuthorization?: boolean;
  /** @default 17 — UTC hour the recurring maintenance window starts. */
  readonly maintenanceStartHourUtc?: number;
  /** @default 4 — hours per window (GKE needs 48 h within 32 days). */
  readonly maintenanceDurationHours?: number;
  /** @default ['TU','WE','TH'] — RRULE weekdays of the window. */
  readonly maintenanceDays?: readonly string[];
  /** @default none */
  readonly maintenanceExclusions?: readonly MaintenanceExclusion[];
  /**
   * @default the Compute Engine default service account — the email of the
   * service account nodes run as (it needs roles/container.defaultNodeServiceAccount).
   */
  readonly nodeServiceAccountEmail?: string;
  /**
   * @default 'VULNERABILITY_DISABLED' — workload vulnerability scanning
   * (images are scanned in Artifact Registry); VULNERABILITY_BASIC is gone.
   */
  readonly vulnerabilityMode?: 'VULNERABILITY_DISABLED' | 'VULNERABILITY_ENTERPRISE';
}

const WEEKDAYS = new Set(['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU']);

/**
 * GKE Autopilot: private nodes, control plane reachable only through its
 * DNS-based endpoint (IAM-authenticated; the IP endpoints are off), Workload
 * Identity, Managed Prometheus, Gateway API, the Secret Manager CSI add-on,
 * a recurring maintenance window with exclusions, and optional Binary
 * Authorization.
 */
export class GkeAutopilotCluster extends Construct {
  readonly cluster: ContainerCluster;
  readonly clusterName: string;
  readonly clusterId: string;
  readonly clusterLocation: string;
  /** Host of the DNS-based control plane endpoint (no scheme). */
  readonly clusterEndpoint: string;
  /** Base64 PEM of the cluster CA (for the IP endpoint; the DNS endpoint uses Google-trusted TLS). */
  readonly clusterCaCertificate: string;
  /** `<project>.svc.id.goog` — the Workload Identity pool of the cluster. */
  readonly clusterWorkloadIdentityPool: string;

  constructor(scope: Construct, id: string, props: GkeAutopilotClusterProps) {
    super(scope, id);
    const start = props.maintenanceStartHourUtc ?? 17;
    const hours = props.maintenanceDurationHours ?? 4;
    if (!Number.isInteger(start) || start < 0 || start > 23) {
      throw new Error(`GkeAutopilotCluster ${id}: maintenanceStartHourUtc must be 0..23, got ${start}`);
    }
    if (!Number.isInteger(hours) || hours < 4 || hours > 24) {
      throw new Error(`GkeAutopilotCluster ${id}: maintenanceDurationHours must be 4..24, got ${hours}`);
    }
    const days = props.maintenanceDays ?? ['TU', 'WE', 'TH'];
    const badDay = days.find((d) => !WEEKDAYS.has(d));
    if (days.length === 0 || badDay !== undefined) {
      throw new Error(
        `GkeAutopilotCluster ${id}: maintenanceDays must be RRULE weekdays (MO..SU), got [${days.join(', ')}]`,
      );
    }
    // GKE rejects recurring windows with less than 48 hours of availability in any 32 days.
    const hoursPer32Days = Math.floor(32 / 7) * days.length * hours;
    if (hoursPer32Days < 48) {
      throw new Error(
        `GkeAutopilotCluster ${id}: maintenance window gives ${hoursPer32Days} h per 32 days (${days.length} days x ${hours} h); GKE needs >= 48 h — add days or hours`,
      );
    }
    const vulnerabilityMode = props.vulnerabilityMode ?? 'VULNERABILITY_DISABLED';
    if (GKE_DEPRECATED_VULNERABILITY_MODES.value.includes(vulnerabilityMode)) {
      throw new Error(`GkeAutopilotCluster ${id}: vulnerabilityMode ${vulnerabilityMode} is deprecated`);
    }
    // A fixed past anchor date: only the time of day and the RRULE matter.
    const anchor = (h: number) => `2026-01-01T${String(h % 24).padStart(2, '0')}:00:00Z`;
    const endHour = start + hours;
    const endTime =
      endHour >= 24 ? `2026-01-02T${String(endHour - 24).padStart(2, '0')}:00:00Z` : anchor(endHour);

    this.clusterWorkloadIdentityPool = `${props.projectId}.svc.id.goog`;
    this.cluster = new ContainerCluster(this, 'cluster', {
      project: props.projectId,
      name: props.name,
      location: props.region,
      enableAutopilot: true,
      network: props.network,
      subnetwork: props.subnetwork,
      deletionProtection: props.deletionProtection ?? true,
      ipAllocationPolicy: {
        clusterSecondaryRangeName: props.podsRangeName,
        servicesSecondaryRangeName: props.servicesRangeName,
      },
      // Explicit: with IP endpoints off there is no public endpoint; left unset, provider 6.x plans a diff.
      privateClusterConfig: { enablePrivateNodes: true, enablePrivateEndpoint: true },
      clusterAutoscaling: props.nodeServiceAccountEmail
        ? { autoProvisioningDefaults: { serviceAccount: props.nodeServiceAccountEmail } }
        : undefined,
      controlPlaneEndpointsConfig: {
        dnsEndpointConfig: { allowExternalTraffic: true },
        ipEndpointsConfig: { enabled: false },
      },
      releaseChannel: { channel: props.releaseChannel ?? 'REGULAR' },
      maintenancePolicy: {
        recurringWindow: {
          startTime: anchor(start),
          endTime,
          recurrence: `FREQ=WEEKLY;BYDAY=${days.join(',')}`,
        },
        maintenanceExclusion: (props.maintenanceExclusions ?? []).map((e) => ({
          exclusionName: e.name,
          startTime: e.startTime,
          endTime: e.endTime,
          exclusionOptions: { scope: e.scope },
        })),
      },
      workloadIdentityConfig: { workloadPool: this.clusterWorkloadIdentityPool },
      monitoringConfig: {
        // POD, DEPLOYMENT, HPA: GKE's kube-state-metrics package, which the pod and HPA alerts query.
        enableComponents: ['SYSTEM_COMPONENTS', 'POD', 'DEPLOYMENT', 'HPA'],
        managedPrometheus: { enabled: true },
      },
      loggingConfig: { enableComponents: ['SYSTEM_COMPONENTS', 'WORKLOADS'] },
      gatewayApiConfig: { channel: 'CHANNEL_STANDARD' },
      secretManagerConfig: { enabled: true },
      securityPostureConfig: { mode: 'BASIC', vulnerabilityMode },
      binaryAuthorization: {
        evaluationMode: props.binaryAuthorization ? 'PROJECT_SINGLETON_POLICY_ENFORCE' : 'DISABLED',
      },
    });
    this.clusterName = this.cluster.name;
    this.clusterId = this.cluster.id;
    this.clusterLocation = this.cluster.location;
    this.clusterEndpoint = this.cluster.controlPlaneEndpointsConfig.dnsEndpointConfig.endpoint;
    this.clusterCaCertificate = this.cluster.masterAuth.clusterCaCertificate;
  }
}
