/**
 * The incident scenarios of issue 14 under promtool, on the synthesized rule
 * files: the alerts that fire (and do not) and the page notifications the
 * managed Alertmanager's page route makes of them.
 */
import { rmSync } from 'fs';
import { isAbsolute, join, relative } from 'path';
import { alertmanagerConfig } from '../alertmanager';
import { Fired, SCENARIOS, firingAlerts, pageNotifications, ruleFilesIn } from './scenarios';
import { Synthesized, synthToTemp } from './synth';

const pageRoute = alertmanagerConfig('page').route.routes.find((r) => r.receiver === 'page')!;
/** cluster and namespace are the same in every scenario. */
const PAGE_GROUP_BY = pageRoute.group_by!.filter((l) => l !== 'cluster' && l !== 'namespace');

const A = 'WalkServiceAvailabilityBudgetBurn';
const L = 'WalkServiceLatencyBudgetBurn';

/** scenario -> [alerts firing, page notifications]. */
const EXPECTED: Record<string, [string[], number]> = {
  'low traffic (1 req/min), one 5xx': [[], 0],
  'low traffic (1 req/min), every request fails for 30 min': [[`${A} page`], 1],
  '100 % 5xx for two minutes at 1000 req/min': [[`${A} page`], 1],
  'every request at 0.6 s (just above 0.5 s) for 2 h': [[`${L} page`, `${L}Ticket ticket`], 1],
  'every request at 0.45 s (just below 0.5 s) for 2 h': [[], 0],
  '404 flood (20000 req/min unmatched) beside 5 % user 5xx': [[`${A} page`, `${A}Ticket ticket`], 1],
  'first 5xx of a new series: 2000 errors within one scrape, series created by them': [[], 0],
  'first 5xx of an initialised series: the same 2000 errors': [[`${A} page`], 1],
  'a finished migrations Job pod': [[], 0],
  'outage at the edge: no request reaches the pods, uptime check fails in 3 regions': [
    ['WalkServiceEdgeDown page'],
    1,
  ],
  'a steady 5x burn over 3 days, one evaluation of the 3-day ratio late': [[`${A}Ticket ticket`], 0],
  'Loki gone for 30 min, the service healthy': [['AlloyNotShippingLogs ticket', 'LokiDown ticket'], 0],
  'Alloy stuck (ships nothing) for 30 min, the service healthy': [
    ['AlloyNotShippingLogs ticket', 'LokiIngestionStopped ticket'],
    0,
  ],
};

describe('incident scenarios (promtool on the synthesized rules)', () => {
  let out: Synthesized;
  let fired: Map<string, Fired[]>;
  beforeAll(() => {
    out = synthToTemp();
    fired = firingAlerts(ruleFilesIn(join(out.dir, 'rules')));
  }, 180_000);
  afterAll(() => rmSync(out.dir, { recursive: true, force: true }));

  it('covers every scenario', () => {
    expect(SCENARIOS.map((s) => s.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('hands promtool absolute rule paths (a relative one silently evaluates nothing)', () => {
    const files = ruleFilesIn(relative(process.cwd(), join(out.dir, 'rules')));
    expect(files.length).toBe(3);
    for (const f of files) expect(isAbsolute(f)).toBe(true);
  });

  it('groups pages by SLO only', () => {
    expect(PAGE_GROUP_BY).toEqual(['slo']);
  });

  it.each(Object.entries(EXPECTED))('%s', (name, [alerts, pages]) => {
    const f = fired.get(name)!;
    expect(f.map((a) => `${a.alertname} ${a.severity}`)).toEqual(alerts);
    expect(pageNotifications(f, PAGE_GROUP_BY)).toBe(pages);
  });
});
