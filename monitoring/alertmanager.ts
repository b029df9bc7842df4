/**
 * Alertmanager routing for GMP's managed Alertmanager (Secret `alertmanager`,
 * key `alertmanager.yaml`, namespace gmp-public — the OperatorConfig default).
 *
 * Receiver URLs are secrets: they live in Secret Manager (one JSON secret per
 * project, ALERT_RECEIVERS_SECRET_ID) and are merged in only when the Secret
 * is applied (monitoring/alertmanager-secret.ts), so they never reach git or
 * Terraform state. The synthesized file carries placeholder URLs.
 */
import { EnvironmentConfig } from '../infra/config/environments';
import { ALERT_RECEIVERS_SECRET_ID } from '../infra/config/names';
import { GKE_MANAGED_PROMETHEUS_PUBLIC_NAMESPACE } from '../infra/config/platform-facts';
import { Severity } from './alerts';

/** Secret Manager secret holding `{"page": url, "ticket": url, "security": url}`. */
export { ALERT_RECEIVERS_SECRET_ID };

/** Where GMP's managed Alertmanager reads its configuration. */
export const MANAGED_ALERTMANAGER_SECRET = {
  namespace: GKE_MANAGED_PROMETHEUS_PUBLIC_NAMESPACE.value,
  name: 'alertmanager',
  key: 'alertmanager.yaml',
} as const;

export type ReceiverName = Severity;
export type ReceiverUrls = Readonly<Record<ReceiverName, string>>;

/** Synthesized output only: `.invalid` never resolves, so a forgotten merge cannot page anybody. */
export const PLACEHOLDER_RECEIVER_URLS: ReceiverUrls = {
  page: 'https://page.receiver.invalid/alertmanager',
  ticket: 'https://ticket.receiver.invalid/alertmanager',
  security: 'https://security.receiver.invalid/alertmanager',
};

/** GMP adds cluster/location/project_id to every alert; one notification per alert and namespace. */
const GROUP_BY = ['alertname', 'cluster', 'namespace', 'slo'];

function receiver(name: ReceiverName, url: string) {
  return { name, webhook_configs: [{ url, send_resolved: true, max_alerts: 20 }] };
}

/**
 * `routing` is the environment's `observability.alertRouting`: in an
 * environment that only tickets (dev), page-severity alerts open tickets.
 * Security alerts always reach the security receiver.
 */
export function alertmanagerConfig(
  routing: EnvironmentConfig['observability']['alertRouting'],
  urls: ReceiverUrls = PLACEHOLDER_RECEIVER_URLS,
) {
  for (const [name, url] of Object.entries(urls)) {
    if (!/^https:\/\/[^\s]+$/.test(url)) {
      throw new Error(`receiver ${name}: URL must be https://…, got ${JSON.stringify(url)}`);
    }
  }
  return {
    route: {
      receiver: 'ticket',
      group_by: GROUP_BY,
      group_wait: '30s',
      group_interval: '5m',
      repeat_interval: '12h',
      routes: [
        { receiver: 'security', matchers: ['severity="security"'], group_wait: '0s', repeat_interval: '1h' },
        {
          receiver: routing === 'page' ? 'page' : 'ticket',
          matchers: ['severity="page"'],
          group_wait: '10s',
          repeat_interval: routing === 'page' ? '1h' : '12h',
        },
        { receiver: 'ticket', matchers: ['severity="ticket"'], repeat_interval: '24h' },
      ],
    },
    inhibit_rules: [
      // A page silences the tickets of the same SLO in the same place (the slow-burn ticket, …).
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
    receivers: (['page', 'ticket', 'security'] as const).map((name) => receiver(name, urls[name])),
  };
}

/** Parses and checks the Secret Manager payload. */
export function parseReceiverUrls(json: string): ReceiverUrls {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new Error(`${ALERT_RECEIVERS_SECRET_ID}: payload is not JSON`);
  }
  const record = (value ?? {}) as Record<string, unknown>;
  const missing = (['page', 'ticket', 'security'] as const).filter((k) => typeof record[k] !== 'string');
  if (missing.length > 0) {
    throw new Error(`${ALERT_RECEIVERS_SECRET_ID}: missing string field(s) ${missing.join(', ')}`);
  }
  return {
    page: record.page as string,
    ticket: record.ticket as string,
    security: record.security as string,
  };
}
