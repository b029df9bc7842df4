import { MONITORING } from '../../charts/lib/cluster-addons';
import { planEnvAction, shellLine } from '../../scripts/env-plan';
import { loadEnvironments } from '../config/environments';
import { MONITORING_NAMESPACE, SERVICE_NAMESPACE } from '../config/names';

const all = loadEnvironments();
const commands = (steps: readonly { command: readonly string[] }[]) => steps.map((s) => shellLine(s.command));

/** Applies a plan's context change the way env.ts writes cdktf.json, then reloads the config. */
function after(context: Record<string, unknown>, change: Readonly<Record<string, boolean | undefined>>) {
  const next = { ...context };
  for (const [k, v] of Object.entries(change)) {
    if (v === undefined) delete next[k];
    else next[k] = v;
  }
  return { context: next, config: loadEnvironments(next) };
}

describe('npm run env', () => {
  it('pause scales workloads to zero, removes the Gateway, then stops Cloud SQL and removes Cloud Armor', () => {
    const plan = planEnvAction('pause', all.environments.dev);
    expect(commands(plan.before)).toContain(
      `kubectl scale deployment,statefulset --all --replicas=0 --namespace=${SERVICE_NAMESPACE}`,
    );
    // The Gateway's load balancer goes before the policy its backend attaches.
    expect(commands(plan.after)).toEqual([
      'npx tsx scripts/stack-apply.ts dev-cluster --auto-approve',
      `npx tsx scripts/detach-edge-policy.ts --project=${all.environments.dev.projectId} --policy=walk-service-edge`,
      'npx tsx scripts/stack-apply.ts dev-platform --auto-approve',
    ]);
    expect(after({}, plan.context).config.environments.dev.paused).toBe(true);
  });

  it('resume clears the flag, starts Cloud SQL first and scales the serving Deployment to its minimum', () => {
    const paused = after({}, planEnvAction('pause', all.environments.prod).context);
    const plan = planEnvAction('resume', paused.config.environments.prod);
    expect(after(paused.context, plan.context).config.environments.prod.paused).toBe(false);
    const lines = commands(plan.after);
    // prod is never applied unattended: Terraform shows the plan and waits for a person.
    expect(lines[0]).toBe('npx tsx scripts/stack-apply.ts prod-platform');
    // The cluster apply comes after the add-ons are scaled, so it restores manifest-managed replicas.
    expect(lines.indexOf('npx tsx scripts/stack-apply.ts prod-cluster')).toBeGreaterThan(
      lines.indexOf('kubectl scale deployment,statefulset --all --replicas=1 --namespace=monitoring'),
    );
    expect(lines).toContain(
      'kubectl scale deployment/walk-service-primary --replicas=3 --namespace=walk-service',
    );
    expect(commands(planEnvAction('resume', all.environments.dev).after)).toContain(
      'kubectl scale deployment/walk-service --replicas=1 --namespace=walk-service',
    );
  });

  it('hibernate destroys app then cluster, then removes the GKE cluster via the platform stack', () => {
    const plan = planEnvAction('hibernate', all.environments.staging);
    expect(commands(plan.before)).toEqual([
      'npx tsx scripts/stack-apply.ts staging-app --destroy',
      'npx tsx scripts/stack-apply.ts staging-cluster --destroy',
    ]);
    expect(after({}, plan.context).config.environments.staging.hibernated).toBe(true);
    expect(plan.requires).toEqual(['TEKUTOKO_IMAGE_DIGEST']);
  });

  it('refuses to hibernate a deletion-protected environment and to pause a hibernated one', () => {
    expect(() => planEnvAction('hibernate', all.environments.prod)).toThrow('gke.deletionProtection on');
    const hibernated = after({}, planEnvAction('hibernate', all.environments.dev).context).config.environments
      .dev;
    expect(() => planEnvAction('pause', hibernated)).toThrow('"wake dev" first');
  });

  it('wake deploys platform, cluster and app in that order', () => {
    expect(commands(planEnvAction('wake', all.environments.dev).after)).toEqual([
      'npx tsx scripts/stack-apply.ts dev-platform --auto-approve',
      'npx tsx scripts/stack-apply.ts dev-cluster --auto-approve',
      'npx tsx scripts/stack-apply.ts dev-app --auto-approve',
    ]);
  });

  it('scales the namespaces the charts layer installs into', () => {
    expect(MONITORING_NAMESPACE).toBe(MONITORING.namespace);
  });

  it('quotes shell arguments that need it', () => {
    expect(shellLine(['gcloud', '--format=value(state)'])).toBe("gcloud '--format=value(state)'");
  });
});
