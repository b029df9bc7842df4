/**
 * What `npm run env -- pause|hibernate <env>` changes, read from the stacks
 * synth writes in each state (the plans Terraform would run): pause removes
 * only what is billed by the hour and can be recreated, and never a resource
 * that holds data; everything that holds data is protected from deletion.
 */
import { Block, StackJson, synthesizeWith } from './synthesized';

type State = 'running' | 'paused' | 'hibernated';
const ENV = 'dev';
const synth = (state: State) =>
  synthesizeWith({
    [`${ENV}.paused`]: state === 'paused',
    [`${ENV}.hibernated`]: state === 'hibernated',
  }).stacks;
const states = { running: synth('running'), paused: synth('paused'), hibernated: synth('hibernated') };

/** `stack/type.name` → resource block, over the environment's stacks (or those `include` selects). */
function resourcesOf(
  stacks: Readonly<Record<string, StackJson>>,
  include = (stack: string) => stack.startsWith(`${ENV}-`),
): Map<string, Block> {
  const out = new Map<string, Block>();
  for (const [stack, json] of Object.entries(stacks)) {
    if (!include(stack)) continue;
    for (const [type, blocks] of Object.entries(json.resource ?? {}))
      for (const [name, block] of Object.entries(blocks)) out.set(`${stack}/${type}.${name}`, block);
  }
  return out;
}

const describeResource = (address: string, block: Block) =>
  address.includes('/kubernetes_manifest.')
    ? `${address} (${block.manifest?.kind} ${block.manifest?.metadata?.namespace}/${block.manifest?.metadata?.name})`
    : address;

/** A resource as Terraform would compare it: `depends_on` orders operations, it changes nothing. */
const comparable = ({ depends_on: _dependsOn, ...block }: Block) => JSON.stringify(block);

function removedBy(state: State): string[] {
  const after = resourcesOf(states[state]);
  return [...resourcesOf(states.running)]
    .filter(([address]) => !after.has(address))
    .map(([address, block]) => describeResource(address, block));
}

/** Resource types that keep data: pause and hibernate never remove them. */
const DATA_HOLDERS = [
  'google_sql_database_instance',
  'google_sql_database',
  'google_storage_bucket',
  'google_secret_manager_secret',
  'google_compute_global_address',
  'google_certificate_manager_dns_authorization',
  'google_certificate_manager_certificate',
  'google_certificate_manager_certificate_map',
  'google_artifact_registry_repository',
  'google_kms_crypto_key',
] as const;

/** The private services range is an internal reservation, not something the outside world points at. */
const isDataHolder = (address: string, block: Block) =>
  DATA_HOLDERS.some((type) => address.includes(`/${type}.`)) && block.address_type !== 'INTERNAL';

it('pause removes only the Gateway (its forwarding rules), the Cloud Armor policy and the admin role grant', () => {
  const removed = removedBy('paused');
  expect(removed.length).toBeGreaterThan(0);
  const unexpected = removed.filter(
    (r) =>
      !/\/google_compute_security_policy\./.test(r) &&
      // a command Terraform runs, not a resource: the Admin API refuses it on a stopped instance
      !/\/terraform_data\.db-admin-superuser/.test(r) &&
      !/\(Gateway gateway\/external\)|\(HTTPRoute gateway\/https-redirect\)/.test(r),
  );
  expect(unexpected).toEqual([]);
  expect(removed.some((r) => /\(Gateway /.test(r))).toBe(true);
  expect(removed.some((r) => /google_compute_security_policy/.test(r))).toBe(true);
});

it('pause changes nothing else but the database activation policy and the query frontend replicas', () => {
  const running = resourcesOf(states.running);
  const paused = resourcesOf(states.paused);
  const changed = [...paused]
    .filter(
      ([address, block]) => running.has(address) && comparable(running.get(address)!) !== comparable(block),
    )
    .map(([address, block]) => describeResource(address, block));
  expect(
    changed.filter((c) => !/google_sql_database_instance|Deployment monitoring\/gmp-frontend/.test(c)),
  ).toEqual([]);
  const instance = [...paused].find(([a]) => a.includes('/google_sql_database_instance.'))![1];
  expect(instance.settings.activation_policy).toBe('NEVER');
});

it.each(['paused', 'hibernated'] as const)('%s keeps every resource that holds data', (state) => {
  const kept = resourcesOf(states[state]);
  const lost = [...resourcesOf(states.running).keys()].filter(
    (address) => DATA_HOLDERS.some((type) => address.includes(`/${type}.`)) && !kept.has(address),
  );
  expect(lost).toEqual([]);
});

it('hibernate removes the cluster stacks, the GKE cluster and the Cloud Armor policy, nothing else of the platform', () => {
  const removed = removedBy('hibernated').filter((r) => r.startsWith(`${ENV}-platform/`));
  expect(
    removed.filter(
      (r) =>
        !/\/google_container_cluster\.|\/google_compute_security_policy\.|\/terraform_data\./.test(r) &&
        // members and grants bound to the cluster's Workload Identity pool go with it
        !/_iam_member\./.test(r),
    ),
  ).toEqual([]);
  expect(Object.keys(states.hibernated).filter((s) => s === `${ENV}-cluster` || s === `${ENV}-app`)).toEqual(
    [],
  );
});

it('protects every resource that holds data from deletion, in bootstrap and every environment', () => {
  // Previews are disposable by design: their database goes with the pull request.
  const longLived = (stack: string) => !stack.startsWith('preview-');
  const holders = [...resourcesOf(states.running, longLived)].filter(([address, block]) =>
    isDataHolder(address, block),
  );
  expect(holders.some(([address]) => address.startsWith('bootstrap/'))).toBe(true);
  const unprotected = holders
    .filter(
      ([, block]) =>
        block.lifecycle?.prevent_destroy !== true &&
        block.deletion_protection !== true &&
        // the database stays when Terraform destroys the resource
        block.deletion_policy !== 'ABANDON' &&
        block.settings?.deletion_protection_enabled !== true,
    )
    .map(([address]) => address);
  expect(unprotected).toEqual([]);
});
