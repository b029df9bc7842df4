/**
 * The managed Alertmanager routing, checked by the real tools: amtool
 * check-config and `amtool config routes test` for routing, and a real
 * Alertmanager on 127.0.0.1 for inhibition (amtool cannot evaluate it).
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse, stringify } from 'yaml';
import { ENVIRONMENT_NAMES } from '../../config/environments';
import { alertmanagerConfig, parseReceivers, Receivers } from '../alertmanager';
import { alertmanagerSecretManifest } from '../alertmanager-secret';
import { allAlerts } from '../alerts';
import { loadMonitoringConfig } from '../config';

const dir = mkdtempSync(join(tmpdir(), 'monitoring-am-'));
afterAll(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }));

function writeConfig(name: string, config: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, stringify(config, { lineWidth: 0 }));
  return file;
}

function amtool(...args: string[]) {
  const r = spawnSync('amtool', args, { encoding: 'utf8' });
  if (r.error)
    throw new Error(`amtool not runnable (apt-get install prometheus-alertmanager): ${r.error.message}`);
  return r;
}

const environments = loadMonitoringConfig().environments;

describe.each(ENVIRONMENT_NAMES)('%s routing', (envName) => {
  const routing = environments[envName].observability.alertRouting;
  const file = writeConfig(`${envName}.yaml`, alertmanagerConfig(routing));

  test('amtool check-config accepts it', () => {
    const r = amtool('check-config', file);
    expect(r.stderr + r.stdout).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  const pageReceiver = routing === 'page' ? 'page' : 'ticket';
  test.each([
    [`severity=page alertname=WalkServiceAvailabilityBudgetBurn`, pageReceiver],
    ['severity=heartbeat alertname=Watchdog', 'heartbeat'],
    ['severity=ticket alertname=WalkServiceHpaAtMax', 'ticket'],
    ['severity=security alertname=WalkServiceRefreshTokenReuse', 'security'],
    ['alertname=SomethingWithoutSeverity', 'ticket'],
  ])('routes %s to %s', (labels, receiver) => {
    const r = amtool(
      'config',
      'routes',
      'test',
      `--config.file=${file}`,
      `--verify.receivers=${receiver}`,
      ...labels.split(' '),
    );
    expect(r.stdout.trim()).toBe(receiver);
    expect(r.status).toBe(0);
  });
});

test('every severity an alert uses has its own route', () => {
  const config = alertmanagerConfig('page');
  const routed = config.route.routes.map((r) => r.matchers[0]);
  for (const severity of new Set(allAlerts().map((a) => a.severity))) {
    expect(routed).toContain(`severity="${severity}"`);
  }
});

test('receivers must be https, complete, and name no value in their errors', () => {
  const slack = (url: string) => ({ slack: { api_url: url, channel: '#oncall' } });
  const heartbeat = { webhook: { url: 'https://hb.example/ping' } };
  expect(() =>
    alertmanagerConfig('page', {
      page: slack('http://hooks.example/secret-path'),
      ticket: slack('https://t.example'),
      security: slack('https://s.example'),
      heartbeat,
    }),
  ).toThrow(/must be an https/);
  expect(() => parseReceivers('{"page":{"slack":{"api_url":"https://p.example/x","channel":"#a"}}}')).toThrow(
    /ticket: .*security: .*heartbeat: /,
  );
  expect(() =>
    parseReceivers('{"page":"https://secret.example/x","ticket":1,"security":1,"heartbeat":1}'),
  ).not.toThrow(/secret\.example/);
  expect(() => parseReceivers('not json')).toThrow(/not JSON/);
});

test('the Secret for gmp-public carries native Slack receivers and a webhook heartbeat, and passes amtool', () => {
  const receivers = {
    page: { slack: { api_url: 'https://hooks.slack.example/services/T0/B0/page', channel: '#oncall' } },
    ticket: { slack: { api_url: 'https://hooks.slack.example/services/T0/B0/ticket', channel: '#alerts' } },
    // Google Chat: an adapter (calert) behind Alertmanager's webhook.
    security: { webhook: { url: 'https://chat-adapter.example/dispatch?room_name=security' } },
    heartbeat: { webhook: { url: 'https://heartbeat.example/ping/abc' } },
  } satisfies Receivers;
  const secret = parse(alertmanagerSecretManifest('prod', JSON.stringify(receivers))) as {
    metadata: { name: string; namespace: string };
    stringData: Record<string, string>;
  };
  expect(secret.metadata).toEqual({ name: 'alertmanager', namespace: 'gmp-public' });
  const file = join(dir, 'secret-alertmanager.yaml');
  writeFileSync(file, secret.stringData['alertmanager.yaml']!);
  const check = amtool('check-config', file);
  expect(check.stdout + check.stderr).toContain('SUCCESS');
  expect(check.status).toBe(0);
  const config = parse(secret.stringData['alertmanager.yaml']!) as {
    receivers: {
      name: string;
      slack_configs?: { api_url: string; channel: string }[];
      webhook_configs?: { url: string }[];
    }[];
  };
  expect(
    config.receivers.map((r) => [r.name, r.slack_configs?.[0]?.api_url ?? r.webhook_configs?.[0]?.url]),
  ).toEqual([
    ['page', receivers.page.slack.api_url],
    ['ticket', receivers.ticket.slack.api_url],
    ['security', receivers.security.webhook.url],
    ['heartbeat', receivers.heartbeat.webhook.url],
  ]);
  expect(config.receivers[0]!.slack_configs![0]!.channel).toBe('#oncall');
});

describe('inhibition, evaluated by a real Alertmanager', () => {
  let am: ChildProcess;
  let base: string;

  beforeAll(async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    base = `http://127.0.0.1:${port}`;
    const file = writeConfig('inhibit.yaml', alertmanagerConfig('page'));
    am = spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${file}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 50; i++) {
      const ok = await fetch(`${base}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('Alertmanager did not become ready');
  });
  afterAll(async () => {
    // Alertmanager writes its state snapshot while it stops: wait, so the temp dir can go.
    if (!am || am.exitCode !== null) return;
    const exited = new Promise((resolve) => am!.once('exit', resolve));
    am.kill('SIGTERM');
    await exited;
  });

  const where = { cluster: 'tekutoko-prod', namespace: 'walk-service' };
  async function statesAfterPosting(alerts: Record<string, string>[]): Promise<Record<string, string>> {
    const res = await fetch(`${base}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(alerts.map((labels) => ({ labels: { ...where, ...labels } }))),
    });
    expect(res.ok).toBe(true);
    const got = (await (await fetch(`${base}/api/v2/alerts`)).json()) as {
      labels: Record<string, string>;
      status: { state: string };
    }[];
    return Object.fromEntries(got.map((a) => [a.labels.alertname!, a.status.state]));
  }

  test('a page silences the ticket of the same SLO, not of another', async () => {
    const states = await statesAfterPosting([
      { alertname: 'WalkServiceAvailabilityBudgetBurn', severity: 'page', slo: 'availability' },
      { alertname: 'WalkServiceAvailabilityBudgetBurnTicket', severity: 'ticket', slo: 'availability' },
      { alertname: 'WalkServiceLatencyBudgetBurnTicket', severity: 'ticket', slo: 'latency' },
    ]);
    expect(states).toMatchObject({
      WalkServiceAvailabilityBudgetBurn: 'active',
      WalkServiceAvailabilityBudgetBurnTicket: 'suppressed',
      WalkServiceLatencyBudgetBurnTicket: 'active',
    });
  });

  test('with no target up, per-pod symptoms are silenced; security alerts never are', async () => {
    const states = await statesAfterPosting([
      { alertname: 'WalkServiceNoTargetsUp', severity: 'page', slo: 'availability' },
      { alertname: 'WalkServiceTargetDown', severity: 'ticket', pod: 'walk-service-1' },
      { alertname: 'WalkServiceRefreshTokenReuse', severity: 'security' },
    ]);
    expect(states).toMatchObject({
      WalkServiceNoTargetsUp: 'active',
      WalkServiceTargetDown: 'suppressed',
      WalkServiceRefreshTokenReuse: 'active',
    });
  });

  test('one incident is one page per SLO: burn, no-targets and edge alerts of an SLO share a notification', async () => {
    await statesAfterPosting([
      { alertname: 'WalkServiceAvailabilityBudgetBurn', severity: 'page', slo: 'availability' },
      { alertname: 'WalkServiceNoTargetsUp', severity: 'page', slo: 'availability' },
      { alertname: 'WalkServiceLatencyBudgetBurn', severity: 'page', slo: 'latency' },
      { alertname: 'Watchdog', severity: 'heartbeat' },
    ]);
    const groups = (await (await fetch(`${base}/api/v2/alerts/groups`)).json()) as {
      receiver: { name: string };
      labels: Record<string, string>;
      alerts: { labels: Record<string, string> }[];
    }[];
    const pages = groups
      .filter((g) => g.receiver.name === 'page')
      .map((g) => [g.labels.slo, g.alerts.map((a) => a.labels.alertname).sort()]);
    expect(pages.sort()).toEqual([
      ['availability', ['WalkServiceAvailabilityBudgetBurn', 'WalkServiceNoTargetsUp']],
      ['latency', ['WalkServiceLatencyBudgetBurn']],
    ]);
    expect(groups.filter((g) => g.receiver.name === 'heartbeat').map((g) => g.labels.alertname)).toEqual([
      'Watchdog',
    ]);
  });
});
