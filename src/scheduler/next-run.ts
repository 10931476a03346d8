/**
 * When a cron schedule is next due: a pure function of the schedule and an instant, so the
 * scheduler's semantics are tested by asserting dates, without timers (croner's `nextRun(date)`).
 *
 * A schedule fires at every instant whose wall-clock time in its time zone matches the expression,
 * which is node-cron's own rule (`ScheduledTask.match`): on the night clocks go forward a wall time
 * that does not exist is skipped; on the night they go back a wall time that happens twice fires
 * twice. node-cron parses the expression (names, ranges, steps) and decides which days match (its
 * `L`, `W` and `#` tokens); this module only walks the calendar.
 */
import cron from 'node-cron';
import { DaemonError } from '../errors.js';

const DAY_MS = 86_400_000;
/** Longer than any time-zone transition, so a repeated wall time is never passed over. */
const FOLD_MS = 3 * 3_600_000;
/** A leap-day-on-a-weekday schedule matches within 28 years; give up beyond that. */
const MAX_DAYS = 366 * 30;

/** A validated cron expression read in one time zone. */
export interface CronSchedule {
  readonly expression: string;
  readonly timeZone: string;
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  /** Whether the day (month, day of month, day of week) starting at this UTC midnight matches. */
  readonly matchesDay: (utcMidnightMs: number) => boolean;
  /** Wall-clock time in the zone, as milliseconds on a UTC time line. */
  readonly wallMs: (instantMs: number) => number;
}

/**
 * Validates and compiles a node-cron expression (5 fields, or 6 with seconds first).
 * @throws DaemonError ERR_CONFIG_INVALID when the expression or the time zone is invalid.
 */
export function compileSchedule(expression: string, timeZone = 'UTC'): CronSchedule {
  const check = cron.validateDetailed(expression);
  if (!check.valid) {
    const detail = check.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    throw new DaemonError('ERR_CONFIG_INVALID', `scheduler: invalid cron expression '${expression}' (${detail})`, {
      meta: { expression, errors: check.errors },
    });
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch (error) {
    throw new DaemonError('ERR_CONFIG_INVALID', `scheduler: unknown time zone '${timeZone}'`, { cause: error, meta: { timeZone } });
  }
  const fields = cron.parse(expression);
  const [dayOfMonth, month, dayOfWeek] = expression.trim().split(/\s+/).slice(-3);
  // A never-started task used only for its day rule, read in UTC at midnight, which always exists.
  const dayTask = cron.createTask(`0 0 0 ${dayOfMonth} ${month} ${dayOfWeek}`, () => undefined, { timezone: 'UTC' });
  void dayTask.destroy();
  const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b);
  return {
    expression,
    timeZone,
    seconds: sorted(fields.second),
    minutes: sorted(fields.minute),
    hours: sorted(fields.hour),
    matchesDay: (utcMidnightMs) => dayTask.match(new Date(utcMidnightMs)),
    wallMs: (instantMs) => wallClockMs(format, instantMs),
  };
}

/** The first instant strictly after `afterMs` at which the schedule is due, or null within 30 years. */
export function nextRunAfter(schedule: CronSchedule, afterMs: number): number | null {
  const afterWall = schedule.wallMs(afterMs);
  const firstDay = Math.floor(afterWall / DAY_MS) * DAY_MS;
  for (let day = firstDay, n = 0; n < MAX_DAYS; day += DAY_MS, n++) {
    if (!schedule.matchesDay(day)) continue;
    const found = firstOnDay(schedule, day, afterMs, afterWall);
    if (found !== null) return found;
  }
  return null;
}

/** The first due instant after `afterMs` among the wall times of one local day. */
function firstOnDay(schedule: CronSchedule, day: number, afterMs: number, afterWall: number): number | null {
  // The zone's offsets around this day: one, or two on a transition day.
  const offsetBefore = schedule.wallMs(day - DAY_MS) - (day - DAY_MS);
  const offsetAfter = schedule.wallMs(day + 2 * DAY_MS) - (day + 2 * DAY_MS);
  const offsets = offsetBefore === offsetAfter ? [offsetBefore] : [offsetBefore, offsetAfter];
  let best: number | null = null;
  let bestWall = 0;
  for (const hour of schedule.hours) {
    for (const minute of schedule.minutes) {
      for (const second of schedule.seconds) {
        const wall = day + ((hour * 60 + minute) * 60 + second) * 1000;
        if (wall < afterWall - FOLD_MS) continue;
        // Wall times run in instant order except across a fold, which is shorter than FOLD_MS.
        if (best !== null && wall > bestWall + FOLD_MS) return best;
        for (const offset of offsets) {
          const instant = wall - offset;
          if (instant <= afterMs || (best !== null && instant >= best)) continue;
          if (offsets.length > 1 && schedule.wallMs(instant) !== wall) continue; // not this offset's side
          best = instant;
          bestWall = wall;
        }
      }
    }
  }
  return best;
}

function wallClockMs(format: Intl.DateTimeFormat, instantMs: number): number {
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const at = (name: string): number => parts[name] ?? 0;
  const wholeSecond = Date.UTC(at('year'), at('month') - 1, at('day'), at('hour'), at('minute'), at('second'));
  return wholeSecond + (((instantMs % 1000) + 1000) % 1000);
}
