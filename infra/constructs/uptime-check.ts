import { Construct } from 'constructs';
import { MonitoringAlertPolicy } from '@cdktf/provider-google/lib/monitoring-alert-policy';
import { MonitoringUptimeCheckConfig } from '@cdktf/provider-google/lib/monitoring-uptime-check-config';

export interface UptimeCheckProps {
  readonly projectId: string;
  /** Public hostname probed over HTTPS. */
  readonly hostname: string;
  /** @default '/healthz' */
  readonly path?: string;
  /** @default 60 — seconds between probes from each region. */
  readonly periodSeconds?: 60 | 300 | 600 | 900;
  /** @default [] — notification channel ids. */
  readonly notificationChannels?: readonly string[];
  /** @default none */
  readonly runbookUrl?: string;
}

/**
 * An HTTPS uptime check of the public endpoint from several regions, with an
 * alert when it fails from more than one region for two minutes (one region
 * failing is usually the prober's network, not us).
 */
export class UptimeCheck extends Construct {
  readonly check: MonitoringUptimeCheckConfig;
  readonly alertPolicy: MonitoringAlertPolicy;

  constructor(scope: Construct, id: string, props: UptimeCheckProps) {
    super(scope, id);
    const path = props.path ?? '/healthz';
    if (!path.startsWith('/')) throw new Error(`UptimeCheck ${id}: path must start with /, got "${path}"`);
    this.check = new MonitoringUptimeCheckConfig(this, 'check', {
      project: props.projectId,
      displayName: `https://${props.hostname}${path}`,
      period: `${props.periodSeconds ?? 60}s`,
      timeout: '10s',
      checkerType: 'STATIC_IP_CHECKERS',
      selectedRegions: ['ASIA_PACIFIC', 'USA_OREGON', 'EUROPE'],
      httpCheck: {
        path,
        port: 443,
        useSsl: true,
        validateSsl: true,
        requestMethod: 'GET',
        acceptedResponseStatusCodes: [{ statusValue: 200 }],
      },
      monitoredResource: {
        type: 'uptime_url',
        labels: { project_id: props.projectId, host: props.hostname },
      },
    });
    this.alertPolicy = new MonitoringAlertPolicy(this, 'alert', {
      project: props.projectId,
      displayName: `Uptime: ${props.hostname}${path}`,
      combiner: 'OR',
      severity: 'CRITICAL',
      notificationChannels: [...(props.notificationChannels ?? [])],
      documentation: {
        mimeType: 'text/markdown',
        subject: `${props.hostname} failing uptime checks`,
        content: `https://${props.hostname}${path} fails from more than one region.${props.runbookUrl ? ` Runbook: ${props.runbookUrl}` : ''}`,
      },
      conditions: [
        {
          displayName: 'uptime check failing',
          conditionThreshold: {
            filter: `metric.type = "monitoring.googleapis.com/uptime_check/check_passed" AND resource.type = "uptime_url" AND metric.labels.check_id = "${this.check.uptimeCheckId}"`,
            comparison: 'COMPARISON_GT',
            thresholdValue: 1,
            duration: '120s',
            aggregations: [
              {
                alignmentPeriod: '60s',
                perSeriesAligner: 'ALIGN_NEXT_OLDER',
                crossSeriesReducer: 'REDUCE_COUNT_FALSE',
                groupByFields: ['resource.label.host'],
              },
            ],
            trigger: { count: 1 },
          },
        },
      ],
    });
  }
}
