/**
 * Schedules that must agree: env-schedule.yml stops dev, so dev's backup
 * window lies inside its running hours (Cloud SQL backs up only a running
 * instance); Cloud SQL's maintenance hour lies outside GKE's window; prod's
 * database freezes with its cluster.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import {
  defaultEnvironment,
  ENVIRONMENT_NAMES,
  EnvironmentConfigError,
  loadEnvironments,
  validateEnvironment,
} from '../../config/environments';
import {
  cloudSqlBackupWindows,
  cloudSqlMaintenanceWindow,
  contains,
  cronInstants,
  gkeMaintenanceWindows,
  overlaps,
  runningWindows,
} from '../../config/weekly-windows';
import { Testing } from 'cdktf';
import { PlatformStack } from '../stacks/platform-stack';

const ROOT = join(__dirname, '..', '..');
const envs = loadEnvironments().environments;

function problemsOf(raw: unknown): string[] {
  try {
    validateEnvironment(raw);
  } catch (e) {
    if (e instanceof EnvironmentConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('weekly windows', () => {
  it('reads the crons env-schedule.yml uses', () => {
    // Monday 11:00 UTC is minute (1 * 24 + 11) * 60 of the week.
    expect(cronInstants('0 11 * * 1-5')).toEqual([1, 2, 3, 4, 5].map((d) => (d * 24 + 11) * 60));
    expect(cronInstants('30 23 * * 0,6')).toEqual([23 * 60 + 30, (6 * 24 + 23) * 60 + 30]);
    expect(() => cronInstants('*/5 * * * *')).toThrow('unsupported schedule cron');
  });

  it('runs from each resume to the next pause, across the week boundary', () => {
    const running = runningWindows('0 11 * * 1-5', '0 23 * * 0-4');
    expect(running.map((w) => w.label)).toEqual([
      'Sun 23:00 UTC for 12 h',
      'Mon 23:00 UTC for 12 h',
      'Tue 23:00 UTC for 12 h',
      'Wed 23:00 UTC for 12 h',
      'Thu 23:00 UTC for 12 h',
    ]);
    // Saturday resume, Monday pause: one window over the week's end.
    expect(runningWindows('0 6 * * 1', '0 20 * * 6').map((w) => w.label)).toEqual(['Sat 20:00 UTC for 34 h']);
  });

  it('detects overlap and containment over midnight and the week end', () => {
    const sat22 = cloudSqlMaintenanceWindow(6, 22);
    expect(overlaps(sat22, gkeMaintenanceWindows(['SA'], 20, 4)[0]!)).toBe(true);
    expect(overlaps(sat22, gkeMaintenanceWindows(['SA'], 23, 4)[0]!)).toBe(false);
    expect(overlaps(cloudSqlMaintenanceWindow(7, 1), gkeMaintenanceWindows(['SA'], 22, 4)[0]!)).toBe(true);
    const night = runningWindows('0 6 * * 0', '0 22 * * 6')[0]!;
    expect(contains(night, cloudSqlBackupWindows(23)[6]!)).toBe(true);
    expect(contains(night, cloudSqlBackupWindows(4)[0]!)).toBe(false);
  });
});

