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
import { ENVIRONMENT_NAMES } from '../../infra/config/environments';
import { alertmanagerConfig, parseReceiverUrls, ReceiverUrls } from '../alertmanager';
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
    [`severity=page alertname=WalkServiceAvailabilityBudgetBurnFast`, pageReceiver],
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

test('receiver URLs must be https and come complete', () => {
  expect(() =>
    alertmanagerConfig('page', { page: 'http://x', ticket: 'https://t', security: 'https://s' }),
  ).toThrow(/receiver page: URL must be https/);
  expect(() => parseReceiverUrls('{"page":"https://p"}')).toThrow(
    /missing string field\(s\) ticket, security/,
  );
  expect(() => parseReceiverUrls('not json')).toThrow(/not JSON/);
});

test('the Secret for gmp-public carries the merged URLs and passes amtool', () => {
  const urls: ReceiverUrls = {
    page: 'https://events.pagerduty.example/v2/x',
    ticket: 'https://tickets.example/hook',
    security: 'https://security.example/hook',
  };
  const secret = parse(alertmanagerSecretManifest('prod', JSON.stringify(urls))) as {
    metadata: { name: string; namespace: string };
    stringData: Record<string, string>;
  };
  expect(secret.metadata).toEqual({ name: 'alertmanager', namespace: 'gmp-public' });
  const file = join(dir, 'secret-alertmanager.yaml');
  writeFileSync(file, secret.stringData['alertmanager.yaml']!);
  expect(amtool('check-config', file).status).toBe(0);
  const receivers = (parse(secret.stringData['alertmanager.yaml']!) as ReturnType<typeof alertmanagerConfig>)
    .receivers;
  expect(receivers.map((r) => r.webhook_configs[0]!.url)).toEqual([urls.page, urls.ticket, urls.security]);
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
      { alertname: 'WalkServiceAvailabilityBudgetBurnFast', severity: 'page', slo: 'availability' },
      { alertname: 'WalkServiceAvailabilityBudgetBurnSlow3d', severity: 'ticket', slo: 'availability' },
      { alertname: 'WalkServiceLatencyBudgetBurnSlow3d', severity: 'ticket', slo: 'latency' },
    ]);
    expect(states).toMatchObject({
      WalkServiceAvailabilityBudgetBurnFast: 'active',
      WalkServiceAvailabilityBudgetBurnSlow3d: 'suppressed',
      WalkServiceLatencyBudgetBurnSlow3d: 'active',
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
});
