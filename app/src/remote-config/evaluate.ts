/** Resolving a template for one caller: pure functions, no I/O. */
import { isDeepStrictEqual } from 'node:util';
import type { AppEnv } from '../config';
import type { Condition, Parameter, Template } from './schemas';

export interface EvaluationContext {
  readonly environment: AppEnv;
  /** The user's stable bucket in [0, 10000) (appconfig/rollout.ts, the cohort's hash). */
  readonly bucket: number;
  readonly appVersion: string | undefined;
  readonly platform: string | undefined;
}

/** Dotted versions compared part by part as numbers; a missing part is 0 (1.4 = 1.4.0). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Every criterion the condition sets must hold; an unknown app version or platform holds none. */
export function conditionHolds(condition: Condition, ctx: EvaluationContext): boolean {
  if (condition.environments && !condition.environments.includes(ctx.environment)) return false;
  if (condition.percent !== undefined && ctx.bucket >= Math.round(condition.percent * 100)) return false;
  if (condition.min_app_version !== undefined) {
    if (!ctx.appVersion || compareVersions(ctx.appVersion, condition.min_app_version) < 0) return false;
  }
  if (condition.platforms && !(ctx.platform && (condition.platforms as string[]).includes(ctx.platform)))
    return false;
  return true;
}

export function resolveParameter(parameter: Parameter, holds: (condition: string) => boolean): unknown {
  const match = (parameter.conditional_values as Array<{ condition: string; value: unknown }>).find((cv) =>
    holds(cv.condition),
  );
  return match ? match.value : parameter.default_value;
}

/** Each parameter's value for the caller, in the template's parameter order. */
export function resolveTemplate(template: Template, ctx: EvaluationContext): Record<string, unknown> {
  const byName = new Map(template.conditions.map((c) => [c.name, c]));
  const cache = new Map<string, boolean>();
  const holds = (name: string) => {
    if (!cache.has(name)) {
      const condition = byName.get(name);
      cache.set(name, condition !== undefined && conditionHolds(condition, ctx));
    }
    return cache.get(name)!;
  };
  return Object.fromEntries(
    Object.entries(template.parameters).map(([name, p]) => [name, resolveParameter(p, holds)]),
  );
}

export interface TemplateChanges {
  readonly parameters: { added: string[]; changed: string[]; removed: string[] };
  readonly conditions: { added: string[]; changed: string[]; removed: string[] };
}

function diff<T>(before: Record<string, T>, after: Record<string, T>) {
  // key order is not content: jsonb gives keys back in its own order
  const same = (a: T, b: T) => isDeepStrictEqual(a, b);
  return {
    added: Object.keys(after).filter((k) => !(k in before)),
    changed: Object.keys(after).filter((k) => k in before && !same(before[k]!, after[k]!)),
    removed: Object.keys(before).filter((k) => !(k in after)),
  };
}

/** What a new version changes against the previous one (for history). */
export function templateChanges(before: Template, after: Template): TemplateChanges {
  const conditions = (t: Template) => Object.fromEntries(t.conditions.map((c) => [c.name, c]));
  return {
    parameters: diff(before.parameters, after.parameters),
    conditions: diff(conditions(before), conditions(after)),
  };
}