describe('dev: env-schedule.yml, runSchedule and the backup window', () => {
  const workflow = parse(readFileSync(join(ROOT, '.github', 'workflows', 'env-schedule.yml'), 'utf8')) as {
    on: { schedule: { cron: string }[] };
  };

  it('the workflow pauses and resumes at the crons config/ states', () => {
    const crons = workflow.on.schedule.map((s) => s.cron);
    const schedule = envs.dev.runSchedule!;
    expect(crons.sort()).toEqual([schedule.pauseCronUtc, schedule.resumeCronUtc].sort());
    // The workflow decides pause or resume by the cron string itself.
    const text = readFileSync(join(ROOT, '.github', 'workflows', 'env-schedule.yml'), 'utf8');
    expect(text).toContain(`github.event.schedule == '${schedule.pauseCronUtc}' && 'pause'`);
    expect(text).toContain(`github.event.schedule == '${schedule.resumeCronUtc}' && 'resume'`);
  });

  it('every running period of dev holds a whole backup window', () => {
    const schedule = envs.dev.runSchedule!;
    const running = runningWindows(schedule.pauseCronUtc, schedule.resumeCronUtc);
    expect(running.length).toBe(5);
    const backups = cloudSqlBackupWindows(envs.dev.database.backupStartHourUtc);
    for (const period of running)
      expect([period.label, backups.some((b) => contains(period, b))]).toEqual([period.label, true]);
  });

  it('rejects the old 16:00 UTC window, which fell while dev was stopped', () => {
    const dev = defaultEnvironment('dev');
    const problems = problemsOf({ ...dev, database: { ...dev.database, backupStartHourUtc: 16 } });
    expect(problems).toHaveLength(5);
    expect(problems[0]).toBe(
      'environments.dev.database.backupStartHourUtc: got 16; the backup window (4 h) must lie inside the running period Sun 23:00 UTC for 12 h of runSchedule',
    );
  });

  it('environments without a schedule run always', () => {
    expect([envs.staging.runSchedule, envs.prod.runSchedule]).toEqual([null, null]);
  });
});

describe.each(ENVIRONMENT_NAMES)('%s: Cloud SQL and GKE maintenance', (name) => {
  const env = envs[name];

  it('Cloud SQL maintenance falls outside every GKE maintenance window', () => {
    const sql = cloudSqlMaintenanceWindow(env.database.maintenanceDay, env.database.maintenanceHourUtc);
    for (const w of gkeMaintenanceWindows(
      env.gke.maintenanceDays,
      env.gke.maintenanceStartHourUtc,
      env.gke.maintenanceDurationHours,
    ))
      expect([sql.label, w.label, overlaps(sql, w)]).toEqual([sql.label, w.label, false]);
  });

  it('the database deny-maintenance period covers every GKE maintenance exclusion', () => {
    const deny = env.database.denyMaintenancePeriod;
    for (const ex of env.gke.maintenanceExclusions) {
      expect(deny).not.toBeNull();
      expect(Date.parse(`${deny!.startDate}T${deny!.time}Z`)).toBeLessThanOrEqual(Date.parse(ex.startTime));
      expect(Date.parse(`${deny!.endDate}T${deny!.time}Z`)).toBeGreaterThanOrEqual(Date.parse(ex.endTime));
    }
  });
});

describe('maintenance rules', () => {
  const prod = defaultEnvironment('prod');

  it('prod has the year-end freeze on both, and the instance carries it', () => {
    expect(prod.gke.maintenanceExclusions.length).toBeGreaterThan(0);
    const stack = new PlatformStack(Testing.app(), 'p', {
      bootstrap: loadEnvironments().bootstrap,
      environment: envs.prod,
    });
    const json = JSON.parse(Testing.synth(stack)) as {
      resource: {
        google_sql_database_instance: Record<string, { settings: { deny_maintenance_period: unknown } }>;
      };
    };
    const instance = Object.values(json.resource.google_sql_database_instance)[0]!;
    expect(instance.settings.deny_maintenance_period).toEqual({
      start_date: envs.prod.database.denyMaintenancePeriod!.startDate,
      end_date: envs.prod.database.denyMaintenancePeriod!.endDate,
      time: '00:00:00',
    });
  });

  it('rejects a prod whose database is not frozen with its cluster', () => {
    expect(problemsOf({ ...prod, database: { ...prod.database, denyMaintenancePeriod: null } })).toEqual([
      'environments.prod.database.denyMaintenancePeriod: got null; must cover gke.maintenanceExclusions "year-end-freeze" (2026-12-25T00:00:00Z – 2027-01-05T00:00:00Z)',
    ]);
  });

  it('rejects Cloud SQL maintenance inside the GKE window (the old Tuesday 18:00)', () => {
    expect(problemsOf({ ...prod, database: { ...prod.database, maintenanceDay: 2 } })).toEqual([
      "environments.prod.database.maintenanceDay: got 2; Cloud SQL maintenance (Tue 18:00 UTC for 1 h) overlaps GKE's window (Tue 17:00 UTC for 6 h); move one",
    ]);
  });
});
