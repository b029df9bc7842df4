/**
 * The Express app, built from injected dependencies so tests, the local
 * environment and the server share one composition. Components are listed
 * once below; add a new one there (its router and its OpenAPI paths).
 */
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Pool } from 'pg';
import type { AccessTokenVerifier, TokenVerifier } from '../auth';
import type { Config } from '../config';
import { appConfigComponent } from '../appconfig/routes';
import { CLIENT_LOGS_PATH, clientLogsComponent } from '../client-logs/routes';
import { CLIENT_LOG_BODY_LIMIT } from '../client-logs/schemas';
import { createClientLogService } from '../client-logs/service';
import { healthComponent } from '../health/routes';
import { consentsComponent } from '../consents/routes';
import { createConsentsService } from '../consents/service';
import { policiesComponent } from '../policies/routes';
import { createRemoteConfigService } from '../remote-config/service';
import { createPoliciesService } from '../policies/service';
import { shareImagesComponent } from '../share-images/routes';
import { createShareImagesService } from '../share-images/service';
import type { ObjectStore } from '../storage';
import { createWalkImages } from '../thumbnails/images';
import { thumbnailsComponent } from '../thumbnails/routes';
import { createThumbnailsService } from '../thumbnails/service';
import { walksComponent } from '../walks/routes';
import { createWalksService } from '../walks/service';
import type { Clock, Lifecycle } from '../lifecycle';
import type { Logger } from '../observability/logger';
import { initialiseRequestSeries, type Metrics } from '../observability/metrics';
import type { Sessions } from '../sessions';
import type { HttpComponent } from './component';
import { ERROR_STATUS, errorHandler } from './errors';
import {
  accessLogAndMetrics,
  methodNotAllowed,
  notFound,
  requestContext,
  requireJsonBody,
  routesOf,
} from './middleware';
import { createOpenApiRegistry, generateOpenApiDocument, knownRoutes } from './openapi';
import './request-context';

export interface AppDeps {
  readonly config: Config;
  readonly pool: Pool;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly lifecycle: Lifecycle;
  /** Migration names this build ships; /readyz wants them all applied. */
  readonly shippedMigrations: readonly string[];
  readonly verifiers: {
    readonly firebase: TokenVerifier;
    /** Session access tokens; absent until the sessions component provides it. */
    readonly accessToken?: AccessTokenVerifier;
  };
  /** Sessions: /v1/sessions routes; its verifier is verifiers.accessToken. */
  readonly sessions?: Sessions;
  /** Walk images' bucket (config.storage); absent, the image routes answer 503. */
  readonly objectStore?: ObjectStore;
}

/** The 5xx statuses the service answers (errors.ts): their series exist from startup. */
const SERVER_ERROR_STATUSES = [...new Set(Object.values(ERROR_STATUS))].filter((s) => s >= 500);

export const JSON_BODY_LIMIT = '2mb';
/**
 * A walk at its 10,000-location cap with every number at full double
 * precision and microsecond timestamps is about 2.9 MiB of JSON; walk writes
 * may take 4 MiB. The limit counts the decoded body, so a gzip, deflate or br
 * request body (Content-Encoding, decoded by body-parser) cannot inflate past it.
 */
export const WALK_BODY_LIMIT = '4mb';
const WALK_WRITE_PATHS = ['/v1/walks', '/v1/walks/:id'];

/** Every verifier the bearer-token middleware routes to, by issuer. */
export function tokenVerifiers(deps: AppDeps): TokenVerifier[] {
  return [deps.verifiers.firebase, ...(deps.verifiers.accessToken ? [deps.verifiers.accessToken] : [])];
}

export function createApp(deps: AppDeps): Express {
  const registry = createOpenApiRegistry();
  let document: object | undefined;
  // generated on first request, after every component below has registered
  const openApiDocument = () => (document ??= generateOpenApiDocument(registry));
  const verifiers = tokenVerifiers(deps);
  const { sessions } = deps;
  const { product } = deps.metrics;
  const storageConfig = deps.config.storage;
  const storage =
    deps.objectStore && storageConfig
      ? {
          store: deps.objectStore,
          config: storageConfig,
          images: createWalkImages({
            store: deps.objectStore,
            readUrlTtlSeconds: storageConfig.readUrlTtlSeconds,
            logger: deps.logger,
            onDeleteFailure: (object) => deps.metrics.imageObjectDeleteFailures.inc({ object }),
          }),
        }
      : undefined;
  const components: HttpComponent[] = [
    healthComponent({
      ...deps,
      openApiDocument,
      ...(sessions && { revocationListLoaded: () => sessions.revokedSessions.loaded }),
    }),
    walksComponent({ service: createWalksService({ ...deps, images: storage?.images }), verifiers }),
    thumbnailsComponent({ service: createThumbnailsService({ ...deps, storage }), verifiers }),
    shareImagesComponent({
      service: createShareImagesService({
        pool: deps.pool,
        store: deps.objectStore,
        config: deps.config.shareImages,
        readUrlTtlSeconds: deps.config.storage?.readUrlTtlSeconds ?? 3600,
      }),
      verifiers,
    }),
    appConfigComponent({
      verifiers,
      metrics: product,
      service: createRemoteConfigService({
        ...deps,
        environment: deps.config.appEnv,
        rolloutPercent: deps.config.rolloutPercent,
      }),
    }),
    policiesComponent({ service: createPoliciesService(deps) }),
    consentsComponent({
      service: createConsentsService({
        ...deps,
        onRecorded: (consent) => product.consentsRecorded.inc({ consent_type: consent.consent_type }),
      }),
      verifiers,
    }),
    clientLogsComponent({
      service: createClientLogService({
        ...deps,
        scrub: { coordinateDecimals: deps.config.clientLogCoordinateDecimals },
      }),
      verifiers,
      metrics: deps.metrics,
      batchesPerMinute: deps.config.clientLogRateLimit,
    }),
  ];
  if (sessions) components.push(sessions.component(deps.verifiers.firebase));
  for (const component of components) component.registerOpenApi(registry);

  const app = express();
  app.set('trust proxy', deps.config.trustProxy);
  app.set('etag', false); // walks send their version as the ETag; no hashing of every body
  app.use(requestContext(deps.logger, deps.config.googleCloudProject));
  app.use((_req, res, next) => {
    // once shutdown began, clients reconnect (to another replica) after this response
    if (deps.lifecycle.shuttingDown) res.setHeader('Connection', 'close');
    next();
  });
  app.use(accessLogAndMetrics(deps.metrics, deps.config.googleCloudProject));
  app.use(helmet());
  app.use(requireJsonBody);
  // Walk writes first: a body read here is finished, so the general parser leaves it alone.
  app.post(
    WALK_WRITE_PATHS,
    express.json({ limit: WALK_BODY_LIMIT, type: 'application/json', strict: true }),
  );
  app.put(WALK_WRITE_PATHS, express.json({ limit: WALK_BODY_LIMIT, type: 'application/json', strict: true }));
  app.post(
    CLIENT_LOGS_PATH,
    express.json({ limit: CLIENT_LOG_BODY_LIMIT, type: 'application/json', strict: true }),
  );
  app.use(express.json({ limit: JSON_BODY_LIMIT, type: 'application/json', strict: true }));
  for (const component of components) app.use(component.router);
  initialiseRequestSeries(
    deps.metrics,
    components.flatMap((c) => routesOf(c.router)),
    SERVER_ERROR_STATUSES,
  );
  app.use(methodNotAllowed(() => knownRoutes(registry)));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
