/**
 * Metrics of policies, consents and remote configuration (issue 18), part
 * of createMetrics() (metrics.ts); names are a contract with monitoring/
 * (the overview dashboard's row) like the others.
 */
import { Counter, type OpenMetricsContentType, type Registry } from 'prom-client';

export interface ProductMetrics {
  /** consent_type: initial | update | withdrawal; retries are not counted. */
  readonly consentsRecorded: Counter<'consent_type'>;
  /** template_version: the version served ("0" before the first publish); result: 200 | 304. */
  readonly configServed: Counter<'template_version' | 'result'>;
}

function counter<L extends string>(
  registry: Registry<OpenMetricsContentType>,
  name: string,
  help: string,
  labelNames: L[],
): Counter<L> {
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function productMetrics(registry: Registry<OpenMetricsContentType>): ProductMetrics {
  const metrics = {
    consentsRecorded: counter(registry, 'consents_recorded_total', 'Consents recorded, by type.', [
      'consent_type',
    ]),
    configServed: counter(
      registry,
      'config_served_total',
      'GET /v1/config answers, by template version and result (200, or 304 when the ETag matched).',
      ['template_version', 'result'],
    ),
  };
  for (const type of ['initial', 'update', 'withdrawal'])
    metrics.consentsRecorded.inc({ consent_type: type }, 0);
  return metrics;
}
