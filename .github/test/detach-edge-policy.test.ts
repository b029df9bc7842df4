/**
 * The pause step that detaches the Cloud Armor policy from backend services the
 * Gateway controller left behind, run as the pause runs it, with a stand-in
 * gcloud on PATH that answers `backend-services list` and records every call.
 */
import { spawnSync } from 'child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, join } from 'path';
import { usersOf } from '../../scripts/detach-edge-policy';

const ROOT = join(__dirname, '..', '..');
const POLICY = 'walk-service-edge';
const policyUrl = (name: string) =>
  `https://www.googleapis.com/compute/v1/projects/p/global/securityPolicies/${name}`;

function run(services: object[]) {
  const bin = mkdtempSync(join(tmpdir(), 'detach-'));
  try {
    writeFileSync(join(bin, 'services.json'), JSON.stringify(services));
    writeFileSync(
      join(bin, 'gcloud'),
      `#!/bin/sh\necho "gcloud $*" >> "${join(bin, 'calls')}"\n` +
        `case "$*" in *"backend-services list"*) cat "${join(bin, 'services.json')}" ;; esac\n`,
    );
    chmodSync(join(bin, 'gcloud'), 0o755);
    const result = spawnSync(
      'npx',
      ['tsx', 'scripts/detach-edge-policy.ts', '--project=p', `--policy=${POLICY}`],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}` } },
    );
    const calls = existsSync(join(bin, 'calls')) ? readFileSync(join(bin, 'calls'), 'utf8') : '';
    return { status: result.status, stdout: result.stdout, calls };
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

it('detaches the policy from each backend service that uses it, and from no other', () => {
  const { status, stdout, calls } = run([
    { name: 'gkegw1-left-behind', securityPolicy: policyUrl(POLICY) },
    { name: 'other', securityPolicy: policyUrl('another-policy') },
    { name: 'bare' },
  ]);
  expect(status).toBe(0);
  expect(stdout).toContain(`detaching ${POLICY} from backend service gkegw1-left-behind`);
  expect(calls.split('\n').filter((line) => line.includes(' update '))).toEqual([
    'gcloud compute backend-services update gkegw1-left-behind --global --project=p --security-policy=',
  ]);
});

it('changes nothing when no backend service uses the policy', () => {
  const { status, stdout, calls } = run([{ name: 'other', securityPolicy: policyUrl('another-policy') }]);
  expect(status).toBe(0);
  expect(stdout).toContain(`no backend service uses ${POLICY}`);
  expect(calls).not.toContain(' update ');
});

it('matches the policy by its whole name, not a prefix', () => {
  expect(usersOf([{ name: 'a', securityPolicy: policyUrl(`${POLICY}-old`) }], POLICY)).toEqual([]);
});
