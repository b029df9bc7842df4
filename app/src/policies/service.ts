/**
 * Policies: which version is current, and the operator's publish rules.
 * Knows nothing of HTTP; failures are DomainErrors.
 */
import type { Pool } from 'pg';
import { DomainError } from '../domain-errors';
import type { Clock } from '../lifecycle';
import * as repo from './repository';
import { type Policy, type PolicyFile } from './schemas';

/** The longest the app may keep a policy answer: its 24-hour cache (issue 18). */
export const MAX_CACHE_SECONDS = 86_400;

export interface CurrentAnswer {
  readonly policy: Policy;
  /** Seconds a cache may keep this answer: never past the next version's effective date. */
  readonly maxAgeSeconds: number;
}

export function createPoliciesService(deps: { readonly pool: Pool; readonly clock: Clock }) {
  const { pool, clock } = deps;
  return {
    async current(): Promise<CurrentAnswer> {
      const now = clock.now();
      const { policy, nextEffectiveDate } = await repo.findCurrent(pool, now);
      if (!policy) throw DomainError.notFound('a policy in effect');
      const untilNext = nextEffectiveDate
        ? Math.max(0, Math.floor((Date.parse(nextEffectiveDate) - now.getTime()) / 1000))
        : MAX_CACHE_SECONDS;
      return { policy, maxAgeSeconds: Math.min(MAX_CACHE_SECONDS, untilNext) };
    },

    async get(version: string): Promise<Policy> {
      const policy = await repo.findPolicy(pool, version);
      if (!policy) throw DomainError.notFound(`policy version ${version}`);
      return policy;
    },
  };
}

export type PoliciesService = ReturnType<typeof createPoliciesService>;

/**
 * The operator's publish: a new immutable version. An effective date in the
 * past is refused unless `force` (the database records it as backdated).
 */
export async function publishPolicy(
  pool: Pool,
  file: PolicyFile,
  options: { readonly force: boolean; readonly now: Date; readonly publishedBy?: string | undefined },
): Promise<void> {
  const backdated = Date.parse(file.effective_date) < options.now.getTime();
  if (backdated && !options.force) {
    throw DomainError.invalid(
      'effective_date',
      'in_the_past',
      `effective_date ${file.effective_date} is in the past; publish with --force to backdate it`,
    );
  }
  let inserted: boolean;
  try {
    inserted = await repo.insertPolicy(pool, file, backdated, options.publishedBy);
  } catch (error) {
    // The database's own rules, said in the operator's words (migration 0005).
    const pg = error as { code?: string; constraint?: string };
    if (pg.code === '23505' && pg.constraint === 'policies_effective_date_idx')
      throw new DomainError(
        'conflict',
        `another version already takes effect at ${file.effective_date}; pick another effective_date`,
      );
    if (pg.code === '23514')
      throw DomainError.invalid(
        'policy',
        'rejected',
        `the database refused the policy (${pg.constraint}): a text is blank or backdating was not allowed`,
      );
    throw error;
  }
  if (!inserted) {
    throw new DomainError(
      'conflict',
      `policy version ${file.version} is already published (versions are immutable)`,
    );
  }
}

export { listPolicies } from './repository';
