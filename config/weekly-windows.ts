/**
 * Weekly time windows in UTC, for the rules that hold schedules together:
 * dev's backup window inside its running hours (env-schedule.yml stops it),
 * Cloud SQL's maintenance hour outside GKE's maintenance window.
 * A point in the week is minutes since Sunday 00:00 UTC.
 */

export const MINUTES_PER_WEEK = 7 * 24 * 60;

/** [start, start + minutes), wrapping past the end of the week. */
export interface WeeklyWindow {
  readonly start: number;
  readonly minutes: number;
  /** For messages, e.g. "Tue 18:00 UTC". */
  readonly label: string;
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const RRULE_DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'] as const;

function at(day: number, hour: number, minute = 0): number {
  return ((((day % 7) + 7) % 7) * 24 + hour) * 60 + minute;
}

function label(start: number): string {
  const day = Math.floor(start / 1440) % 7;
  const hh = String(Math.floor((start % 1440) / 60)).padStart(2, '0');
  const mm = String(start % 60).padStart(2, '0');
  return `${DAY_NAMES[day]} ${hh}:${mm} UTC`;
}

export function window(start: number, minutes: number): WeeklyWindow {
  const s = ((start % MINUTES_PER_WEEK) + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
  return { start: s, minutes, label: `${label(s)} for ${minutes / 60} h` };
}

/** The same window every day of the week at `hour` UTC. */
export function dailyWindows(hour: number, minutes: number): WeeklyWindow[] {
  return [0, 1, 2, 3, 4, 5, 6].map((d) => window(at(d, hour), minutes));
}

/**
 * Cloud SQL's weekly maintenance window: `day` 1 = Monday … 7 = Sunday, one
 * hour from `hour` UTC (https://cloud.google.com/sql/docs/postgres/set-maintenance-window).
 */
export function cloudSqlMaintenanceWindow(day: number, hour: number): WeeklyWindow {
  return window(at(day % 7, hour), 60);
}

/**
 * Cloud SQL's daily automated-backup window: a backup starts within 4 hours
 * of `backupStartHourUtc`, and only on days the instance runs
 * (https://cloud.google.com/sql/docs/postgres/backup-recovery/backups).
 */
export const CLOUD_SQL_BACKUP_WINDOW_HOURS = 4;

export function cloudSqlBackupWindows(hour: number): WeeklyWindow[] {
  return dailyWindows(hour, CLOUD_SQL_BACKUP_WINDOW_HOURS * 60);
}

/** GKE's recurring window: RRULE days (MO…SU), from `hour` UTC for `hours`. */
export function gkeMaintenanceWindows(days: readonly string[], hour: number, hours: number): WeeklyWindow[] {
  return days.map((d) => {
    const day = RRULE_DAYS.indexOf(d as (typeof RRULE_DAYS)[number]);
    if (day < 0) throw new Error(`not an RRULE weekday: ${d}`);
    return window(at(day, hour), hours * 60);
  });
}

function pieces(w: WeeklyWindow): [number, number][] {
  const end = w.start + w.minutes;
  return end <= MINUTES_PER_WEEK
    ? [[w.start, end]]
    : [
        [w.start, MINUTES_PER_WEEK],
        [0, end - MINUTES_PER_WEEK],
      ];
}

export function overlaps(a: WeeklyWindow, b: WeeklyWindow): boolean {
  return pieces(a).some(([a0, a1]) => pieces(b).some(([b0, b1]) => a0 < b1 && b0 < a1));
}

/** `inner` lies wholly inside `outer`. */
export function contains(outer: WeeklyWindow, inner: WeeklyWindow): boolean {
  const offset = (((inner.start - outer.start) % MINUTES_PER_WEEK) + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
  return offset + inner.minutes <= outer.minutes;
}

/**
 * Instants of a GitHub Actions schedule cron (`minute hour * * days`, UTC),
 * limited to what env-schedule.yml uses: fixed minute and hour, every day of
 * the month, days of the week as `*`, a number, a range or a list.
 */
export function cronInstants(expr: string): number[] {
  const m = /^(\d{1,2}) (\d{1,2}) \* \* ([\d,*-]+)$/.exec(expr.trim());
  if (!m) throw new Error(`unsupported schedule cron "${expr}": use "<minute> <hour> * * <days>"`);
  const [minute, hour] = [Number(m[1]), Number(m[2])];
  if (minute > 59 || hour > 23) throw new Error(`schedule cron "${expr}": minute or hour out of range`);
  const days = new Set<number>();
  for (const part of m[3]!.split(',')) {
    if (part === '*') [0, 1, 2, 3, 4, 5, 6].forEach((d) => days.add(d));
    else {
      const [from, to = from] = part.split('-').map(Number) as [number, number?];
      if (!(from >= 0 && to! <= 7 && from <= to!)) throw new Error(`schedule cron "${expr}": bad days`);
      for (let d = from; d <= to!; d++) days.add(d % 7);
    }
  }
  return [...days].map((d) => at(d, hour, minute)).sort((a, b) => a - b);
}

/**
 * The windows an environment runs when `pause` stops it and `resume` starts it
 * (each a cron of instants): from every resume to the next pause. A resume
 * while running or a pause while stopped changes nothing.
 */
export function runningWindows(pauseCron: string, resumeCron: string): WeeklyWindow[] {
  const events = [
    ...cronInstants(pauseCron).map((t) => ({ t, running: false })),
    ...cronInstants(resumeCron).map((t) => ({ t, running: true })),
  ].sort((a, b) => a.t - b.t);
  if (!events.some((e) => e.running) || !events.some((e) => !e.running)) {
    throw new Error('a schedule needs both pause and resume instants');
  }
  const out: WeeklyWindow[] = [];
  events.forEach((e, i) => {
    const previous = events[(i + events.length - 1) % events.length]!;
    if (!e.running || previous.running) return; // only a resume after a pause starts a window
    let j = i;
    do j = (j + 1) % events.length;
    while (events[j]!.running);
    const end = events[j]!.t + (j <= i ? MINUTES_PER_WEEK : 0);
    out.push(window(e.t, end - e.t));
  });
  return out;
}
