/**
 * Runbooks must work at 3 a.m.: every alert's runbook_url resolves to a file
 * with the five sections, and every script, stack, namespace, Deployment,
 * workflow and metric a runbook names exists in this repository.
 */
import { existsSync, readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { FLAGGER, KEDA, LOG_PIPELINE, MONITORING } from '../../charts/lib/cluster-addons';
import { createLogger } from '../../app/src/observability/logger';
import { cloudSqlProxySidecar } from '../../charts/walk-service/cloud-sql-proxy';
import { ENVIRONMENT_NAMES, loadEnvironments } from '../../config/environments';
import {
  GATEWAY,
  MONITORING_NAMESPACE,
  SERVICE_NAME,
  SERVICE_NAMESPACE,
  SHARE_IMAGE_WORKER_IDENTITY,
  SIGNING_KEYS_SECRET_ID,
  PREVIEW_SIGNING_KEYS_SECRET_ID,
  servingDeploymentName,
  stackName,
} from '../../config/names';
import { TerraformStack, Testing } from 'cdktf';
import { grantInstanceConnect } from '../../infra/constructs/cloud-sql-postgres';
import { ALERT_RECEIVERS_SECRET_ID, MANAGED_ALERTMANAGER_SECRET } from '../alertmanager';
import { allAlerts } from '../alerts';
import { LOG_LABELS } from '../helm-values';
import { prometheusRuleFiles } from '../rules';
import { knownMetricNames, promqlMetricNames } from './promql';

const ROOT = join(__dirname, '..', '..');
const RUNBOOKS = join(ROOT, 'runbooks');
const SECTIONS = ['Meaning', 'Impact', 'Diagnosis', 'Mitigation', 'Escalation'];
/** runbooks/cutover.md belongs to the migration engineer; README.md is the index. */
const OURS = readdirSync(RUNBOOKS).filter(
  (f) => f.endsWith('.md') && !['README.md', 'cutover.md'].includes(f),
);
const ALL = readdirSync(RUNBOOKS).filter((f) => f.endsWith('.md'));
const text = (file: string) => readFileSync(join(RUNBOOKS, file), 'utf8');

function sectionsOf(markdown: string): string[] {
  return [...markdown.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim());
}

function fenced(markdown: string, lang: string): string[] {
  return [...markdown.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** Shell lines: ```sh blocks and inline code spans that start with a known command. */
function shellText(markdown: string): string {
  const inline = [...markdown.matchAll(/`([^`\n]+)`/g)]
    .map((m) => m[1]!)
    .filter((c) => /^(npm|npx|kubectl|gcloud|cdktf|gh|amtool|curl)\b/.test(c));
  return [...fenced(markdown, 'sh'), ...inline].join('\n');
}

describe('alerts and their runbooks', () => {
  const base = 'https://github.com/example/repo/blob/main/runbooks/';
  const rendered = Object.values(prometheusRuleFiles(base)).flatMap((f) =>
    f.groups.flatMap((g) => g.rules.filter((r) => r.alert)),
  );

  test('every alert has a runbook_url under runbooks/', () => {
    expect(rendered.length).toBe(allAlerts().length);
    for (const rule of rendered)
      expect(rule.annotations?.runbook_url).toMatch(new RegExp(`^${base}[a-z0-9-]+\\.md$`));
  });

  test.each(allAlerts().map((a) => [a.alert, a.runbook]))(
    '%s → runbooks/%s exists with every section',
    (_a, file) => {
      expect(existsSync(join(RUNBOOKS, file))).toBe(true);
      expect(sectionsOf(text(file))).toEqual(expect.arrayContaining(SECTIONS));
    },
  );

  test.each(allAlerts().map((a) => [a.alert, a.runbook]))(
    '%s is named in its runbook and the index',
    (alert, file) => {
      const family = alert.replace(/(Fast|Slow3d|Slow)$/, '');
      expect(text(file)).toContain(family);
      expect(text('README.md')).toContain(`[${file}](${file})`);
      expect(text('README.md')).toContain(family);
    },
  );
});

test.each(OURS)('%s has the sections Meaning, Impact, Diagnosis, Mitigation, Escalation in order', (file) => {
  const found = sectionsOf(text(file)).filter((s) => SECTIONS.includes(s));
  expect(found).toEqual(SECTIONS);
});

test('every runbook is linked from the index, and every link in a runbook resolves', () => {
  const index = text('README.md');
  for (const file of OURS) expect(index).toContain(`(${file})`);
  for (const file of ALL) {
    for (const m of text(file).matchAll(/\]\(([^)#]+\.md)\)/g))
      expect([file, existsSync(join(RUNBOOKS, m[1]!))]).toEqual([file, true]);
    for (const m of text(file).matchAll(/\b([a-z0-9-]+\.md)\b/g)) {
      const ref = m[1]!;
      if (ref === 'README.md' || ref.includes('/')) continue;
      const known = existsSync(join(RUNBOOKS, ref)) || existsSync(join(ROOT, 'docs', ref));
      expect([file, ref, known]).toEqual([file, ref, true]);
    }
  }
});

/** `severity` values the service's own logger writes, one line per pino level. */
function loggedSeverities(): Set<string> {
  const lines: string[] = [];
  const logger = createLogger({ level: 'trace', destination: { write: (l: string) => void lines.push(l) } });
  for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) logger[level]('x');
  return new Set(lines.map((l) => (JSON.parse(l) as { severity: string }).severity));
}
const SEVERITIES = loggedSeverities();

describe.each(OURS)('%s names only things that exist', (file) => {
  const md = text(file);
  const shell = shellText(md);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };

  test('npm run scripts exist, with their entry files', () => {
    for (const m of md.matchAll(/npm run ([\w:-]+)/g)) {
      const script = pkg.scripts[m[1]!];
      expect([m[1], script !== undefined]).toEqual([m[1], true]);
      const entry = script!.match(/\b((?:app|scripts|infra|monitoring)\/[\w/.-]+\.ts)\b/)?.[1];
      if (entry) expect([entry, existsSync(join(ROOT, entry))]).toEqual([entry, true]);
    }
  });

  test('npx tsx files exist', () => {
    for (const m of md.matchAll(/npx tsx ([\w/.-]+\.ts)/g))
      expect([m[1], existsSync(join(ROOT, m[1]!))]).toEqual([m[1], true]);
  });

  test('stack names follow names.ts', () => {
    const stacks = new Set<string>([
      stackName.bootstrap,
      ...['<env>', ...ENVIRONMENT_NAMES].flatMap((e) => [
        stackName.platform(e),
        stackName.cluster(e),
        stackName.app(e),
      ]),
      stackName.preview(1).replace('1', '<n>'),
    ]);
    for (const m of md.matchAll(/(?<![\w<>-])((?:<env>|[a-z]+)-(?:platform|cluster|app))(?![\w-])/g)) {
      expect([m[1], stacks.has(m[1]!)]).toEqual([m[1], true]);
    }
    for (const m of md.matchAll(/preview-pr-[\w<>]+/g)) expect(m[0]).toBe('preview-pr-<n>');
  });

  test('namespaces exist', () => {
    const namespaces = new Set<string>([
      SERVICE_NAMESPACE,
      MONITORING_NAMESPACE,
      FLAGGER.namespace,
      MONITORING.managedCollectorNamespace,
      MANAGED_ALERTMANAGER_SECRET.namespace,
      KEDA.namespace,
      GATEWAY.namespace,
      'pr-<n>',
    ]);
    const used = [
      ...shell.matchAll(/(?:\s-n\s+|--namespace[= ])([\w<>-]+)/g),
      ...md.matchAll(/namespace="([^"]+)"/g),
      ...md.matchAll(/`namespace `?([\w<>-]+)`/g),
    ].map((m) => m[1]!);
    for (const ns of used) expect([ns, namespaces.has(ns)]).toEqual([ns, true]);
  });

  test('Deployments and HPAs exist', () => {
    const deployments = new Set<string>([
      servingDeploymentName(false),
      servingDeploymentName(true),
      FLAGGER.releaseName,
      FLAGGER.loadTesterName,
      MONITORING.frontendName,
      LOG_PIPELINE.alloy.releaseName,
      SHARE_IMAGE_WORKER_IDENTITY.name,
      KEDA.operatorName,
    ]);
    const used = [
      ...shell.matchAll(/\b(?:deploy|deployment|hpa)\/([a-z][\w-]*)/g),
      ...shell.matchAll(/\b(?:get|describe|patch|scale|delete) (?:deploy|deployment|hpa) ([a-z][\w-]*)/g),
    ].map((m) => m[1]!);
    for (const name of used) expect([name, deployments.has(name)]).toEqual([name, true]);
  });

  test("containers named with -c are the pod's", () => {
    const containers = new Set([
      SERVICE_NAME,
      SHARE_IMAGE_WORKER_IDENTITY.name,
      cloudSqlProxySidecar('project:region:instance').name,
    ]);
    for (const m of shell.matchAll(/\s-c\s+([\w-]+)/g))
      expect([m[1], containers.has(m[1]!)]).toEqual([m[1], true]);
  });

  test('secrets are the ones the platform creates', () => {
    const secrets = new Set<string>([
      SIGNING_KEYS_SECRET_ID,
      PREVIEW_SIGNING_KEYS_SECRET_ID,
      ALERT_RECEIVERS_SECRET_ID,
      '$SECRET',
    ]);
    for (const m of shell.matchAll(/--secret[= ]([\w$-]+)/g))
      expect([m[1], secrets.has(m[1]!)]).toEqual([m[1], true]);
  });

  test('workflows run by `gh workflow run` exist with those inputs', () => {
    for (const m of shell.matchAll(/gh workflow run ([\w.-]+)([^\n]*)/g)) {
      const path = join(ROOT, '.github', 'workflows', m[1]!);
      expect([m[1], existsSync(path)]).toEqual([m[1], true]);
      const workflow = parse(readFileSync(path, 'utf8')) as {
        on: { workflow_dispatch?: { inputs?: Record<string, unknown> } };
      };
      const inputs = Object.keys(workflow.on.workflow_dispatch?.inputs ?? {});
      for (const f of m[2]!.matchAll(/-f (\w+)=/g))
        expect([f[1], inputs.includes(f[1]!)]).toEqual([f[1], true]);
    }
  });

  test('PromQL names only service, catalogued or recorded metrics', () => {
    const known = knownMetricNames();
    for (const query of fenced(md, 'promql').flatMap((b) => b.split('\n'))) {
      for (const name of promqlMetricNames(query)) expect([name, known.has(name)]).toEqual([name, true]);
    }
    // Metric names in prose (a histogram by its base name).
    const prose =
      /`((?:http|db_pool|session|walks|kube|flagger|process|nodejs|slo)[\w:]*(?:_total|_seconds|_connections|_clients|_replicas|_ready|_reason|_status|_weight|_rate\w+))`/g;
    for (const m of md.matchAll(prose)) {
      const ok = known.has(m[1]!) || known.has(`${m[1]}_bucket`);
      expect([m[1], ok]).toEqual([m[1], true]);
    }
  });

  test('LogQL selects only the low-cardinality stream labels', () => {
    for (const query of fenced(md, 'logql')) {
      const selector = [...query.matchAll(/\{([^}]*)\}/g)].map((s) => s[1]).join(',');
      for (const m of selector.matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)) {
        expect(LOG_LABELS).toContain(m[1]);
        // Flagger's `app` pod label: the canary's and the primary's Deployment.
        if (m[1] === 'workload') expect([SERVICE_NAME, `${SERVICE_NAME}-primary`]).toContain(m[3]);
        if (m[1] === 'severity') for (const v of m[3]!.split('|')) expect(SEVERITIES).toContain(v);
      }
    }
  });
});

test('database.md states each environment’s availability, PITR and backups as environments.ts sets them', () => {
  const environments = loadEnvironments().environments;
  const rows = new Map(
    [...text('database.md').matchAll(/^\| (dev|staging|prod) \| ([^|]+) \| (yes|no) \| (\d+) \|$/gm)].map(
      (m) => [m[1]!, m.slice(2)],
    ),
  );
  for (const name of ENVIRONMENT_NAMES) {
    const db = environments[name].database;
    expect([name, rows.get(name)?.[0]?.split(' ')[0], rows.get(name)?.slice(1)]).toEqual([
      name,
      db.availabilityType,
      [db.pointInTimeRecovery ? 'yes' : 'no', String(db.backupRetentionCount)],
    ]);
  }
});

test('SQL files and ops commands the runbooks (cutover.md included) name exist, with their placeholders known', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  for (const file of ALL) {
    const md = text(file);
    for (const m of md.matchAll(/runbooks\/sql\/([\w-]+\.sql)/g))
      expect([file, m[1], existsSync(join(RUNBOOKS, 'sql', m[1]!))]).toEqual([file, m[1], true]);
    for (const m of md.matchAll(/npm run (cutover|ops-job)\b/g))
      expect([file, m[1], pkg.scripts[m[1]!]?.startsWith('tsx scripts/ops-job.ts')]).toEqual([
        file,
        m[1],
        true,
      ]);
  }
  for (const sql of readdirSync(join(RUNBOOKS, 'sql')))
    for (const m of readFileSync(join(RUNBOOKS, 'sql', sql), 'utf8').matchAll(/\{\{(\w+)\}\}/g))
      expect(['service_user', 'firestore_migration_user']).toContain(m[1]);
});

test('no runbook runs migrate:firestore against an environment: the instance has only a private IP (npm run cutover does)', () => {
  for (const file of ALL) {
    // A paragraph (or list item) that runs the tool directly must say it is the local run, against the emulator.
    for (const paragraph of text(file).split(/\n\s*\n|\n(?=\s*(?:\d+\.|-) )/)) {
      if (!/npm run migrate:firestore\b/.test(paragraph)) continue;
      expect([file, paragraph, /\b(locally|emulator)\b/.test(paragraph)]).toEqual([file, paragraph, true]);
    }
  }
  // Every wave of the cutover runs the tool in the cluster.
  const cutover = text('cutover.md');
  for (const step of ['Step 0', 'Step 1', 'Step 2', 'Step 3']) {
    const body = cutover.split(`### ${step}`)[1]?.split(/\n### /)[0] ?? '';
    expect([step, /npm run cutover -- --env <env>( --no-verify)? -- /.test(body)]).toEqual([step, true]);
  }
});

test('database.md: gcloud sql subcommands are the ones Cloud SQL has, restore targets the same instance', () => {
  const shell = shellText(text('database.md'));
  const known = new Set([
    'instances describe',
    'instances failover',
    'instances clone',
    'instances patch',
    'instances delete',
    'operations list',
    'backups list',
    'backups restore',
    'export csv',
    'import csv',
    'users set-password',
  ]);
  for (const m of shell.matchAll(/gcloud sql (\w+ [\w-]+)/g))
    expect([m[1], known.has(m[1]!)]).toEqual([m[1], true]);
  expect(shell).toMatch(/backups restore [^-]+ --restore-instance=walks-<env> --backup-instance=walks-<env>/);
  // PITR from a clone: the export can read (owner's grant on the clone, through walk-service's
  // temporary bindings written as grantInstanceConnect writes them), both instances' service
  // agents reach the bucket, and every temporary binding is removed.
  const clone = 'walks-<env>-pitr-<yyyymmdd>';
  const lines = shell.split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const grant = at(
    new RegExp(
      `npm run ops-job -- --env <env> --instance ${clone} --sql runbooks/sql/restore-export-grant\\.sql`,
    ),
  );
  expect(grant).toBeGreaterThan(-1);
  expect(grant).toBeLessThan(at(/gcloud sql export csv walks-<env>-pitr-/));
  const condition = `resource.name == "projects/<env project>/instances/${clone}" && resource.service == "sqladmin.googleapis.com"`;
  const added = lines.filter((l) => l.includes('gcloud projects add-iam-policy-binding'));
  expect(added.map((l) => /--role=(\S+)/.exec(l)![1]).sort()).toEqual([
    'roles/cloudsql.client',
    'roles/cloudsql.instanceUser',
  ]);
  for (const l of added) {
    expect(l).toContain(condition);
    expect(lines).toContain(l.replace('add-iam-policy-binding', 'remove-iam-policy-binding'));
  }
  const stack = new TerraformStack(Testing.app(), 'pitr');
  grantInstanceConnect(stack, 'x', '<env project>', clone, {
    principalMember: 'serviceAccount:x',
    principalDependsOn: [],
  });
  const bindings = Object.values(JSON.parse(Testing.synth(stack)).resource.google_project_iam_member);
  expect(bindings.map((b) => (b as { condition: { expression: string } }).condition.expression)).toEqual([
    condition,
    condition,
  ]);
  for (const instance of [clone, 'walks-<env>']) {
    const describe = at(new RegExp(`gcloud sql instances describe ${instance} .*serviceAccountEmailAddress`));
    expect([instance, describe]).not.toEqual([instance, -1]);
    expect(lines[describe + 1]).toMatch(
      /^\s*gcloud storage buckets add-iam-policy-binding gs:\/\/.+ --member=serviceAccount:<[^>]+ service account> --role=roles\/storage\.object(Admin|Viewer)$/,
    );
  }
  // The adopted name is the context key environments.ts reads.
  expect(text('database.md')).toContain('TEKUTOKO_<ENV>_SQL_INSTANCE_NAME');
  expect(
    loadEnvironments({ 'prod.sqlInstanceName': 'walks-prod-pitr-20261122' }).environments.prod.database
      .instanceName,
  ).toBe('walks-prod-pitr-20261122');
});
