/**
 * The arithmetic of a canary analysis: when Flagger checks, over which
 * window, and how many user requests each check can expect to judge.
 * Used by the environment validation (a plan that cannot reach a verdict is
 * refused), the chart and docs/adr/0120.
 */
import { CANARY_VERDICT } from './sli';

/** Scrape interval of the walk-service PodMonitoring. */
export const SCRAPE_INTERVAL_SECONDS = 15;

/**
 * Shortest check window: 16 scrapes. A 60 s window held four samples, so a
 * scrape or two still in ingestion left rate() with too few points and the
 * verdict flipped between reads; with no staleness on Managed Prometheus
 * (platform-facts.ts GMP_SUPPORTS_STALENESS) a longer window also averages out a dead pod's
 * last samples.
 */
export const MIN_CHECK_WINDOW_SECONDS = 16 * SCRAPE_INTERVAL_SECONDS;

/**
 * The load test stops this long before the next tick. Flagger's load tester keys a `cmd` task by
 * canary and command and skips a command whose previous run is still going (Flagger 1.44
 * pkg/loadtester/task_shell.go Hash, runner.go runAll "command skipped"), and every tick sends the
 * same command: a run as long as the interval would make the next tick's run be skipped and leave
 * the following window without load. The margin covers hey finishing its in-flight requests (its
 * default request timeout is 20 s) and the delay of Flagger's tick.
 */
export const LOAD_TEST_STOP_MARGIN_SECONDS = 30;

export interface CanaryPlan {
  readonly stepWeights: readonly number[];
  readonly intervalSeconds: number;
  readonly routeUpdateWaitSeconds: number;
  readonly failedChecksBeforeRollback: number;
  readonly loadTestRequestsPerSecond: number;
  readonly plannedUserRequestsPerSecond: number;
}

export interface CanaryCheck {
  /** Seconds after the analysis started (Flagger's first tick runs the pre-rollout hooks and sets step 1). */
  readonly atSeconds: number;
  readonly weightPercent: number;
  readonly windowSeconds: number;
  /** Real users' requests to the canary in the window, at the planned rate. */
  readonly expectedUserRequests: number;
  /** Load-tester requests to the canary Service in the window. */
  readonly expectedLoadTestRequests: number;
}

/**
 * A check judges the window that starts once the load balancer applied the
 * step's weight: the interval minus the route-update wait.
 */
export function checkWindowSeconds(
  plan: Pick<CanaryPlan, 'intervalSeconds' | 'routeUpdateWaitSeconds'>,
): number {
  return plan.intervalSeconds - plan.routeUpdateWaitSeconds;
}

/** Seconds each load-test run lasts (`hey -z`): it starts at a tick and ends before the next. */
export function loadTestDurationSeconds(plan: Pick<CanaryPlan, 'intervalSeconds'>): number {
  return plan.intervalSeconds - LOAD_TEST_STOP_MARGIN_SECONDS;
}

/**
 * Flagger 1.44 (pkg/controller/scheduler.go, advanceCanary/runCanary): tick 0
 * runs the pre-rollout hooks and sets the first weight; every later tick runs
 * the checks at the current weight and, if they pass, moves to the next
 * weight or, at the last, promotes. One check per step weight.
 */
export function canaryTimeline(plan: CanaryPlan): {
  checks: CanaryCheck[];
  promotionStartsAtSeconds: number;
} {
  const windowSeconds = checkWindowSeconds(plan);
  const checks = plan.stepWeights.map((weightPercent, i) => ({
    atSeconds: (i + 1) * plan.intervalSeconds,
    weightPercent,
    windowSeconds,
    expectedUserRequests: Math.floor(
      (plan.plannedUserRequestsPerSecond * weightPercent * windowSeconds) / 100,
    ),
    // The load runs from the tick to the margin before the next; the window starts after the route wait.
    expectedLoadTestRequests: Math.floor(
      plan.loadTestRequestsPerSecond *
        Math.max(0, loadTestDurationSeconds(plan) - plan.routeUpdateWaitSeconds),
    ),
  }));
  return { checks, promotionStartsAtSeconds: plan.stepWeights.length * plan.intervalSeconds };
}

/**
 * Longest a successful analysis takes: one tick to start (pre-rollout hooks,
 * first weight), one per step, then Promoting and Finalising one tick each,
 * plus one tick for Flagger to notice the new revision.
 */
export function analysisDurationSeconds(plan: Pick<CanaryPlan, 'stepWeights' | 'intervalSeconds'>): number {
  return (plan.stepWeights.length + 4) * plan.intervalSeconds;
}

/** Why a plan cannot reach a trustworthy verdict, or [] when it can. */
export function canaryPlanProblems(plan: CanaryPlan): string[] {
  const problems: string[] = [];
  const window = checkWindowSeconds(plan);
  if (window < MIN_CHECK_WINDOW_SECONDS) {
    problems.push(
      `check window intervalSeconds - routeUpdateWaitSeconds is ${window} s; make it >= ${MIN_CHECK_WINDOW_SECONDS} s`,
    );
  }
  for (const c of canaryTimeline(plan).checks) {
    const judged = c.expectedUserRequests + c.expectedLoadTestRequests;
    if (judged < CANARY_VERDICT.minUserRequests) {
      problems.push(
        `the ${c.weightPercent} % step expects ${judged} requests per check, fewer than ` +
          `${CANARY_VERDICT.minUserRequests}; raise the weight, the interval or loadTestRequestsPerSecond`,
      );
    }
  }
  return problems;
}
