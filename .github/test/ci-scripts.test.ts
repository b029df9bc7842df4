/**
 * The scripts the workflows run, on their pure parts and on real synth
 * output (no cluster, registry or GitHub here).
 */
import {
  importTargets,
  LOCK_TIMEOUT,
  parseApplyArgs,
  stateAddresses,
  terraformCommands,
} from '../../scripts/stack-apply';
import { readdirSync } from 'fs';
import { synthesizeAll } from '../../infra/test/synthesized';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { LABEL } from '../../charts/lib/labels';
import { stackName } from '../../config/names';
import { synthInfra } from '../../infra/main';
import { canaryVerdict } from '../../scripts/canary-wait';
import { changedStacks, readStacks } from '../../scripts/changed-stacks';
import { clusterOf, credentialsCommand } from '../../scripts/cluster-credentials';
import {
  previewsFromNamespaces,
  previewsFromStatePrefixes,
  sweepDecisions,
} from '../../scripts/preview-sweep';
import { digestFromState, markdownSection, planHeadline, verdictOf } from '../../scripts/stack-plan';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const IMAGE = `asia-northeast1-docker.pkg.dev/tekutoko-ops-example/tekutoko/walk-service`;

describe('canary-wait: verdict on the Flagger Canary status', () => {
  it('waits while Flagger has not seen the new revision, whatever the old phase says', () => {
    expect(
      canaryVerdict(
        { phase: 'Succeeded', lastAppliedSpec: 'old' },
        'old',
        `${IMAGE}@sha256:${'b'.repeat(64)}`,
        DIGEST,
      ),
    ).toBe('wait');
    expect(canaryVerdict({ phase: 'Failed', lastAppliedSpec: 'old' }, 'old', '', DIGEST)).toBe('wait');
  });

  it('follows the analysis of the new revision to promotion or failure', () => {
    expect(canaryVerdict({ phase: 'Progressing', lastAppliedSpec: 'new' }, 'old', '', DIGEST)).toBe('wait');
    expect(canaryVerdict({ phase: 'Promoting', lastAppliedSpec: 'new' }, 'old', '', DIGEST)).toBe('wait');
    expect(canaryVerdict({ phase: 'Succeeded', lastAppliedSpec: 'new' }, 'old', '', DIGEST)).toBe('promoted');
    expect(canaryVerdict({ phase: 'Failed', lastAppliedSpec: 'new' }, 'old', '', DIGEST)).toBe('failed');
  });

  it('passes the first deploy, which Flagger initializes without an analysis', () => {
    expect(canaryVerdict({ phase: 'Initializing', lastAppliedSpec: 'new' }, '', '', DIGEST)).toBe('wait');
    expect(
      canaryVerdict({ phase: 'Initialized', lastAppliedSpec: 'new' }, '', `${IMAGE}@${DIGEST}`, DIGEST),
    ).toBe('promoted');
  });

  it('treats a re-deploy of the digest the primary already serves as done (no analysis starts)', () => {
    expect(
      canaryVerdict({ phase: 'Succeeded', lastAppliedSpec: 'same' }, 'same', `${IMAGE}@${DIGEST}`, DIGEST),
    ).toBe('promoted');
  });
});

describe('preview-sweep: what to remove', () => {
  const now = new Date('2026-11-23T00:00:00Z');
  const past = Math.floor(now.getTime() / 1000) - 60;
  const future = past + 7 * 86400;

  it('removes previews of closed pull requests and expired ones, and keeps the rest', () => {
    const found = [
      { pr: 1, expiresAt: future },
      { pr: 2, expiresAt: past },
      { pr: 3, expiresAt: future },
      { pr: 4 },
    ];
    expect(sweepDecisions(found, new Set([1, 2, 4]), now)).toEqual([
      { pr: 2, reason: `expired ${new Date(past * 1000).toISOString()}` },
      { pr: 3, reason: 'pull request is closed' },
    ]);
  });

  it('merges a preview found both as a namespace and as state, by its latest expiry', () => {
    const found = [{ pr: 7 }, { pr: 7, expiresAt: future }];
    expect(sweepDecisions(found, new Set([7]), now)).toEqual([]);
    expect(sweepDecisions(found, new Set(), now)).toEqual([{ pr: 7, reason: 'pull request is closed' }]);
  });

  it('reads the charts layer labels from namespaces and PR numbers from state prefixes', () => {
    const list: Parameters<typeof previewsFromNamespaces>[0] = {
      items: [
        {
          metadata: {
            name: 'pr-12',
            labels: { [LABEL.previewPr]: '12', [LABEL.previewExpiresAt]: String(future) },
          },
        },
        { metadata: { name: 'walk-service', labels: {} } },
      ],
    };
    expect(previewsFromNamespaces(list)).toEqual([{ pr: 12, expiresAt: future }]);
    const ls = `gs://b/stacks/${stackName.preview(12)}/\ngs://b/stacks/dev-app/\ngs://b/stacks/${stackName.preview(40)}/\n`;
    expect(previewsFromStatePrefixes(ls)).toEqual([{ pr: 12 }, { pr: 40 }]);
  });
});

