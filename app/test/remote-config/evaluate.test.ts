/** Resolving templates: each condition criterion, ordering, and the cohort's hash for percentages. */
import { randomUUID } from 'node:crypto';
import { inBackendCohort, rolloutBucket } from '../../src/appconfig/rollout';
import {
  compareVersions,
  conditionHolds,
  resolveTemplate,
  templateChanges,
} from '../../src/remote-config/evaluate';
import { TemplateSchema, type Template } from '../../src/remote-config/schemas';

const ctx = { environment: 'dev' as const, bucket: 4200, appVersion: '1.4.0', platform: 'ios' };

it('compares dotted versions numerically, a missing part being 0', () => {
  expect(compareVersions('1.10.0', '1.9.9')).toBe(1);
  expect(compareVersions('1.4', '1.4.0')).toBe(0);
  expect(compareVersions('2', '10')).toBe(-1);
});

it('holds a condition only when every criterion it sets holds', () => {
  expect(conditionHolds({ name: 'a' }, ctx)).toBe(true);
  expect(conditionHolds({ name: 'a', environments: ['prod'] }, ctx)).toBe(false);
  expect(conditionHolds({ name: 'a', environments: ['dev', 'prod'] }, ctx)).toBe(true);
  expect(conditionHolds({ name: 'a', percent: 42 }, ctx)).toBe(false); // bucket 4200 is not below 4200
  expect(conditionHolds({ name: 'a', percent: 42.01 }, ctx)).toBe(true);
  expect(conditionHolds({ name: 'a', min_app_version: '1.4.0' }, ctx)).toBe(true);
  expect(conditionHolds({ name: 'a', min_app_version: '1.10' }, ctx)).toBe(false);
  expect(conditionHolds({ name: 'a', min_app_version: '1.0' }, { ...ctx, appVersion: undefined })).toBe(
    false,
  );
  expect(conditionHolds({ name: 'a', platforms: ['android'] }, ctx)).toBe(false);
  expect(conditionHolds({ name: 'a', platforms: ['ios'] }, { ...ctx, platform: undefined })).toBe(false);
  expect(conditionHolds({ name: 'a', environments: ['dev'], platforms: ['ios'], percent: 50 }, ctx)).toBe(
    true,
  );
});

it('selects by percentage exactly the users the backend cohort selects at that percentage', () => {
  const template: Template = TemplateSchema.parse({
    conditions: [{ name: 'ten', percent: 10 }],
    parameters: {
      flag: {
        type: 'boolean',
        default_value: false,
        conditional_values: [{ condition: 'ten', value: true }],
      },
    },
  });
  for (let i = 0; i < 500; i += 1) {
    const uid = randomUUID();
    const resolved = resolveTemplate(template, { ...ctx, bucket: rolloutBucket(uid) });
    expect(resolved.flag).toBe(inBackendCohort(uid, 10));
  }
});

it('takes the first conditional value whose condition holds, else the default', () => {
  const template = TemplateSchema.parse({
    conditions: [
      { name: 'android', platforms: ['android'] },
      { name: 'new_app', min_app_version: '1.3' },
    ],
    parameters: {
      goal: {
        type: 'number',
        default_value: 5000,
        conditional_values: [
          { condition: 'android', value: 6000 },
          { condition: 'new_app', value: 8000 },
        ],
      },
      banner: { type: 'json', default_value: { show: false } },
    },
  });
  expect(resolveTemplate(template, ctx)).toEqual({ goal: 8000, banner: { show: false } });
  expect(resolveTemplate(template, { ...ctx, platform: 'android' }).goal).toBe(6000);
  expect(resolveTemplate(template, { ...ctx, appVersion: '1.2.9' }).goal).toBe(5000);
});

it('refuses templates the API could not serve, naming the place', () => {
  const problems = (t: unknown) =>
    TemplateSchema.safeParse(t).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  expect(problems({ parameters: { backend_cohort: { type: 'boolean', default_value: true } } })[0]).toMatch(
    /^parameters\.backend_cohort: is reserved/,
  );
  expect(
    problems({
      parameters: {
        x: {
          type: 'boolean',
          default_value: true,
          conditional_values: [{ condition: 'nope', value: false }],
        },
      },
    })[0],
  ).toMatch(/^parameters\.x\.conditional_values\.0\.condition: names no condition/);
  expect(problems({ parameters: { x: { type: 'number', default_value: 'five' } } })[0]).toMatch(
    /^parameters\.x\.default_value/,
  );
  expect(problems({ conditions: [{ name: 'a' }, { name: 'a' }] })[0]).toMatch(
    /^conditions\.1\.name: repeats/,
  );
  expect(problems({ conditions: [{ name: 'a', percent: 101 }] })).toHaveLength(1);
  expect(problems({ parameters: { 'Bad-Name': { type: 'string', default_value: '' } } })).not.toEqual([]);
});

it('reports what a version changes', () => {
  const before = TemplateSchema.parse({
    parameters: { a: { type: 'boolean', default_value: true }, b: { type: 'string', default_value: 'x' } },
  });
  const after = TemplateSchema.parse({
    conditions: [{ name: 'ios', platforms: ['ios'] }],
    parameters: { a: { type: 'boolean', default_value: false }, c: { type: 'number', default_value: 1 } },
  });
  expect(templateChanges(before, after)).toEqual({
    parameters: { added: ['c'], changed: ['a'], removed: ['b'] },
    conditions: { added: ['ios'], changed: [], removed: [] },
  });
});
