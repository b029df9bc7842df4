/**
 * OpenTelemetry tracing: a server span per request (named by route template),
 * child spans for PostgreSQL queries and outgoing HTTP (Firebase, Google
 * APIs), W3C `traceparent` read on the way in and written on the way out.
 * Off unless OTEL_TRACES_EXPORTER says where spans go (ADR 0241).
 *
 * The instrumentations patch `http`, `express` and `pg` when they are
 * required, so this starts before anything else loads (./tracing-start.ts).
 */
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { GoogleAuth } from 'google-auth-library';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TracingConfig } from '../config';

export const SERVICE_NAME = 'walk-service';

/** The share-image worker's `service.name` and log `service` (its Deployment's name, config/names.ts). */
export const WORKER_SERVICE_NAME = 'walk-image-worker';

/** Paths that are not user traffic: probes and scrapes would be most of the spans. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

export interface Tracing {
  readonly enabled: boolean;
  /** Exports what is still buffered; call before the process exits. */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** Replaces the configured exporter, exporting each span as it ends (tests). */
  readonly exporter?: SpanExporter;
  /** Access tokens for `otlpAuth: google`; default: the workload's identity (Workload Identity, ADC). */
  readonly accessToken?: () => Promise<string>;
  /** The resource's `service.name`. @default SERVICE_NAME (walk-service) */
  readonly serviceName?: string;
}

/** The Telemetry API's scope for writing spans (https://cloud.google.com/stackdriver/docs/reference/telemetry/api). */
const TRACE_APPEND_SCOPE = 'https://www.googleapis.com/auth/trace.append';

function googleAccessToken(): () => Promise<string> {
  const auth = new GoogleAuth({ scopes: [TRACE_APPEND_SCOPE] });
  return async () => {
    const token = await auth.getAccessToken();
    if (!token) throw new Error('no access token for the Telemetry API (is Workload Identity bound?)');
    return token;
  };
}

function otlpExporter(config: TracingConfig, options: StartTracingOptions): SpanExporter {
  const url = `${config.otlpEndpoint}/v1/traces`;
  const Exporter = config.otlpProtocol === 'http/json' ? OtlpJsonExporter : OtlpProtobufExporter;
  if (config.otlpAuth === 'none') return new Exporter({ url });
  const token = options.accessToken ?? googleAccessToken();
  // a factory: asked on each export, so the token is refreshed as it expires
  return new Exporter({ url, headers: async () => ({ authorization: `Bearer ${await token()}` }) });
}

const disabled: Tracing = { enabled: false, shutdown: async () => {} };

function processorFor(config: TracingConfig, options: StartTracingOptions): SpanProcessor | undefined {
  if (options.exporter) return new SimpleSpanProcessor(options.exporter);
  switch (config.exporter) {
    case 'console':
      return new SimpleSpanProcessor(new ConsoleSpanExporter());
    case 'otlp':
      return new BatchSpanProcessor(otlpExporter(config, options));
    case 'none':
      return undefined;
  }
}

/**
 * Resource attributes (semantic conventions: service, deployment, k8s). The
 * incubating names are written out: the package exports them only from its
 * unstable entry point.
 */
function resourceOf(config: TracingConfig, serviceName: string) {
  return resourceFromAttributes({
    [ATTR_SERVICE_NAME]: serviceName,
    [ATTR_SERVICE_VERSION]: config.serviceVersion,
    'deployment.environment.name': config.appEnv,
    ...(config.podName && { 'k8s.pod.name': config.podName }),
    ...(config.podNamespace && { 'k8s.namespace.name': config.podNamespace }),
  });
}

export function startTracing(config: TracingConfig, options: StartTracingOptions = {}): Tracing {
  const processor = processorFor(config, options);
  if (!processor) return disabled;
  const ratio = new TraceIdRatioBasedSampler(config.sampleRatio);
  const provider = new NodeTracerProvider({
    resource: resourceOf(config, options.serviceName ?? SERVICE_NAME),
    // The ratio decides on the trace id, whatever the caller's sampled flag says: a client
    // cannot force every request to be traced, and the caller's trace id is still kept.
    sampler: new ParentBasedSampler({
      root: ratio,
      remoteParentSampled: ratio,
      remoteParentNotSampled: ratio,
    }),
    spanProcessors: [processor],
  });
  provider.register(); // W3C trace context + baggage propagators, AsyncLocalStorage context
  const unregister = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
        // key fetches and the like outside a request would each be a trace of their own
        requireParentforOutgoingSpans: true,
      }),
      // Route templates only: middleware and handler spans would add a span per layer per request.
      new ExpressInstrumentation({
        ignoreLayersType: [
          ExpressLayerType.MIDDLEWARE,
          ExpressLayerType.ROUTER,
          ExpressLayerType.REQUEST_HANDLER,
        ],
      }),
      // Statements, never their parameters (user data); background jobs' queries are not traced.
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
    ],
  });
  return {
    enabled: true,
    async shutdown() {
      unregister();
      await provider.shutdown();
      trace.disable();
    },
  };
}