describe('stack-plan: reading state and terraform output', () => {
  it('finds the digest an app stack runs from its image output', () => {
    const state = JSON.stringify({ outputs: { image: { value: `${IMAGE}@${DIGEST}` } } });
    expect(digestFromState(state)).toBe(DIGEST);
    expect(digestFromState(JSON.stringify({ outputs: {} }))).toBeUndefined();
  });

  it('maps terraform plan -detailed-exitcode to a verdict and a one-line summary', () => {
    expect([0, 2, 1, null].map(verdictOf)).toEqual(['no changes', 'changes', 'error', 'error']);
    const out =
      'Terraform will perform the following actions:\n...\nPlan: 1 to add, 2 to change, 0 to destroy.\n';
    expect(planHeadline(out, 'changes')).toBe('Plan: 1 to add, 2 to change, 0 to destroy.');
    expect(markdownSection('dev-app', 'changes', out)).toContain('<code>dev-app</code>: Plan: 1 to add');
    expect(markdownSection('dev-app', 'changes', 'x'.repeat(20_000))).toContain('(truncated)');
  });
});

describe('on the synthesized app', () => {
  let base: string;
  let head: string;
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'ci-scripts-base-'));
    head = mkdtempSync(join(tmpdir(), 'ci-scripts-head-'));
    synthInfra(base, { env: {}, argv: [] });
    // A change that only staging sees: its domain.
    synthInfra(head, { context: { 'staging.domain': 'staging2.tekutoko.example' }, env: {}, argv: [] });
  });
  afterAll(() => {
    rmSync(base, { recursive: true, force: true });
    rmSync(head, { recursive: true, force: true });
  });

  it('changed-stacks reports exactly the stacks whose JSON differs', () => {
    const changed = changedStacks(readStacks(base), readStacks(head));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((s) => s.startsWith('staging-'))).toBe(true);
    expect(changedStacks(readStacks(base), readStacks(base))).toEqual([]);
  });

  it('cluster-credentials reads the cluster of a platform stack and uses its DNS endpoint', () => {
    const stack = JSON.parse(
      readFileSync(join(base, 'stacks', stackName.platform('dev'), 'cdk.tf.json'), 'utf8'),
    );
    const cluster = clusterOf(stack);
    expect(credentialsCommand(cluster)).toEqual([
      'gcloud',
      'container',
      'clusters',
      'get-credentials',
      cluster.name,
      `--location=${cluster.location}`,
      `--project=${cluster.project}`,
      '--dns-endpoint',
    ]);
    expect(cluster.project).toBe('tekutoko-dev-example');
    expect(() => clusterOf({ resource: {} })).toThrow('expected one google_container_cluster, found 0');
  });
});

describe('stack-apply', () => {
  it('applies exactly the plan it printed, waiting for the state lock; asks unless approved up front', () => {
    const auto = terraformCommands(parseApplyArgs(['dev-app', '--auto-approve'])).map((c) => c.join(' '));
    expect(auto).toEqual([
      'init -input=false',
      `plan -input=false -lock-timeout=${LOCK_TIMEOUT} -out=stack.tfplan`,
      `apply -input=false -lock-timeout=${LOCK_TIMEOUT} stack.tfplan`,
    ]);
    const reviewed = terraformCommands(parseApplyArgs(['prod-platform'])).map((c) => c[0]);
    expect(reviewed).toEqual(['init', 'plan', 'show', 'apply']);
    expect(terraformCommands(parseApplyArgs(['preview-pr-1', '--destroy']))[1]).toContain('-destroy');
    expect(() => parseApplyArgs(['a', 'b'])).toThrow('usage: npx tsx scripts/stack-apply.ts');
    expect(() => parseApplyArgs(['a', '--yes'])).toThrow("Unknown option '--yes'");
    // deploy-env.yml fails at once on a held lock rather than apply after a newer deploy.
    expect(terraformCommands(parseApplyArgs(['dev-app', '--lock-timeout', '0s']))[1]).toContain(
      '-lock-timeout=0s',
    );
    expect(() => parseApplyArgs(['dev-app', '--lock-timeout', 'soon'])).toThrow('--lock-timeout takes');
  });
});

