/** The unit app.ts composes: a router plus its part of the OpenAPI document. */
import type { Router } from 'express';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

export interface HttpComponent {
  /** Routes with their full paths (e.g. '/v1/walks/:id'), so metrics see the whole template. */
  readonly router: Router;
  /** Registers the component's paths and schemas in the OpenAPI document. */
  registerOpenApi(registry: OpenAPIRegistry): void;
}
