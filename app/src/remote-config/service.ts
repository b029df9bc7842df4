/**
 * Remote configuration: publishing versions (operators, ADR 0231) and
 * resolving the current one for a caller. Knows nothing of HTTP.
 */
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import { rolloutBucket, appConfigFor } from '../appconfig/rollout';
import type { AppEnv } from '../config';
import { inTransaction } from '../db/pool';
import { DomainError } from '../domain-errors';
import type { Clock } from '../lifecycle';
import type { Logger } from '../observability/logger';
import { resolveTemplate, templateChanges } from './evaluate';
import * as repo from './repository';
import { EMPTY_TEMPLATE, TemplateSchema, type ConfigQuery, type Template } from './schemas';

export interface PublishOptions {
  /** The version the operator edited; another publish since then refuses this one. */
  readonly baseVersion: number;
  readonly description?: string | undefined;
  /** @default the database user (current_user) */
  readonly publishedBy?: string | undefined;
}

async function publishVersion(
  pool: Pool,
  template: Template,
  options: PublishOptions & { readonly rollbackOf?: number },
): Promise<repo.TemplateVersion> {
  return inTransaction(pool, async (client) => {
    await repo.lockForPublish(client);
    const current = await repo.latestTemplate(client);
    const currentVersion = current?.version ?? 0;
    if (options.baseVersion !== currentVersion) {
      throw new DomainError(
        'conflict',
        `stale base version ${options.baseVersion}: the current version is ${currentVersion}; ` +
          'read it (history, get) and publish your change on top of it',
      );
    }
    return repo.insertTemplate(client, {
      version: currentVersion + 1,
      template,
      description: options.description ?? '',
      changes: templateChanges(current?.template ?? EMPTY_TEMPLATE, template),
      rollback_of: options.rollbackOf ?? null,
      published_by: options.publishedBy,
    });
  });
}

/** Validates and publishes `template` as the next version. */
export function publishTemplate(pool: Pool, template: unknown, options: PublishOptions) {
  const parsed = TemplateSchema.safeParse(template);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw DomainError.invalid(
      issue.path.join('.') || 'template',
      'invalid',
      `${issue.path.join('.')}: ${issue.message}`,
    );
  }
  return publishVersion(pool, parsed.data, options);
}

/** Publishes version `target`'s content as a new version (history stays as it was). */
export async function rollbackTemplate(
  pool: Pool,
  target: number,
  options: { readonly baseVersion: number; readonly publishedBy?: string | undefined },
): Promise<repo.TemplateVersion> {
  const old = await repo.findTemplate(pool, target);
  if (!old) throw DomainError.notFound(`config template version ${target}`);
  const parsed = TemplateSchema.safeParse(old.template);
  if (!parsed.success)
    throw DomainError.invalid(
      'version',
      'invalid',
      `version ${target} no longer passes validation; publish a fixed copy`,
    );
  return publishVersion(pool, parsed.data, {
    baseVersion: options.baseVersion,
    description: `rollback to version ${target}`,
    rollbackOf: target,
    publishedBy: options.publishedBy,
  });
}

export { findTemplate, listVersions } from './repository';

/** How long a replica serves a template before reading it again: the propagation delay. */
export const TEMPLATE_REFRESH_MS = 5000;

export interface ResolvedConfig {
  readonly templateVersion: number;
  readonly body: Record<string, unknown>;
  /** Strong validator of `body` (RFC 9110, 8.8.3): a hash of its JSON. */
  readonly etag: string;
}

export interface RemoteConfigDeps {
  readonly pool: Pool;
  readonly logger?: Logger;
  readonly clock: Clock;
  readonly environment: AppEnv;
  readonly rolloutPercent: number;
}

export function createRemoteConfigService(deps: RemoteConfigDeps) {
  let cached: { template: Template; version: number; at: number } | undefined;

  /** The current template, read at most every TEMPLATE_REFRESH_MS; the last one read while the database is down. */
  async function current(): Promise<{ template: Template; version: number }> {
    const now = deps.clock.now().getTime();
    if (cached && now - cached.at < TEMPLATE_REFRESH_MS) return cached;
    let row: Awaited<ReturnType<typeof repo.latestTemplate>>;
    try {
      row = await repo.latestTemplate(deps.pool);
    } catch (error) {
      if (!cached) throw error;
      return cached; // the database is down: the last template read
    }
    const parsed = row ? TemplateSchema.safeParse(row.template) : undefined;
    if (parsed && !parsed.success) {
      // A stored version this code no longer accepts: never a 500 for every app (the cohort answer included).
      deps.logger?.error(
        { template_version: row!.version, issues: parsed.error.issues.slice(0, 3) },
        'remote config template no longer passes validation; serving the last good one (or none)',
      );
      cached = cached ? { ...cached, at: now } : { template: EMPTY_TEMPLATE, version: 0, at: now };
      return cached;
    }
    cached = { template: parsed?.data ?? EMPTY_TEMPLATE, version: row?.version ?? 0, at: now };
    return cached;
  }

  return {
    async resolve(userId: string, query: ConfigQuery): Promise<ResolvedConfig> {
      const { template, version } = await current();
      const cohort = appConfigFor(userId, deps.rolloutPercent);
      const parameters = resolveTemplate(template, {
        environment: deps.environment,
        bucket: rolloutBucket(userId),
        appVersion: query.app_version,
        platform: query.platform,
      });
      const body = {
        ...cohort,
        template_version: version,
        parameters: { backend_cohort: cohort.backend_cohort, ...parameters },
      };
      const etag = `"${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 27)}"`;
      return { templateVersion: version, body, etag };
    },
  };
}

export type RemoteConfigService = ReturnType<typeof createRemoteConfigService>;