describe('stack-apply: hand-overs between Terraform and Flagger (runbooks/canary-toggle.md)', () => {
  const devApp = synthesizeAll().stacks['dev-app']!;
  const manifests = devApp.resource!.kubernetes_manifest!;
  /** What `terraform show -json` reports for a state holding the dev-app configuration. */
  const showJson = {
    values: {
      root_module: {
        resources: Object.entries(manifests).map(([key, r]) => ({
          address: `kubernetes_manifest.${key}`,
          type: 'kubernetes_manifest',
          values: { manifest: r.manifest },
        })),
      },
    },
  };

  it('forgets before it imports, and both before the plan, waiting for the state lock', () => {
    const args = parseApplyArgs([
      'dev-app',
      '--import',
      'Service/walk-service',
      '--state-rm',
      'HTTPRoute/walk-service',
    ]);
    expect(args.imports).toEqual(['Service/walk-service']);
    expect(args.stateRemovals).toEqual(['HTTPRoute/walk-service']);
    const imports = importTargets(devApp, args.imports);
    const removals = stateAddresses(showJson, args.stateRemovals);
    const commands = terraformCommands(args, { imports, stateRemovals: removals }).map((c) => c.join(' '));
    const service = Object.keys(manifests).find((k) =>
      /^walk-service_service-walk-service-walk-service_/.test(k),
    )!;
    const route = Object.keys(manifests).find((k) =>
      /^walk-service_httproute-walk-service-walk-service_/.test(k),
    )!;
    expect(commands.slice(0, 4)).toEqual([
      'init -input=false',
      `state rm -lock-timeout=${LOCK_TIMEOUT} kubernetes_manifest.${route}`,
      `import -input=false -lock-timeout=${LOCK_TIMEOUT} kubernetes_manifest.${service} ` +
        'apiVersion=v1,kind=Service,namespace=walk-service,name=walk-service',
      `plan -input=false -lock-timeout=${LOCK_TIMEOUT} -out=stack.tfplan`,
    ]);
    expect(() => importTargets(devApp, ['Canary/walk-service'])).toThrow('no such object');
    expect(() => stateAddresses(showJson, ['Canary/walk-service'])).toThrow('not in the stack');
    expect(() => parseApplyArgs(['dev-app', '--import'])).toThrow(/--import/);
    expect(() => parseApplyArgs(['dev-app', '--import', 'not a ref'])).toThrow('--import takes Kind/name');
  });

  it('every stack-apply command of the runbooks parses, and its objects exist in the canary-less app stack', () => {
    const dir = join(__dirname, '../../runbooks');
    const found: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.md'))) {
      const md = readFileSync(join(dir, file), 'utf8');
      for (const m of md.matchAll(/npx tsx scripts\/stack-apply\.ts ([^\n`]+)/g)) {
        const args = parseApplyArgs(
          m[1]!
            .trim()
            .split(/\s+/)
            .map((a) => a.replace('<env>', 'dev')),
        );
        // Both hand-overs concern the objects of the configuration without a canary (dev's).
        importTargets(devApp, [...args.imports, ...args.stateRemovals]);
        stateAddresses(showJson, args.stateRemovals);
        found.push(
          `${file}: ${[...args.imports.map((r) => `+${r}`), ...args.stateRemovals.map((r) => `-${r}`)].join(' ')}`,
        );
      }
    }
    const objects = ['Service', 'HTTPRoute', 'HealthCheckPolicy', 'GCPBackendPolicy'].map(
      (k) => `${k}/walk-service`,
    );
    expect(found).toEqual([
      `canary-toggle.md: ${objects.map((o) => `+${o}`).join(' ')}`,
      `canary-toggle.md: ${objects.map((o) => `-${o}`).join(' ')}`,
    ]);
    expect(readFileSync(join(dir, 'canary-toggle.md'), 'utf8')).not.toMatch(/cdktf deploy/);
  });
});
