import { Construct } from 'constructs';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { MonitoringNotificationChannel } from '@cdktf/provider-google/lib/monitoring-notification-channel';

export interface SqlMonitoringProps {
  readonly projectId: string;
  /** Cloud SQL instance name. */
  readonly instanceName: string;
  /** max_connections of the instance; the connections alert is a share of it. */
  readonly maxConnections: number;
  /** @default 0.9 */
  readonly cpuUtilizationThreshold?: number;
  /** @default 0.85 */
  readonly diskUtilizationThreshold?: number;
  /** @default 0.9 — share of max_connections. */
  readonly connectionsThreshold?: number;
  /** @default [] — notification channel ids. */
  readonly notificationChannels?: readonly string[];
  /** @default 'WARNING' */
  readonly severity?: 'CRITICAL' | 'ERROR' | 'WARNING';
  /** @default none — link to the runbook for these alerts. */
  readonly runbookUrl?: string;
}

function ratio(id: string, prop: string, v: number): number {
  if (!(v > 0 && v < 1)) throw new Error(`SqlMonitoring ${id}: ${prop} must be in (0, 1), got ${v}`);
  return v;
}

/**
 * Cloud Monitoring alert policies for one Cloud SQL instance: CPU, disk and
 * connection count over thresholds for 5 minutes (10 for CPU).
 */
export class SqlMonitoring extends Construct {
  readonly alertPolicies: Readonly<Record<'cpu' | 'disk' | 'connections', MonitoringAlertPolicy>>;

  constructor(scope: Construct, id: string, props: SqlMonitoringProps) {
    super(scope, id);
    const cpu = ratio(id, 'cpuUtilizationThreshold', props.cpuUtilizationThreshold ?? 0.9);
    const disk = ratio(id, 'diskUtilizationThreshold', props.diskUtilizationThreshold ?? 0.85);
    const conns = ratio(id, 'connectionsThreshold', props.connectionsThreshold ?? 0.9);
    const databaseId = `${props.projectId}:${props.instanceName}`;
    const policy = (
      key: string,
      title: string,
      metric: string,
      threshold: number,
      duration: string,
      reducer?: string,
    ) =>
      new MonitoringAlertPolicy(this, key, {
        project: props.projectId,
        displayName: `Cloud SQL ${props.instanceName}: ${title}`,
        combiner: 'OR',
        severity: props.severity ?? 'WARNING',
        notificationChannels: [...(props.notificationChannels ?? [])],
        userLabels: { instance: props.instanceName, component: 'cloud-sql' },
        documentation: {
          mimeType: 'text/markdown',
          subject: `Cloud SQL ${props.instanceName}: ${title}`,
          content: `${title} on Cloud SQL instance \`${props.instanceName}\` (threshold ${threshold}).${props.runbookUrl ? ` Runbook: ${props.runbookUrl}` : ''}`,
        },
        alertStrategy: { autoClose: '1800s' },
        conditions: [
          {
            displayName: title,
            conditionThreshold: {
              filter: `resource.type = "cloudsql_database" AND resource.labels.database_id = "${databaseId}" AND metric.type = "${metric}"`,
              comparison: 'COMPARISON_GT',
              thresholdValue: threshold,
              duration,
              aggregations: [
                {
                  alignmentPeriod: '60s',
                  perSeriesAligner: 'ALIGN_MEAN',
                  ...(reducer ? { crossSeriesReducer: reducer } : {}),
                },
              ],
              trigger: { count: 1 },
            },
          },
        ],
      });
    this.alertPolicies = {
      cpu: policy(
        'cpu',
        'CPU utilisation high',
        'cloudsql.googleapis.com/database/cpu/utilization',
        cpu,
        '600s',
      ),
      disk: policy(
        'disk',
        'disk utilisation high',
        'cloudsql.googleapis.com/database/disk/utilization',
        disk,
        '300s',
      ),
      connections: policy(
        'connections',
        'connections near max_connections',
        'cloudsql.googleapis.com/database/postgresql/num_backends',
        Math.floor(props.maxConnections * conns),
        '300s',
        'REDUCE_SUM',
      ),
    };
  }
}

export interface EmailNotificationChannelProps {
  readonly projectId: string;
  readonly displayName: string;
  readonly emailAddress: string;
}

/**
 * An e-mail notification channel; returns its name
 * (`projects/<p>/notificationChannels/<id>`), what alert policies, uptime
 * checks and budgets take.
 */
export function emailNotificationChannel(
  scope: Construct,
  id: string,
  props: EmailNotificationChannelProps,
): string {
  return new MonitoringNotificationChannel(scope, id, {
    project: props.projectId,
    displayName: props.displayName,
    type: 'email',
    labels: { email_address: props.emailAddress },
  }).name;
}
