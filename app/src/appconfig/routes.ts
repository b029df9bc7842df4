/**
 * GET /v1/config: the signed-in user's configuration: the backend cohort (as
 * before) and the current remote configuration template resolved for them.
 */
import { Router } from 'express';
import { z } from 'zod';
import { currentUser, requireAuth, type TokenVerifier } from '../auth';
import type { HttpComponent } from '../http/component';
import { ifNoneMatchMatches } from '../http/conditional';
import { BEARER_AUTH, errorResponse, type OpenAPIRegistry } from '../http/openapi';
import { parseOrThrow } from '../http/validation';
import type { ProductMetrics } from '../observability/product-metrics';
import { ConfigQuerySchema } from '../remote-config/schemas';
import type { RemoteConfigService } from '../remote-config/service';

const AppConfigSchema = z
  .object({
    backend_cohort: z.boolean().meta({
      description: "true: this user's app uses this backend; false: it keeps using Firestore",
    }),
    rollout_percent: z.number().min(0).max(100).meta({
      description: "the environment's rollout percentage; raising it only ever adds users to the cohort",
    }),
    template_version: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'The remote configuration version resolved (0: none published yet)' }),
    parameters: z.record(z.string(), z.unknown()).meta({
      description:
        'Each parameter of the template with its value for this user (boolean, number, string or JSON), ' +
        'plus backend_cohort',
    }),
  })
  .meta({
    id: 'AppConfig',
    example: {
      backend_cohort: true,
      rollout_percent: 10,
      template_version: 3,
      parameters: { backend_cohort: true, daily_step_goal: 8000 },
    },
  });

export interface AppConfigDeps {
  readonly verifiers: readonly TokenVerifier[];
  readonly service: RemoteConfigService;
  readonly metrics: Pick<ProductMetrics, 'configServed'>;
}

export function appConfigComponent(deps: AppConfigDeps): HttpComponent {
  const router = Router();
  router.get('/v1/config', requireAuth(deps.verifiers), async (req, res) => {
    const query = parseOrThrow(ConfigQuerySchema, req.query);
    const { body, etag, templateVersion } = await deps.service.resolve(currentUser(req).id, query);
    // stored by the app, revalidated on every use: an unchanged config costs a 304
    res.setHeader('Cache-Control', 'private, no-cache').setHeader('ETag', etag);
    const notModified = ifNoneMatchMatches(req.headers['if-none-match'], etag);
    deps.metrics.configServed.inc({
      template_version: String(templateVersion),
      result: notModified ? '304' : '200',
    });
    if (notModified) res.status(304).end();
    else res.json(body);
  });
  return {
    router,
    registerOpenApi(registry: OpenAPIRegistry) {
      const headers = {
        ETag: { description: 'Validator of this answer', schema: { type: 'string' as const } },
      };
      registry.registerPath({
        method: 'get',
        path: '/v1/config',
        operationId: 'getConfig',
        summary: "The app's configuration for the signed-in user",
        description:
          'A user is in the backend cohort when a stable hash of their user id falls below the ' +
          "environment's rollout percentage, so a user never flips back as the percentage rises. " +
          'parameters holds the current remote configuration resolved for the user; send the ETag ' +
          'back as If-None-Match to get 304 while nothing changed.',
        security: [{ [BEARER_AUTH]: [] }],
        request: { query: ConfigQuerySchema },
        responses: {
          200: {
            description: 'configuration',
            headers,
            content: { 'application/json': { schema: AppConfigSchema } },
          },
          304: { description: 'Not modified: If-None-Match names this answer', headers },
          400: errorResponse('INVALID_REQUEST: app_version or platform is malformed'),
          401: errorResponse('missing, malformed, expired or revoked token'),
          503: errorResponse('UNAVAILABLE: the database is down and no template was read yet'),
        },
      });
    },
  };
}
