/**
 * /healthz (process alive), /readyz (not shutting down, DB answers, migrations
 * current, revoked-session list loaded), /openapi.json.
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Pool } from 'pg';
import { pendingMigrations } from '../db/migrate';
import type { HttpComponent } from '../http/component';
import { type OpenAPIRegistry, withServer } from '../http/openapi';
import type { Lifecycle } from '../lifecycle';
import type { Logger } from '../observability/logger';

const HealthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
const ReadySchema = z.object({ status: z.literal('ready') }).meta({ id: 'Ready' });
const NotReadySchema = z
  .object({
    status: z.literal('not_ready'),
    reason: z.enum([
      'shutting_down',
      'database_unavailable',
      'migrations_pending',
      'revocation_list_pending',
    ]),
  })
  .meta({ id: 'NotReady' });

export interface HealthDeps {
  readonly pool: Pool;
  readonly lifecycle: Lifecycle;
  readonly logger: Logger;
  readonly shippedMigrations: readonly string[];
  /** Sessions' revoked-session list has been loaded once (absent without sessions). */
  readonly revocationListLoaded?: () => boolean;
  /** The OpenAPI document, built once all components registered. */
  readonly openApiDocument: () => object;
}

type NotReady = z.infer<typeof NotReadySchema>;

async function readiness(deps: HealthDeps): Promise<NotReady | undefined> {
  if (deps.lifecycle.shuttingDown) return { status: 'not_ready', reason: 'shutting_down' };
  try {
    const pending = await pendingMigrations(deps.pool, deps.shippedMigrations);
    if (pending.length > 0) return { status: 'not_ready', reason: 'migrations_pending' };
  } catch (error) {
    deps.logger.warn({ err: error }, 'readiness check: database unavailable');
    return { status: 'not_ready', reason: 'database_unavailable' };
  }
  // Before its first load the replica would accept every revoked access token.
  if (deps.revocationListLoaded && !deps.revocationListLoaded()) {
    return { status: 'not_ready', reason: 'revocation_list_pending' };
  }
  return undefined;
}

export function healthComponent(deps: HealthDeps): HttpComponent {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const notReady = await readiness(deps);
    if (notReady) res.status(503).setHeader('Retry-After', '5').json(notReady);
    else res.json({ status: 'ready' });
  });
  router.get('/openapi.json', (req, res) => {
    const host = req.get('host');
    res.json(withServer(deps.openApiDocument(), host ? `${req.protocol}://${host}` : undefined));
  });

  return {
    router,
    registerOpenApi(registry: OpenAPIRegistry) {
      registry.registerPath({
        method: 'get',
        path: '/healthz',
        operationId: 'getHealth',
        security: [],
        summary: 'Liveness: the process can serve (no database call)',
        responses: {
          200: { description: 'alive', content: { 'application/json': { schema: HealthSchema } } },
        },
      });
      registry.registerPath({
        method: 'get',
        path: '/readyz',
        operationId: 'getReadiness',
        security: [],
        summary:
          'Readiness: no shutdown under way, the database answers, migrations are current, the revoked-session list is loaded',
        responses: {
          200: { description: 'ready', content: { 'application/json': { schema: ReadySchema } } },
          503: { description: 'not ready', content: { 'application/json': { schema: NotReadySchema } } },
        },
      });
      registry.registerPath({
        method: 'get',
        path: '/openapi.json',
        operationId: 'getOpenApiDocument',
        security: [],
        summary: 'This document',
        responses: {
          200: {
            description: 'OpenAPI 3.1 document',
            content: { 'application/json': { schema: { type: 'object' } } },
          },
        },
      });
    },
  };
}
