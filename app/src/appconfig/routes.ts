/** GET /v1/config: tells an authenticated app whether its user is in the backend cohort. */
import { Router } from 'express';
import { z } from 'zod';
import { currentUser, requireAuth, type TokenVerifier } from '../auth';
import type { HttpComponent } from '../http/component';
import { BEARER_AUTH, errorResponse, type OpenAPIRegistry } from '../http/openapi';
import { appConfigFor } from './rollout';

const AppConfigSchema = z
  .object({
    backend_cohort: z.boolean().meta({
      description: "true: this user's app uses this backend; false: it keeps using Firestore",
    }),
    rollout_percent: z.number().min(0).max(100).meta({
      description: "the environment's rollout percentage; raising it only ever adds users to the cohort",
    }),
  })
  .meta({ id: 'AppConfig', example: { backend_cohort: true, rollout_percent: 10 } });

export interface AppConfigDeps {
  readonly verifiers: readonly TokenVerifier[];
  /** ROLLOUT_PERCENT of the environment (app/src/config). */
  readonly rolloutPercent: number;
}

export function appConfigComponent(deps: AppConfigDeps): HttpComponent {
  const router = Router();
  router.get('/v1/config', requireAuth(deps.verifiers), (req, res) => {
    res.setHeader('Cache-Control', 'private, no-store');
    res.json(appConfigFor(currentUser(req).id, deps.rolloutPercent));
  });
  return {
    router,
    registerOpenApi(registry: OpenAPIRegistry) {
      registry.registerPath({
        method: 'get',
        path: '/v1/config',
        operationId: 'getConfig',
        summary: "The app's configuration for the signed-in user: whether to use this backend",
        description:
          'A user is in the backend cohort when a stable hash of their user id falls below the ' +
          "environment's rollout percentage, so a user never flips back as the percentage rises.",
        security: [{ [BEARER_AUTH]: [] }],
        responses: {
          200: { description: 'configuration', content: { 'application/json': { schema: AppConfigSchema } } },
          401: errorResponse('missing, malformed, expired or revoked token'),
        },
      });
    },
  };
}
