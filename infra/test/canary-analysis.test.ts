import { readFileSync } from 'fs';
import { join } from 'path';
import {
  MIN_CHECK_WINDOW_SECONDS,
  analysisDurationSeconds,
  canaryPlanProblems,
  canaryTimeline,
} from '../../config/canary-analysis';
import { defaultEnvironment, loadEnvironments, validateEnvironment } from '../../config/environments';
import { CANARY_VERDICT } from '../../config/sli';

const { environments } = loadEnvironments();

/** Binomial P(X >= k) for n trials at p. */
function atLeast(k: number, n: number, p: number): number {
  let below = 0;
  let term = (1 - p) ** n; // P(X = 0)
  for (let i = 0; i < k; i++) {
    below += term;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return 1 - below;
}

describe('canary analysis arithmetic (docs/adr/0120)', () => {
  it('gives each environment the timeline in the ADR', () => {
    const rows = (['staging', 'prod'] as const).map((name) => {
      const plan = environments[name].service.canary!;
      const t = canaryTimeline(plan);
      return {
        name,
        checks: t.checks.map((c) => [
          c.atSeconds,
          c.weightPercent,
          c.windowSeconds,
          c.expectedUserRequests,
          c.expectedLoadTestRequests,
        ]),
        promotionStartsAtSeconds: t.promotionStartsAtSeconds,
        durationMinutes: analysisDurationSeconds(plan) / 60,
      };
    });
    expect(rows).toEqual([
      {
        name: 'staging',
        checks: [
          [300, 10, 240, 0, 420],
          [600, 50, 240, 0, 420],
        ],
        promotionStartsAtSeconds: 600,
        durationMinutes: 30,
      },
      {
        name: 'prod',
        checks: [
          [600, 10, 540, 108, 0],
          [1200, 25, 540, 270, 0],
          [1800, 50, 540, 540, 0],
        ],
        promotionStartsAtSeconds: 1800,
        durationMinutes: 70,
      },
    ]);
  });

  it('the ADR table holds the same figures', () => {
    const adr = readFileSync(
      join(__dirname, '../../docs/adr/0120-canary-verdict-on-user-requests.md'),
      'utf8',
    );
    for (const name of ['staging', 'prod'] as const) {
      for (const c of canaryTimeline(environments[name].service.canary!).checks) {
        expect(adr).toContain(
          `| ${c.atSeconds} s | ${c.weightPercent} % | ${c.expectedUserRequests} | ${c.expectedLoadTestRequests} |`,
        );
      }
    }
  });

  it('has a minimum count at which one error passes and two fail the 1 % limit', () => {
    const n = CANARY_VERDICT.minUserRequests;
    expect(1 / n).toBeLessThanOrEqual(CANARY_VERDICT.maxErrorRatio);
    expect(2 / n).toBeGreaterThan(CANARY_VERDICT.maxErrorRatio);
    // A 5 % release fails a check almost always; a release at the SLO's 0.1 % almost never.
    expect(atLeast(2, n, 0.05)).toBeGreaterThan(0.96);
    expect(atLeast(2, n, 0.001)).toBeLessThan(0.005);
  });

  it('refuses a plan whose window is too short or whose steps see too few requests', () => {
    const staging = defaultEnvironment('staging');
    const plan = {
      ...staging.service.canary!,
      intervalSeconds: 60,
      routeUpdateWaitSeconds: 0,
      loadTestRequestsPerSecond: 5,
    };
    expect(canaryPlanProblems(plan)).toEqual([
      `check window intervalSeconds - routeUpdateWaitSeconds is 60 s; make it >= ${MIN_CHECK_WINDOW_SECONDS} s`,
    ]);
    const quiet = {
      ...staging.service.canary!,
      loadTestRequestsPerSecond: 0,
      plannedUserRequestsPerSecond: 1,
    };
    expect(() => validateEnvironment({ ...staging, service: { ...staging.service, canary: quiet } })).toThrow(
      /the 10 % step expects 24 requests per check, fewer than 100/,
    );
  });

  it('lets the deploy workflow wait longer than the longest analysis', () => {
    const workflow = readFileSync(join(__dirname, '../../.github/workflows/deploy-env.yml'), 'utf8');
    const wait = Number(/canary-wait\.ts wait .*--timeout-minutes (\d+)/.exec(workflow)![1]);
    const job = Number(/timeout-minutes: (\d+)/.exec(workflow)![1]);
    const longest = Math.max(
      ...Object.values(environments).flatMap((e) =>
        e.service.canary ? [analysisDurationSeconds(e.service.canary) / 60] : [],
      ),
    );
    expect(wait).toBeGreaterThanOrEqual(longest);
    expect(job).toBeGreaterThan(wait + 30);
  });
});
