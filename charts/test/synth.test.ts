/* eslint-disable @typescript-eslint/no-explicit-any */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { loadEnvironments } from '../../config/environments';
import {
  DATABASE_ADMIN_IDENTITY,
  PREVIEW_SIGNING_KEYS_SECRET_ID,
  SERVICE_NAME,
  SIGNING_KEYS_SECRET_ID,
} from '../../config/names';
import { UNRELEASED_IMAGE_DIGEST, imageDigestFrom } from '../environments';
import { LABEL } from '../lib/labels';
import { SAMPLE_PREVIEW_PR, synthCharts } from '../main';
import { K8sObject, validateObjects } from './schema-validation';
import { workloadProblems } from './workload-rules';

const DIGEST = `sha256:${'e'.repeat(64)}`;
const NOW = new Date('2026-11-23T00:00:00Z');

describe('synthCharts', () => {
  const out = mkdtempSync(join(tmpdir(), 'charts-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const dirs = synthCharts(out, {
    env: { TEKUTOKO_IMAGE_DIGEST: DIGEST },
    argv: [],
    readContextFiles: false,
    now: NOW,
  });
  const objectsOf = (env: string): any[] =>
    readdirSync(join(out, env)).flatMap((f) =>
      parseAllDocuments(readFileSync(join(out, env, f), 'utf8')).map((d) => d.toJS()),
    );
  const config = loadEnvironments().environments;
  const find = (env: string, kind: string) => objectsOf(env).filter((o) => o.kind === kind);

  it('writes dist/charts/<env>/*.yaml for dev, staging, prod and a sample preview', () => {
    expect(dirs.map((d) => d.slice(out.length + 1))).toEqual(['dev', 'staging', 'prod', 'preview']);
    expect(readdirSync(join(out, 'prod')).sort()).toEqual([
      'cluster-base.yaml',
      'database-grant.yaml',
      'db-admin.yaml',
      'gmp-frontend.yaml',
      'migrations.yaml',
      'walk-service.yaml',
    ]);
  });

  it.each(['dev', 'staging', 'prod', 'preview'])(
    '%s: every object is schema-valid and every workload restricted',
    (env) => {
      const objects = objectsOf(env) as K8sObject[];
      expect(validateObjects(objects)).toEqual([]);
      for (const w of objects.filter((o) => ['Deployment', 'Job'].includes(o.kind)))
        expect(workloadProblems(w)).toEqual([]);
    },
  );

  it('takes replicas, resources and the canary from config/environments.ts', () => {
    for (const env of ['dev', 'staging', 'prod'] as const) {
      const [hpa] = find(env, 'HorizontalPodAutoscaler');
      expect(hpa.spec).toMatchObject({
        minReplicas: config[env].service.minReplicas,
        maxReplicas: config[env].service.maxReplicas,
      });
      const app = find(env, 'Deployment').find((d) => d.metadata.name === SERVICE_NAME).spec.template.spec
        .containers[0];
      expect(app.resources.requests.cpu).toBe(`${config[env].service.cpuMillis}m`);
      expect(app.resources.limits.memory).toBe(`${config[env].service.memoryMiB}Mi`);
      expect(app.image).toMatch(new RegExp(`@${DIGEST}$`));
    }
    expect(find('dev', 'Canary')).toHaveLength(0);
    expect(find('dev', 'HTTPRoute').filter((r) => r.metadata.namespace === SERVICE_NAME)).toHaveLength(1);
    expect(find('staging', 'Canary')).toHaveLength(1);
    expect(find('prod', 'Canary')[0].spec.analysis.stepWeights).toEqual([10, 25, 50]);
    expect(find('staging', 'Canary')[0].spec.analysis.stepWeights).toEqual([10, 50]);
    expect(find('prod', 'HTTPRoute').filter((r) => r.metadata.namespace === SERVICE_NAME)).toHaveLength(0);
  });

  it('preview: one replica, no HPA or canary, pr-<n>.<dev domain>, every object labelled with PR and expiry', () => {
    const objects = objectsOf('preview');
    expect(find('preview', 'HorizontalPodAutoscaler')).toHaveLength(0);
    expect(find('preview', 'Canary')).toHaveLength(0);
    expect(find('preview', 'Deployment')[0].spec.replicas).toBe(1);
    expect(find('preview', 'HTTPRoute')[0].spec.hostnames).toEqual([
      `pr-${SAMPLE_PREVIEW_PR}.${config.dev.domain}`,
    ]);
    const expiry = String(NOW.getTime() / 1000 + 7 * 86400);
    for (const o of objects) {
      expect(o.metadata.labels).toMatchObject({
        [LABEL.previewPr]: String(SAMPLE_PREVIEW_PR),
        [LABEL.previewExpiresAt]: expiry,
      });
    }
    const [spc] = find('preview', 'SecretProviderClass');
    expect(spc.spec.parameters.secrets).toContain(`/secrets/${PREVIEW_SIGNING_KEYS_SECRET_ID}/versions/`);
    expect(find('dev', 'SecretProviderClass')[0].spec.parameters.secrets).toContain(
      `/secrets/${SIGNING_KEYS_SECRET_ID}/versions/`,
    );
    const ns = find('preview', 'Namespace')[0];
    expect(ns.metadata.name).toBe(`pr-${SAMPLE_PREVIEW_PR}`);
    // All in the PR's namespace but its database's grant Job, which runs as the database admin.
    const grant = find('preview', 'Job').filter(
      (o) => o.metadata.namespace === DATABASE_ADMIN_IDENTITY.namespace,
    );
    expect(grant.map((o) => o.metadata.name)).toEqual([`grant-walks-pr-${SAMPLE_PREVIEW_PR}`]);
    expect(
      objects
        .filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== DATABASE_ADMIN_IDENTITY.namespace)
        .every((o) => o.metadata.namespace === ns.metadata.name),
    ).toBe(true);
  });
});

describe('imageDigestFrom', () => {
  it('reads context first, then TEKUTOKO_IMAGE_DIGEST, else the unreleased placeholder', () => {
    expect(imageDigestFrom({ imageDigest: DIGEST }, { TEKUTOKO_IMAGE_DIGEST: 'x' })).toBe(DIGEST);
    expect(imageDigestFrom({}, { TEKUTOKO_IMAGE_DIGEST: DIGEST })).toBe(DIGEST);
    expect(imageDigestFrom()).toBe(UNRELEASED_IMAGE_DIGEST);
  });
  it('rejects a tag, naming the key and the fix', () => {
    expect(() => imageDigestFrom({ imageDigest: 'v1.2.3' })).toThrow(
      /imageDigest: got "v1.2.3"; give the image digest as sha256/,
    );
  });
});
