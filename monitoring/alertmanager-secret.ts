/**
 * `<receivers JSON on stdin> | npx tsx monitoring/alertmanager-secret.ts <env> | kubectl apply -f -`
 *
 * Prints the managed Alertmanager's config Secret (gmp-public/alertmanager)
 * for an environment, with the receiver URLs read from stdin — the payload of
 * the Secret Manager secret `alertmanager-receivers`. The URLs pass through
 * the pipe only: never a file, git or Terraform state.
 */
import { stringify } from 'yaml';
import { ENVIRONMENT_NAMES, EnvironmentName } from '../config/environments';
import { alertmanagerConfig, MANAGED_ALERTMANAGER_SECRET, parseReceivers } from './alertmanager';
import { loadMonitoringConfig } from './config';

/** The Secret manifest (YAML) for `env` with `receiversJson` merged in. */
export function alertmanagerSecretManifest(env: EnvironmentName, receiversJson: string): string {
  const config = loadMonitoringConfig().environments[env];
  const routing = alertmanagerConfig(config.observability.alertRouting, parseReceivers(receiversJson));
  return stringify(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: { name: MANAGED_ALERTMANAGER_SECRET.name, namespace: MANAGED_ALERTMANAGER_SECRET.namespace },
      stringData: { [MANAGED_ALERTMANAGER_SECRET.key]: stringify(routing, { lineWidth: 0 }) },
    },
    { lineWidth: 0 },
  );
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

if (require.main === module) {
  const env = process.argv[2] as EnvironmentName | undefined;
  if (!env || !ENVIRONMENT_NAMES.includes(env)) {
    console.error(
      `usage: <receivers JSON> | npx tsx monitoring/alertmanager-secret.ts <${ENVIRONMENT_NAMES.join('|')}>`,
    );
    process.exit(2);
  }
  readStdin()
    .then((json) => process.stdout.write(alertmanagerSecretManifest(env, json)))
    .catch((e: unknown) => {
      // Never echo the payload: it holds the URLs.
      console.error(e instanceof Error ? e.message : 'failed');
      process.exit(1);
    });
}
