/**
 * `npx tsx scripts/detach-edge-policy.ts --project <id> --policy <name>`
 *
 * Detaches a Cloud Armor policy from every backend service that still uses
 * it, so that `npm run env -- pause` can delete the policy: the GKE Gateway
 * controller creates those backend services and does not always delete them
 * with the Gateway (GoogleCloudPlatform/gke-gateway-api#41), and Compute
 * Engine refuses to delete a policy in use. Idempotent: with nothing attached
 * it changes nothing.
 */
import { spawnSync } from 'child_process';
import { type CommandArgs, defineCommand, runCli, UsageError } from './lib/cli';

export const DETACH_COMMAND = defineCommand({
  usage: `usage: npx tsx scripts/detach-edge-policy.ts --project <project id> --policy <security policy name>

  Removes the Cloud Armor policy from every global backend service that uses it
  (the step before a pause deletes the policy). Prints each change.`,
  options: { project: { type: 'string' }, policy: { type: 'string' } },
});

interface BackendService {
  readonly name: string;
  readonly securityPolicy?: string;
}

function gcloud(args: readonly string[]): string {
  const result = spawnSync('gcloud', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.error) throw new Error(`gcloud could not start: ${result.error.message}`);
  if (result.status !== 0)
    throw new Error(`gcloud ${args.slice(0, 3).join(' ')} failed (exit ${result.status})`);
  return result.stdout;
}

/** Backend services whose security policy is `policy` (its URL ends with /securityPolicies/<policy>). */
export function usersOf(services: readonly BackendService[], policy: string): string[] {
  return services.filter((s) => s.securityPolicy?.endsWith(`/securityPolicies/${policy}`)).map((s) => s.name);
}

async function main({ values }: CommandArgs<typeof DETACH_COMMAND>): Promise<void> {
  const { project, policy } = values;
  if (!project) throw new UsageError('--project is required');
  if (!policy) throw new UsageError('--policy is required');
  const services = JSON.parse(
    gcloud([
      'compute',
      'backend-services',
      'list',
      '--global',
      `--project=${project}`,
      '--format=json(name,securityPolicy)',
    ]),
  ) as BackendService[];
  const attached = usersOf(services, policy);
  if (attached.length === 0) {
    console.log(`no backend service uses ${policy}`);
    return;
  }
  for (const name of attached) {
    console.log(`detaching ${policy} from backend service ${name}`);
    // An empty value removes the policy from the backend service.
    gcloud([
      'compute',
      'backend-services',
      'update',
      name,
      '--global',
      `--project=${project}`,
      '--security-policy=',
    ]);
  }
}

runCli(module, DETACH_COMMAND, main);
