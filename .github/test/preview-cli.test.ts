/**
 * `npm run preview -- --pr <n> --dry-run`: the preview stack synthesized for a
 * PR, and what it would create; argument errors name the fix.
 */
import { spawnSync } from 'child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { UNRELEASED_IMAGE_DIGEST } from '../../charts/environments';
import { LABEL } from '../../charts/lib/labels';
import { maxConcurrentPreviews } from '../../config/connection-budget';
import { loadEnvironments } from '../../config/environments';
import {
  formatPlan,
  parsePreviewArgs as parseArgs,
  planPreview,
  previewCapRefusal,
} from '../../scripts/preview';

const REPO_ROOT = join(__dirname, '..', '..');
const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('npm run preview -- --pr 123 --dry-run', () => {
  // The real command, as a developer runs it (one synth, in its own process).
  const cli = spawnSync('npx', ['tsx', 'scripts/preview.ts', '--pr', '123', '--dry-run'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, PREVIEW_PR: '', TEKUTOKO_IMAGE_DIGEST: '', CDKTF_CONTEXT_JSON: '' },
  });

  it('exits 0 and names the stack, namespace and URL', () => {
    expect(cli.stderr).not.toMatch(/Error/);
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/^stack: +preview-pr-123$/m);
    expect(cli.stdout).toMatch(/^namespace: +pr-123$/m);
    expect(cli.stdout).toMatch(/^url: +https:\/\/pr-123\.dev\.tekutoko\.example$/m);
  });

  it('lists the Google resources and the Kubernetes objects it would create', () => {
    const count = Number(/would create (\d+) resources/.exec(cli.stdout)?.[1]);
    const listed = cli.stdout.split('\n').filter((l) => l.startsWith('  + '));
    expect(listed).toHaveLength(count);
    for (const type of [
      'google_service_account',
      'google_sql_database',
      'google_sql_user',
      'google_service_account_iam_member',
    ]) {
      expect(listed.some((l) => l.startsWith(`  + ${type}.`))).toBe(true);
    }
    for (const object of [
      'Namespace/pr-123',
      'Deployment/walk-service',
      'Job/walk-service-migrate-',
      'HTTPRoute/walk-service',
    ]) {
      expect(listed.some((l) => l.includes(`(${object}`))).toBe(true);
    }
  });

  it('says the placeholder image cannot be deployed', () => {
    expect(cli.stdout).toContain(`${UNRELEASED_IMAGE_DIGEST} (placeholder`);
  });
});

describe('planPreview', () => {
  const plan = planPreview(42, DIGEST, {});

  it('plans the digest it is given, in the PR namespace only', () => {
    expect(plan.stack).toBe('preview-pr-42');
    expect(plan.imageDigest).toBe(DIGEST);
    expect(formatPlan(plan)).not.toContain('placeholder');
    const objects = plan.resources.filter((r) => r.object !== undefined);
    expect(objects.length).toBeGreaterThan(5);
    expect(plan.resources.some((r) => r.object === 'Namespace/pr-42')).toBe(true);
  });

  it('follows the preview domain from context', () => {
    const custom = planPreview(7, undefined, { TEKUTOKO_DEV_DOMAIN: 'dev.example.org' });
    expect(custom.url).toBe('https://pr-7.dev.example.org');
  });
});

describe('parsePreviewArgs', () => {
  it('reads --pr, --digest / --image-digest and the mode', () => {
    expect(parseArgs(['--pr', '5', '--dry-run'])).toEqual({ mode: 'dry-run', pr: 5 });
    expect(parseArgs(['--pr', '5', '--destroy'])).toEqual({ mode: 'destroy', pr: 5 });
    expect(parseArgs(['--pr', '5', '--destroy', '--yes'])).toEqual({ mode: 'destroy', pr: 5, yes: true });
    expect(parseArgs(['--pr', '5', '--image-digest', DIGEST])).toEqual({
      mode: 'deploy',
      pr: 5,
      digest: DIGEST,
    });
    expect(parseArgs(['--pr', '5', '--digest', DIGEST])).toEqual({ mode: 'deploy', pr: 5, digest: DIGEST });
  });

  it('refuses what it cannot do, naming the problem', () => {
    expect(() => parseArgs([])).toThrow(/--pr is required/);
    expect(() => parseArgs(['--pr', 'abc'])).toThrow(/pull request number/);
    expect(() => parseArgs(['--pr', '0'])).toThrow(/pull request number/);
    expect(() => parseArgs(['--pr', '5', '--dry-run', '--destroy'])).toThrow(/not both/);
    expect(() => parseArgs(['--pr', '5', '--force'])).toThrow(/Unknown option '--force'/);
    expect(() => parseArgs(['--pr'])).toThrow(/Option '--pr <value>' argument missing/);
  });
});

describe('the preview cap (config/connection-budget.ts)', () => {
  const dev = loadEnvironments().environments.dev;
  const cap = maxConcurrentPreviews(dev);
  const running = Array.from({ length: cap }, (_, i) => 100 + i);

  it('refuses a new preview at the cap, naming the previews and the arithmetic', () => {
    expect(cap).toBeGreaterThanOrEqual(1);
    expect(previewCapRefusal(7, running.slice(1), dev)).toBeUndefined();
    const refusal = previewCapRefusal(7, running, dev)!;
    expect(refusal).toContain(`${cap} previews run (PRs #100`);
    expect(refusal).toContain("dev's max_connections 50");
    expect(refusal).toMatch(/Close a pull request/);
  });

  it('always updates a preview that runs', () => {
    expect(previewCapRefusal(100, running, dev)).toBeUndefined();
  });

  it('npm run preview refuses before applying anything and tells the workflow why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'preview-cap-'));
    try {
      // kubectl on PATH answers the host cluster's preview namespaces (the cluster is not here).
      const list = {
        items: running.map((pr) => ({
          metadata: { name: `pr-${pr}`, labels: { [LABEL.previewPr]: String(pr) } },
        })),
      };
      writeFileSync(join(dir, 'namespaces.json'), JSON.stringify(list));
      writeFileSync(
        join(dir, 'kubectl'),
        `#!/bin/sh\necho "$*" >> "${dir}/calls"\ncat "${dir}/namespaces.json"\n`,
      );
      chmodSync(join(dir, 'kubectl'), 0o755);
      const output = join(dir, 'github-output');
      writeFileSync(output, '');
      const r = spawnSync('npx', ['tsx', 'scripts/preview.ts', '--pr', '7', '--digest', DIGEST], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: {
          ...process.env,
          PREVIEW_PR: '',
          TEKUTOKO_IMAGE_DIGEST: '',
          CDKTF_CONTEXT_JSON: '',
          GITHUB_OUTPUT: output,
          PATH: `${dir}:${process.env.PATH}`,
        },
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`no preview for PR 7: ${cap} previews run`);
      expect(r.stdout).not.toContain('stack-apply');
      expect(readFileSync(output, 'utf8')).toMatch(/^refused=no preview for PR 7: .+$/m);
      expect(readFileSync(join(dir, 'calls'), 'utf8')).toContain(`get namespaces -l ${LABEL.previewPr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
