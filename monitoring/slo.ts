/**
 * The service level objectives, defined once: the recording rules, the
 * burn-rate alerts, the dashboards and the runbooks all derive from here.
 */
import { SERVICE_SELECTOR } from './config';
import { LATENCY_QUANTILE, LATENCY_THRESHOLD_SECONDS, PROBE_ROUTES, SLI, userRequests } from '../config/sli';

export interface Slo {
  /** Value of the `slo` label on every series and alert derived from this SLO. */
  readonly name: 'availability' | 'latency';
  /** Share of good events the objective promises over `periodDays`. */
  readonly objective: number;
  readonly periodDays: number;
  readonly description: string;
  /** Error ratio over a PromQL range, e.g. `5m`: bad events / all events. */
  errorRatio(range: string): string;
  /** Events (user requests) the ratio is computed over, in a PromQL range. */
  events(range: string): string;
}

/** Series of user-facing requests: the service's, probes excluded (config/sli.ts). */
export const SLI_SELECTOR = userRequests(SERVICE_SELECTOR);

export { LATENCY_THRESHOLD_SECONDS, PROBE_ROUTES };

export const SLOS: readonly Slo[] = [
  {
    name: 'availability',
    objective: 0.999,
    periodDays: 30,
    description: '99.9 % of requests over 30 days answer without a 5xx',
    errorRatio: (range) => SLI.errorRatio(SERVICE_SELECTOR, range),
    events: (range) => SLI.requestCount(SERVICE_SELECTOR, range),
  },
  {
    name: 'latency',
    objective: LATENCY_QUANTILE,
    periodDays: 30,
    description: `99 % of requests over 30 days answer within ${LATENCY_THRESHOLD_SECONDS * 1000} ms`,
    errorRatio: (range) => SLI.slowRatio(SERVICE_SELECTOR, range),
    events: (range) => SLI.requestCount(SERVICE_SELECTOR, range),
  },
];

/** Windows the error ratios are recorded over (burn-rate windows plus the 30-day budget window). */
export const ERROR_RATIO_WINDOWS = ['5m', '30m', '1h', '6h', '3d', '30d'] as const;
export type ErrorRatioWindow = (typeof ERROR_RATIO_WINDOWS)[number];

/** Recording rule name of an SLO's error ratio over a window (Prometheus level:metric:operation naming). */
export function errorRatioRecord(window: ErrorRatioWindow): string {
  return `slo:sli_error:ratio_rate${window}`;
}

/** Recording rule name of the user requests an SLO counted over a window. */
export function eventsRecord(window: ErrorRatioWindow): string {
  return `slo:sli_requests:increase${window}`;
}

/**
 * Multiwindow, multi-burn-rate alerts (Google SRE workbook, "Alerting on
 * SLOs"): an alert needs both the long window (significant budget spent) and
 * the short window (still burning now).
 */
export interface BurnRateWindow {
  readonly id: 'fast' | 'slow' | 'ticket';
  readonly severity: 'page' | 'ticket';
  readonly burnRate: number;
  readonly longWindow: ErrorRatioWindow;
  readonly shortWindow: ErrorRatioWindow;
  /** Share of the 30-day budget spent when the long window alone fires. */
  readonly budgetSpentShare: string;
  readonly for: string;
}

export const BURN_RATE_WINDOWS: readonly BurnRateWindow[] = [
  {
    id: 'fast',
    severity: 'page',
    burnRate: 14.4,
    longWindow: '1h',
    shortWindow: '5m',
    budgetSpentShare: '2 %',
    for: '2m',
  },
  {
    id: 'slow',
    severity: 'page',
    burnRate: 6,
    longWindow: '6h',
    shortWindow: '30m',
    budgetSpentShare: '5 %',
    for: '15m',
  },
  {
    id: 'ticket',
    severity: 'ticket',
    burnRate: 1,
    longWindow: '3d',
    shortWindow: '6h',
    budgetSpentShare: '10 %',
    for: '1h',
  },
];

/** Error budget as a ratio: 1 - objective (0.001 for 99.9 %). */
export function errorBudget(slo: Slo): number {
  return Number((1 - slo.objective).toPrecision(6));
}

/** The error-ratio threshold of a burn-rate window: burn rate x budget. */
export function burnThreshold(slo: Slo, w: BurnRateWindow): number {
  return Number((w.burnRate * errorBudget(slo)).toPrecision(6));
}

/**
 * Low-traffic guard (SRE Workbook, "Alerting on SLOs", low-traffic services):
 * the fewest requests the long window must hold before the window may alert,
 * chosen so that one bad request alone can never cross the threshold
 * (1 / n <= threshold). At one request a minute the 1 h window holds 60 of the
 * availability SLO's 70, so a single 5xx cannot page; a real outage still
 * pages through the 6 h window (360 requests, 167 needed).
 */
export function minEventsForWindow(slo: Slo, w: BurnRateWindow): number {
  return Math.ceil(Number((1 / burnThreshold(slo, w)).toPrecision(6)));
}
