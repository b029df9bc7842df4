/**
 * Alertmanager routing for GMP's managed Alertmanager (Secret `alertmanager`,
 * key `alertmanager.yaml`, namespace gmp-public — the OperatorConfig default).
 *
 * Receiver URLs are secrets: they live in Secret Manager (one JSON secret per
 * project, ALERT_RECEIVERS_SECRET_ID) and are merged in only when the Secret
 * is applied (monitoring/alertmanager-secret.ts), so they never reach git or
 * Terraform state. The synthesized file carries placeholder URLs.
 */
import { EnvironmentConfig } from '../config/environments';
import { ALERT_RECEIVERS_SECRET_ID } from '../config/names';
import { GKE_MANAGED_PROMETHEUS_PUBLIC_NAMESPACE } from '../config/platform-facts';
import { z } from 'zod';
import { Severity } from './alerts';

/** Secret Manager secret holding the receivers (ReceiversPayload). */
export { ALERT_RECEIVERS_SECRET_ID };

/** Where GMP's managed Alertmanager reads its configuration. */
export const MANAGED_ALERTMANAGER_SECRET = {
  namespace: GKE_MANAGED_PROMETHEUS_PUBLIC_NAMESPACE.value,
  name: 'alertmanager',
  key: 'alertmanager.yaml',
} as const;

export type ReceiverName = Severity;
export const RECEIVER_NAMES: readonly ReceiverName[] = ['page', 'ticket', 'security', 'heartbeat'];

const httpsUrl = z.string().regex(/^https:\/\/\S+$/, 'must be an https:// URL');

/**
 * One receiver in the Secret Manager payload. Slack rejects Alertmanager's
 * generic webhook body, so Slack gets Alertmanager's native `slack_configs`
 * (an incoming-webhook URL and its channel). Google Chat has no native
 * receiver in Alertmanager and rejects the generic body too: it is reached
 * through an adapter that takes Alertmanager's webhook and posts Chat messages
 * (e.g. calert), whose URL goes in `webhook`. `webhook` also serves a
 * heartbeat service (dead man's switch) and PagerDuty-style event endpoints.
 */
export const ReceiverSpec = z.union([
  z
    .object({ slack: z.object({ api_url: httpsUrl, channel: z.string().regex(/^[#@]?[\w.-]+$/) }).strict() })
    .strict(),
  z.object({ webhook: z.object({ url: httpsUrl }).strict() }).strict(),
]);
export type ReceiverSpec = z.infer<typeof ReceiverSpec>;

/** The payload of the Secret Manager secret: one receiver per severity (runbooks/secret-rotation.md). */
export const ReceiversPayload = z
  .object({
    page: ReceiverSpec,
    ticket: ReceiverSpec,
    security: ReceiverSpec,
    heartbeat: z.object({ webhook: z.object({ url: httpsUrl }).strict() }).strict(),
  })
  .strict();
export type Receivers = Readonly<Record<ReceiverName, ReceiverSpec>>;

/** Synthesized output only: `.invalid` never resolves, so a forgotten merge cannot notify anybody. */
export const PLACEHOLDER_RECEIVERS: Receivers = {
  page: { slack: { api_url: 'https://page.receiver.invalid/slack', channel: '#oncall' } },
  ticket: { slack: { api_url: 'https://ticket.receiver.invalid/slack', channel: '#alerts' } },
  security: { webhook: { url: 'https://security.receiver.invalid/alertmanager' } },
  heartbeat: { webhook: { url: 'https://heartbeat.receiver.invalid/ping' } },
};

/** Non-SLO alerts: one notification per alert name and namespace (GMP adds cluster/location/project_id). */
const GROUP_BY = ['alertname', 'cluster', 'namespace', 'slo'];
/** Pages: one notification per SLO and place, whichever of its alerts fire (burn windows, no targets, edge). */
const PAGE_GROUP_BY = ['cluster', 'namespace', 'slo'];

const SLACK_TEXT =
  '{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}';

function receiver(name: ReceiverName, spec: ReceiverSpec) {
  if ('slack' in spec) {
    return {
      name,
      slack_configs: [
        {
          api_url: spec.slack.api_url,
          channel: spec.slack.channel,
          send_resolved: name !== 'heartbeat',
          title: `[{{ .Status | toUpper }}] ${name}: {{ .GroupLabels.slo }}{{ .GroupLabels.alertname }} ({{ .CommonLabels.cluster }})`,
          text: SLACK_TEXT,
        },
      ],
    };
  }
  return {
    name,
    webhook_configs: [{ url: spec.webhook.url, send_resolved: name !== 'heartbeat', max_alerts: 20 }],
  };
}

/**
 * `routing` is the environment's `observability.alertRouting`: in an
 * environment that only tickets (dev), page-severity alerts open tickets.
 * Security alerts always reach the security receiver; the Watchdog only the
 * heartbeat receiver.
 */
export function alertmanagerConfig(
  routing: EnvironmentConfig['observability']['alertRouting'],
  receivers: Receivers = PLACEHOLDER_RECEIVERS,
) {
  ReceiversPayload.parse(receivers);
  return {
    route: {
      receiver: 'ticket',
      group_by: GROUP_BY,
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '12h',
      routes: [
        // Every minute, so the heartbeat service notices a silence within its grace period.
        {
          receiver: 'heartbeat',
          matchers: ['severity="heartbeat"'],
          group_by: ['alertname', 'cluster'],
          group_wait: '0s',
          group_interval: '1m',
          repeat_interval: '1m',
        },
        { receiver: 'security', matchers: ['severity="security"'], group_wait: '0s', repeat_interval: '1h' },
        {
          receiver: routing === 'page' ? 'page' : 'ticket',
          matchers: ['severity="page"'],
          group_by: PAGE_GROUP_BY,
          group_wait: '10s',
          repeat_interval: routing === 'page' ? '1h' : '12h',
        },
        { receiver: 'ticket', matchers: ['severity="ticket"'], repeat_interval: '24h' },
      ],
    },
    inhibit_rules: [
      // A page silences the tickets of the same SLO in the same place (the 3-day burn ticket, …).
      {
        source_matchers: ['severity="page"'],
        target_matchers: ['severity="ticket"'],
        equal: ['cluster', 'namespace', 'slo'],
      },
      // With no target up, per-pod symptoms add nothing to the page.
      {
        source_matchers: ['alertname="WalkServiceNoTargetsUp"'],
        target_matchers: ['alertname=~"WalkServiceTargetDown|WalkServicePodsNotReady|WalkServiceDbPool.*"'],
        equal: ['cluster', 'namespace'],
      },
    ],
    receivers: RECEIVER_NAMES.map((name) => receiver(name, receivers[name])),
  };
}

/** Parses and checks the Secret Manager payload; errors name fields, never values. */
export function parseReceivers(json: string): Receivers {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`${ALERT_RECEIVERS_SECRET_ID}: payload is not JSON`);
  }
  const result = ReceiversPayload.safeParse(value);
  if (!result.success) {
    const where = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${ALERT_RECEIVERS_SECRET_ID}: ${where.join('; ')}`);
  }
  return result.data;
}
