import { SERVICE_NAME } from '../../config/names';

/**
 * Label keys shared by the charts and the Kubernetes-side stacks.
 *
 * `app` is the one label Flagger rewrites (`walk-service` → `walk-service-primary`
 * on the primary pods); every other pod label is copied unchanged to Flagger's
 * primary Deployment, so selectors that must match both primary and canary pods
 * use `app.kubernetes.io/name` and `app.kubernetes.io/component`.
 */
export const LABEL = {
  flaggerSelector: 'app',
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  partOf: 'app.kubernetes.io/part-of',
  /** Namespaces whose routes the shared Gateway accepts. */
  gatewayAccess: 'tekutoko.example/gateway-access',
  /** Pull request number of a preview namespace. */
  previewPr: 'tekutoko.example/preview-pr',
  /** Unix time (seconds) after which a preview may be swept. */
  previewExpiresAt: 'tekutoko.example/preview-expires-at',
} as const;

export const PART_OF = 'tekutoko';

/** Pod component of the long-running server pods and of the migrations Job. */
export const COMPONENT = { server: 'server', migrations: 'migrations' } as const;

/** Labels of every walk-service server pod (before Flagger rewrites `app` on primaries). */
export function serverPodLabels(): Record<string, string> {
  return {
    [LABEL.flaggerSelector]: SERVICE_NAME,
    [LABEL.name]: SERVICE_NAME,
    [LABEL.component]: COMPONENT.server,
    [LABEL.partOf]: PART_OF,
  };
}

/** Selector of the server pods that receive traffic: Flagger's primaries in canary environments. */
export function servingPodSelector(canary: boolean): Record<string, string> {
  return { [LABEL.flaggerSelector]: canary ? `${SERVICE_NAME}-primary` : SERVICE_NAME };
}

/** Selector of all walk-service server pods: primary and canary alike. */
export function allServerPodsSelector(): Record<string, string> {
  return { [LABEL.name]: SERVICE_NAME, [LABEL.component]: COMPONENT.server };
}
