import { appConfigFor, inBackendCohort, rolloutBucket } from '../../src/appconfig/rollout';

const users = Array.from({ length: 5000 }, (_, i) => `firebase-uid-${i}`);

describe('backend cohort', () => {
  it('gives a user the same bucket every time', () => {
    expect(rolloutBucket('uid-alice')).toBe(rolloutBucket('uid-alice'));
  });

  it('never drops a user as the percentage rises through the waves', () => {
    const waves = [0, 1, 10, 25, 50, 99, 100];
    for (const user of users) {
      const answers = waves.map((percent) => inBackendCohort(user, percent));
      const firstIn = answers.indexOf(true);
      expect(firstIn).not.toBe(-1);
      expect(answers.slice(firstIn).every(Boolean)).toBe(true);
    }
  });

  it('puts roughly the configured share of users in the cohort', () => {
    for (const percent of [10, 50]) {
      const share = users.filter((user) => inBackendCohort(user, percent)).length / users.length;
      expect(Math.abs(share - percent / 100)).toBeLessThan(0.03);
    }
  });

  it('includes nobody at 0 % and everybody at 100 %', () => {
    expect(users.some((user) => inBackendCohort(user, 0))).toBe(false);
    expect(users.every((user) => inBackendCohort(user, 100))).toBe(true);
  });

  it('answers in the API shape', () => {
    expect(appConfigFor('uid-alice', 100)).toEqual({ backend_cohort: true, rollout_percent: 100 });
    expect(appConfigFor('uid-alice', 0)).toEqual({ backend_cohort: false, rollout_percent: 0 });
  });
});
