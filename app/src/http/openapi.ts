/**
 * The OpenAPI 3.1 document, generated from the zod schemas that validate
 * requests. Each HTTP component registers its own paths and schemas.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ERROR_STATUS } from './errors';

export { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(
        Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]],
      ),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), issue: z.string() })).optional(),
      request_id: z.string(),
    }),
  })
  .meta({ id: 'Error' });

/** A response entry for the error envelope, for `responses` of a route. */
export function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: ErrorEnvelopeSchema } } };
}

/** A JSON response entry with its schema, for `responses` of a route. */
export function jsonResponse(schema: z.ZodType, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

export const BEARER_AUTH = 'bearerAuth';

export function createOpenApiRegistry(): OpenAPIRegistry {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', BEARER_AUTH, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A session access token, or a Firebase ID token',
  });
  return registry;
}

/**
 * `servers` of the served document: the origin it was fetched from (behind the
 * load balancer too, with `trust proxy`), so a client generated from it calls
 * the same deployment. A document without one would leave generators guessing.
 */
export function withServer(document: object, origin: string | undefined): object {
  return {
    ...document,
    servers: [origin ? { url: origin, description: 'the server that served this document' } : { url: '/' }],
  };
}

/** Every documented operation's method and path template. */
export function knownRoutes(registry: OpenAPIRegistry): { method: string; path: string }[] {
  return registry.definitions.flatMap((d) =>
    d.type === 'route' ? [{ method: d.route.method, path: d.route.path }] : [],
  );
}

export function generateOpenApiDocument(registry: OpenAPIRegistry): object {
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'walk-service',
      version: '1',
      description: "TekuToko's walks and sessions API (see API.md).",
    },
  });
}
