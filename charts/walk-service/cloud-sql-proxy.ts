import * as kplus from 'cdk8s-plus-34';
import { Size, Duration } from 'cdk8s';

/** Pinned Cloud SQL Auth Proxy release (v2, distroless, runs as nonroot 65532). */
export const CLOUD_SQL_PROXY_IMAGE = 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.18.2';
export const CLOUD_SQL_PROXY_LISTEN_PORT = 5432;
export const CLOUD_SQL_PROXY_HEALTH_PORT = 9801;
const PROXY_UID = 65532;

/**
 * The Cloud SQL Auth Proxy as a native sidecar (init container with
 * restartPolicy Always): it starts, and passes its startup probe, before the
 * service container starts, and stops only after the service has exited, so
 * the pool drains through it during shutdown. `--auto-iam-authn` logs in as the
 * pod's Google service account; `--private-ip` keeps the path inside the VPC.
 *
 * No readiness probe: the proxy's /readiness fails during every transient
 * database blip (a failover, maintenance, a full connection pool), and as a
 * sidecar that would make every pod unready at once; the service's own
 * /readyz checks the database through the proxy instead. Google's guidance:
 * https://github.com/GoogleCloudPlatform/cloud-sql-proxy/blob/main/examples/k8s-health-check/README.md
 * `--exit-zero-on-sigterm`: stopping the sidecar is not a failure (a Job's pod
 * ends with it; otherwise it exits 143).
 */
export function cloudSqlProxySidecar(instanceConnectionName: string): kplus.ContainerProps {
  const health = (path: string, failureThreshold: number) =>
    kplus.Probe.fromHttpGet(path, {
      port: CLOUD_SQL_PROXY_HEALTH_PORT,
      periodSeconds: Duration.seconds(5),
      timeoutSeconds: Duration.seconds(2),
      failureThreshold,
    });
  return {
    name: 'cloud-sql-proxy',
    image: CLOUD_SQL_PROXY_IMAGE,
    imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
    restartPolicy: kplus.ContainerRestartPolicy.ALWAYS,
    args: [
      '--auto-iam-authn',
      '--private-ip',
      '--structured-logs',
      '--exit-zero-on-sigterm',
      `--port=${CLOUD_SQL_PROXY_LISTEN_PORT}`,
      '--address=127.0.0.1',
      '--health-check',
      '--http-address=0.0.0.0',
      `--http-port=${CLOUD_SQL_PROXY_HEALTH_PORT}`,
      instanceConnectionName,
    ],
    ports: [{ name: 'proxy-health', number: CLOUD_SQL_PROXY_HEALTH_PORT }],
    startup: health('/startup', 24),
    liveness: health('/liveness', 3),
    resources: {
      cpu: { request: kplus.Cpu.millis(50) },
      memory: { request: Size.mebibytes(64), limit: Size.mebibytes(64) },
    },
    securityContext: {
      ensureNonRoot: true,
      user: PROXY_UID,
      group: PROXY_UID,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: [kplus.Capability.ALL] },
      seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
    },
  };
}
