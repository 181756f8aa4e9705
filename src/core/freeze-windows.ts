/**
 * Freeze windows: when a stage must not be deployed to (the `freeze` rule).
 *
 * Every window is computed in its own time zone. Start instants are inclusive, end
 * instants exclusive. DST rules (see `local-time.ts`):
 * - a wall-clock time skipped by a spring-forward change moves to the first instant after
 *   the gap (the instant of the change);
 * - a wall-clock time that occurs twice (fall-back) starts a window at its FIRST
 *   occurrence and ends a window at its SECOND occurrence, so a window is never shortened;
 * - a daily window that lies wholly inside a spring-forward gap does not happen that day.
 *
 * Overlapping and back-to-back windows merge into one freeze.
 */
import { RRule } from './rrule.js';
import type { Options, RRule as RRuleInstance } from 'rrule';
import type { DailyFreezeWindow, FreezeWindow, RangeFreezeWindow, RRuleFreezeWindow, Weekday } from './types.js';
import { WEEKDAYS } from './types.js';
import {
  DAY_MS,
  HOUR_MS,
  MINUTE_MS,
  SECOND_MS,
  assertTimeZone,
  instantToLocal,
  localToInstant,
  parseClockTime,
  parseLocalDateTime,
  zoneOffsetMs,
} from './local-time.js';

/** A merged freeze: `[start, end)` and the names of the windows it is made of (policy order). */
export interface FreezeInterval {
  start: Date;
  end: Date;
  windows: string[];
}

/** Whether `t` is frozen, until when, and which freeze comes next. */
export interface FreezeStatus {
  frozen: boolean;
  /** The window covering `t`: the one that started first; on a tie, the first listed in the policy. */
  window: string | null;
  /**
   * End of the merged freeze covering `t` (null when not frozen). A freeze still running
   * {@link DEFAULT_HORIZON_DAYS} days after `t` reports an instant past that horizon, and
   * no `next`.
   */
  until: Date | null;
  /** The next freeze starting after `t` (after `until` when frozen); `end` is its merged end. */
  next: { window: string; start: Date; end: Date } | null;
}

/** A freeze window the engine cannot read (bad time, zone or recurrence). */
export class FreezeWindowError extends Error {
  readonly window: string;
  constructor(window: string, problem: string, options?: { cause?: unknown }) {
    super(`Freeze window "${window}": ${problem}`, options);
    this.name = 'FreezeWindowError';
    this.window = window;
  }
}

/**
 * Why the engine cannot use a window, as a message without the window's name, or null when
 * it can. The policy loader calls this so that a policy the engine would refuse at
 * evaluation time is already invalid when it is loaded.
 */
export function checkFreezeWindow(window: FreezeWindow): string | null {
  try {
    newEngine(window, window.name);
    return null;
  } catch (error) {
    if (error instanceof FreezeWindowError) return error.message.replace(/^Freeze window "[^"]*": /, '');
    throw error;
  }
}

/** How far the engine follows a freeze or looks for the next one (ranges are found at any distance). */
export const DEFAULT_HORIZON_DAYS = 400;
/** Recurrences as sparse as yearly or monthly are looked for this far ahead (a 29 February rule). */
const SPARSE_RRULE_HORIZON_DAYS = 8 * 366;
/** A recurrence producing more occurrences than this in one look-up is refused (fail closed). */
const MAX_OCCURRENCES_PER_LOOKUP = 50_000;
/** earliestDeployStart gives up (fail closed) after this many freezes in a row. */
const MAX_DEPLOY_STEPS = 5_000;
/**
 * The longest span one look-up covers. Every caller asks for less (a deploy is shorter than
 * the horizon, a chunk is at most 32 days, the next freeze is looked for at most 8 years
 * ahead), so the work of one look-up never grows with a number the policy gives.
 */
const MAX_LOOKUP_DAYS = SPARSE_RRULE_HORIZON_DAYS + 2;

interface Occurrence {
  start: number;
  end: number;
  source: Source;
}

/** How one kind of window produces its occurrences; shared by identical windows. */
interface Engine {
  /** Pushes every occurrence with `start < to && end > from`. */
  collect(from: number, to: number, source: Source, out: Occurrence[]): void;
  /** Earliest start strictly after `after` when the engine knows it directly (ranges), else undefined. */
  directNextStart?(after: number): number | null;
  /** How far ahead this window's next occurrence can lie. */
  horizonDays: number;
}

interface Source {
  index: number;
  name: string;
  engine: Engine;
}

// ---------------------------------------------------------------------------------------
// Daily windows

const WEEKDAY_INDEX = new Map<string, number>(WEEKDAYS.map((day, index) => [day, index]));
const MEMO_LIMIT = 4096;

class DailyEngine implements Engine {
  readonly horizonDays = DEFAULT_HORIZON_DAYS;
  private readonly dayMask: boolean[];
  private readonly startLocal: number;
  private readonly endLocal: number;
  private readonly memo = new Map<number, readonly [number, number] | null>();
  private readonly timeZone: string;

  constructor(window: DailyFreezeWindow, name: string) {
    const start = parseClockTime(window.start);
    if (start === null)
      throw new FreezeWindowError(name, `start "${String(window.start)}" is not a time of day: use HH:MM or HH:MM:SS.`);
    const end = parseClockTime(window.end, true);
    if (end === null)
      throw new FreezeWindowError(name, `end "${String(window.end)}" is not a time of day: use HH:MM or HH:MM:SS.`);
    checkZone(window.timezone, name);
    this.timeZone = window.timezone;
    const days: readonly Weekday[] = Array.isArray(window.days) && window.days.length > 0 ? window.days : WEEKDAYS;
    this.dayMask = WEEKDAYS.map(() => false);
    for (const day of days) {
      const index = WEEKDAY_INDEX.get(day);
      if (index === undefined)
        throw new FreezeWindowError(name, `"${String(day)}" is not a day: use ${WEEKDAYS.join(', ')}.`);
      this.dayMask[index] = true;
    }
    this.startLocal = start * SECOND_MS;
    // An end at or before the start is on the next day (a window across midnight).
    this.endLocal = end * SECOND_MS + (end <= start ? DAY_MS : 0);
  }

  /** The occurrence starting on local day `day` (days since 1970-01-01), if any. */
  private occurrence(day: number): readonly [number, number] | null {
    let found = this.memo.get(day);
    if (found === undefined) {
      const midnight = day * DAY_MS;
      const start = localToInstant(midnight + this.startLocal, this.timeZone, 'earlier');
      const end = localToInstant(midnight + this.endLocal, this.timeZone, 'later');
      found = end > start ? [start, end] : null;
      if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
      this.memo.set(day, found);
    }
    return found;
  }

  collect(from: number, to: number, source: Source, out: Occurrence[]): void {
    // A window lasts at most 24 hours plus a DST change, so one starting two local days
    // before `from` is the earliest that can reach it.
    const firstDay = Math.floor(instantToLocal(from, this.timeZone) / DAY_MS) - 2;
    const lastDay = Math.floor(instantToLocal(to, this.timeZone) / DAY_MS) + 1;
    if (lastDay - firstDay > MAX_LOOKUP_DAYS + 4)
      throw new RangeError(
        `a freeze look-up of ${lastDay - firstDay} days is longer than the ${MAX_LOOKUP_DAYS} days the engine covers`,
      );
    for (let day = firstDay; day <= lastDay; day++) {
      // 1970-01-01 was a Thursday.
      if (!this.dayMask[(((day + 4) % 7) + 7) % 7]) continue;
      const occurrence = this.occurrence(day);
      if (occurrence !== null && occurrence[0] < to && occurrence[1] > from) {
        out.push({ start: occurrence[0], end: occurrence[1], source });
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Range windows

class RangeEngine implements Engine {
  readonly horizonDays = DEFAULT_HORIZON_DAYS;
  private readonly start: number;
  private readonly end: number;

  constructor(window: RangeFreezeWindow, name: string) {
    const from = parseLocalDateTime(window.from);
    if (from === null)
      throw new FreezeWindowError(
        name,
        `from "${String(window.from)}" is not a date-time: use YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS.`,
      );
    const to = parseLocalDateTime(window.to);
    if (to === null)
      throw new FreezeWindowError(
        name,
        `to "${String(window.to)}" is not a date-time: use YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS.`,
      );
    if (to <= from) throw new FreezeWindowError(name, `to "${window.to}" is not after from "${window.from}".`);
    checkZone(window.timezone, name);
    this.start = localToInstant(from, window.timezone, 'earlier');
    this.end = localToInstant(to, window.timezone, 'later');
  }

  collect(from: number, to: number, source: Source, out: Occurrence[]): void {
    if (this.end > this.start && this.start < to && this.end > from)
      out.push({ start: this.start, end: this.end, source });
  }

  directNextStart(after: number): number | null {
    return this.start > after && this.end > this.start ? this.start : null;
  }
}

// ---------------------------------------------------------------------------------------
// Recurrence (RFC 5545 RRULE) windows

/** Recurrences without DTSTART are anchored here (local time of the window's zone). */
const DEFAULT_RRULE_ANCHOR = Date.UTC(2000, 0, 1);

class RRuleEngine implements Engine {
  readonly horizonDays: number;
  private readonly timeZone: string;
  private readonly durationMs: number;
  private readonly name: string;
  private readonly text: string;
  /** Options with every default that depends on DTSTART written out, so the rule can be re-anchored. */
  private readonly explicit: Partial<Options>;
  private readonly original: RRuleInstance;
  private readonly baseStart: number;
  private readonly shiftable: boolean;
  /** Hourly or more often. */
  private readonly dense: boolean;
  /** The shortest a period of the rule (times INTERVAL) can be, in milliseconds. */
  private readonly minPeriodMs: number;

  constructor(window: RRuleFreezeWindow, name: string) {
    this.name = name;
    this.text = String(window.rrule);
    checkZone(window.timezone, name);
    this.timeZone = window.timezone;
    if (typeof window.durationMs !== 'number' || !Number.isFinite(window.durationMs) || window.durationMs <= 0) {
      throw new FreezeWindowError(
        name,
        `durationMs must be a positive number of milliseconds, not ${String(window.durationMs)}.`,
      );
    }
    this.durationMs = window.durationMs;

    let parsed: Partial<Options>;
    try {
      parsed = RRule.parseString(this.text.trim());
    } catch (error) {
      throw new FreezeWindowError(
        name,
        `rrule "${this.text}" cannot be read: ${error instanceof Error ? error.message : String(error)}.`,
        { cause: error },
      );
    }
    if (parsed.freq === undefined || parsed.freq === null) {
      throw new FreezeWindowError(
        name,
        `rrule "${this.text}" needs FREQ=YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY or SECONDLY.`,
      );
    }

    checkMonthDays(parsed, name, this.text);
    if (parsed.count != null && !parsed.dtstart) {
      // Without DTSTART there is nothing to count from: any anchor would be arbitrary, and
      // the one used for INTERVAL (2000-01-01) would quietly end the freeze long ago.
      throw new FreezeWindowError(
        name,
        `rrule "${this.text}" has COUNT, which needs a DTSTART to count from; end the recurrence with UNTIL instead.`,
      );
    }
    const options: Partial<Options> = { ...parsed, tzid: null };
    options.dtstart = new Date(this.localDtstart(parsed));
    if (parsed.until) options.until = new Date(this.localUntil(parsed.until));

    let original: RRuleInstance;
    try {
      original = new RRule(options, true);
    } catch (error) {
      throw new FreezeWindowError(
        name,
        `rrule "${this.text}" cannot be used: ${error instanceof Error ? error.message : String(error)}.`,
        { cause: error },
      );
    }
    this.original = original;
    this.baseStart = options.dtstart.getTime();

    // Defaults RRULE takes from DTSTART (the day of the month, the weekday, the time of
    // day) are written out so that moving DTSTART forward keeps the same occurrences.
    const explicit: Partial<Options> = { ...options };
    const full = original.options;
    if (parsed.bymonth == null && full.bymonth != null && full.bymonth.length > 0) explicit.bymonth = full.bymonth;
    if (
      parsed.bymonthday == null &&
      parsed.bynmonthday == null &&
      full.bymonthday != null &&
      full.bymonthday.length > 0
    )
      explicit.bymonthday = full.bymonthday;
    if (parsed.byweekday == null && full.byweekday != null && full.byweekday.length > 0)
      explicit.byweekday = full.byweekday;
    if (parsed.byhour == null && full.byhour != null && full.byhour.length > 0) explicit.byhour = full.byhour;
    if (parsed.byminute == null && full.byminute != null && full.byminute.length > 0) explicit.byminute = full.byminute;
    if (parsed.bysecond == null && full.bysecond != null && full.bysecond.length > 0) explicit.bysecond = full.bysecond;
    explicit.wkst = full.wkst;
    this.explicit = explicit;
    // COUNT counts from DTSTART, and BYEASTER or BYWEEKNO periods do not line up with the
    // anchors below: such rules are always expanded from their own DTSTART.
    this.shiftable = parsed.count == null && parsed.byeaster == null && parsed.byweekno == null;
    this.dense = full.freq >= RRule.HOURLY;
    this.minPeriodMs = Math.max(1, full.interval) * (SHORTEST_PERIOD_MS[full.freq] ?? SECOND_MS);
    checkTimesReachable(full, this.baseStart, name, this.text);
    // rrule steps a minutely (secondly) rule with BYHOUR (or BYMINUTE) by jumping to the next
    // allowed hour (minute), so with an INTERVAL above 1 its occurrences depend on exactly
    // where the search starts: no anchor near the time looked at gives the same answer as
    // one years earlier. Such a rule cannot be evaluated consistently without a DTSTART.
    if (
      !parsed.dtstart &&
      full.interval > 1 &&
      ((full.freq === RRule.MINUTELY && asList(full.byhour).length > 0) ||
        (full.freq === RRule.SECONDLY && (asList(full.byhour).length > 0 || asList(full.byminute).length > 0)))
    ) {
      throw new FreezeWindowError(
        name,
        `rrule "${this.text}" combines INTERVAL with BYHOUR or BYMINUTE on a minutely or secondly rule, whose times then depend on a DTSTART; use FREQ=DAILY with BYHOUR and BYMINUTE instead.`,
      );
    }
    this.horizonDays = full.freq <= RRule.MONTHLY ? SPARSE_RRULE_HORIZON_DAYS : DEFAULT_HORIZON_DAYS;
  }

  /** DTSTART as local milliseconds of the window's zone. */
  private localDtstart(parsed: Partial<Options>): number {
    if (!parsed.dtstart) return DEFAULT_RRULE_ANCHOR;
    const fields = parsed.dtstart.getTime();
    if (/DTSTART(?:;[^:\n]*)?:\d{8}T\d{6}Z/i.test(this.text)) return instantToLocal(fields, this.timeZone);
    if (parsed.tzid && parsed.tzid !== this.timeZone) {
      checkZone(parsed.tzid, this.name);
      return instantToLocal(localToInstant(fields, parsed.tzid, 'earlier'), this.timeZone);
    }
    return fields;
  }

  /** UNTIL as local milliseconds of the window's zone (an UNTIL in UTC is an instant). */
  private localUntil(until: Date): number {
    if (/UNTIL=\d{8}T\d{6}Z/i.test(this.text)) return instantToLocal(until.getTime(), this.timeZone);
    return until.getTime();
  }

  /**
   * A rule with the same occurrences as the original between local times `from` and `to`:
   * anchored close to `from` (so a rule that began years ago is not expanded from its
   * start) and ending at `to` (so a rule that never matches stops there instead of
   * searching to the year 9999).
   */
  private ruleFor(from: number, to: number): RRuleInstance | null {
    let dtstart = this.baseStart;
    if (this.shiftable && from > this.baseStart) {
      const anchor = this.anchorBefore(from);
      if (anchor > this.baseStart) dtstart = anchor;
    }
    const until = this.explicit.until ? Math.min(this.explicit.until.getTime(), to) : to;
    if (until < dtstart) return null;
    return new RRule({ ...this.explicit, dtstart: new Date(dtstart), until: new Date(until) }, true);
  }

  /** The start of a whole period of the recurrence at or before `from` (local milliseconds). */
  private anchorBefore(from: number): number {
    const base = new Date(this.baseStart);
    const at = new Date(from);
    const freq = this.original.options.freq;
    const interval = Math.max(1, this.original.options.interval);
    // A rule is built for each look-up, so the anchor is the latest whole period.
    const periodsBack = (elapsed: number): number => Math.floor(elapsed / interval) * interval;
    switch (freq) {
      case RRule.YEARLY: {
        const years = periodsBack(at.getUTCFullYear() - base.getUTCFullYear());
        return dateUtc(base.getUTCFullYear() + years, 0, 1);
      }
      case RRule.MONTHLY: {
        const baseMonth = base.getUTCFullYear() * 12 + base.getUTCMonth();
        const month = baseMonth + periodsBack(at.getUTCFullYear() * 12 + at.getUTCMonth() - baseMonth);
        return dateUtc(Math.floor(month / 12), month % 12, 1);
      }
      case RRule.WEEKLY: {
        const baseDay = Math.floor(this.baseStart / DAY_MS);
        // RRULE weeks start on WKST (0 = Monday); 1970-01-01 was a Thursday (3).
        const weekStart = baseDay - ((((baseDay + 3) % 7) + 7 - this.original.options.wkst) % 7);
        const weeks = periodsBack(Math.floor((Math.floor(from / DAY_MS) - weekStart) / 7));
        return (weekStart + weeks * 7) * DAY_MS;
      }
      case RRule.DAILY:
        return fixedAnchor(this.baseStart, from, DAY_MS, periodsBack);
      case RRule.HOURLY:
        return fixedAnchor(this.baseStart, from, HOUR_MS, periodsBack);
      case RRule.MINUTELY:
        return fixedAnchor(this.baseStart, from, MINUTE_MS, periodsBack);
      default:
        return fixedAnchor(this.baseStart, from, SECOND_MS, periodsBack);
    }
  }

  collect(from: number, to: number, source: Source, out: Occurrence[]): void {
    const low = from - this.durationMs;
    // Local times differ from instants by the zone's offset. Near an offset change the
    // local range looked at is widened by a day for daily and sparser rules (any change is
    // covered) and by three hours for denser ones (a DST change; keeps minutely rules
    // cheap); the occurrences found are then filtered exactly.
    const offsetLow = zoneOffsetMs(this.timeZone, low - DAY_MS);
    const offsetHigh = zoneOffsetMs(this.timeZone, to + DAY_MS);
    // Over a short range with the same offset a day either side there is no DST change
    // (the tz database never has two within two days): one offset converts every start.
    const fixedOffset = offsetLow === offsetHigh && to - low <= DAY_MS ? offsetLow : null;
    const margin = fixedOffset !== null ? SECOND_MS : this.dense ? 3 * HOUR_MS : DAY_MS;
    const localFrom = low + Math.min(offsetLow, offsetHigh) - margin;
    const localTo = to + Math.max(offsetLow, offsetHigh) + margin;
    let truncated = false;
    const rule = this.ruleFor(localFrom, localTo);
    if (rule === null) return;
    // rrule only stops at a bound when it finds an occurrence past it, so a rule whose days
    // never come (BYYEARDAY=366;BYMONTH=2) would be searched to the year 9999: allow it only
    // the periods that fit in the range looked at.
    const periods = Math.ceil((localTo - rule.options.dtstart.getTime()) / this.minPeriodMs) + 3;
    const starts = boundedBetween(rule, new Date(localFrom), new Date(localTo), periods, (_date, count) => {
      if (count >= MAX_OCCURRENCES_PER_LOOKUP) {
        truncated = true;
        return false;
      }
      return true;
    });
    if (truncated) {
      throw new FreezeWindowError(
        this.name,
        `rrule "${this.text}" repeats more than ${MAX_OCCURRENCES_PER_LOOKUP} times in the time looked at; use a less frequent rule.`,
      );
    }
    for (const local of starts) {
      const start =
        fixedOffset === null
          ? localToInstant(local.getTime(), this.timeZone, 'earlier')
          : local.getTime() - fixedOffset;
      const end = start + this.durationMs;
      if (start < to && end > from) out.push({ start, end, source });
    }
  }
}

const MONTH_LENGTHS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function asList(value: number | number[] | null | undefined): number[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Refuses a rule whose BYMONTHDAY fits none of its months (FEB 30): the rrule package
 * would search such a rule up to the year 9999 before giving up.
 */
/** The shortest period of each frequency (rrule's numbering: 0 = YEARLY ... 6 = SECONDLY). */
const SHORTEST_PERIOD_MS: Record<number, number> = {
  0: 365 * DAY_MS,
  1: 28 * DAY_MS,
  2: 7 * DAY_MS,
  3: DAY_MS,
  4: HOUR_MS,
  5: MINUTE_MS,
  6: SECOND_MS,
};

/**
 * `rule.between`, stopped after `maxPeriods` periods of the rule even when no occurrence
 * comes. The rrule package (2.8) reads `options.interval` once before its loop and then
 * twice per period, first to test it against 0 (which ends the search) and then to step to
 * the next period; answering 0 to that test once the budget is spent ends the search
 * cleanly. test/core/freeze-edge.test.ts pins this behaviour.
 */
function boundedBetween(
  rule: RRuleInstance,
  after: Date,
  before: Date,
  maxPeriods: number,
  iterator: (date: Date, count: number) => boolean,
): Date[] {
  const options = rule.options;
  const interval = options.interval;
  let reads = 0;
  Object.defineProperty(options, 'interval', {
    configurable: true,
    enumerable: true,
    get: () => {
      reads += 1;
      return reads > 2 * maxPeriods && reads % 2 === 0 ? 0 : interval;
    },
  });
  try {
    return rule.between(after, before, true, iterator);
  } finally {
    Object.defineProperty(options, 'interval', {
      configurable: true,
      enumerable: true,
      writable: true,
      value: interval,
    });
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Refuses an hourly, minutely or secondly rule whose INTERVAL never lands on a time its
 * BYHOUR/BYMINUTE/BYSECOND allow (FREQ=HOURLY;INTERVAL=24;BYHOUR=5 from midnight): the
 * rrule package would loop for ever looking for one.
 */
function checkTimesReachable(options: Options, dtstart: number, name: string, text: string): void {
  const unitSeconds =
    options.freq === RRule.HOURLY
      ? 3600
      : options.freq === RRule.MINUTELY
        ? 60
        : options.freq === RRule.SECONDLY
          ? 1
          : 0;
  if (unitSeconds === 0) return;
  const daySeconds = 86_400;
  const step = gcd(Math.max(1, options.interval) * unitSeconds, daySeconds);
  const startSecond = Math.floor((((dtstart % DAY_MS) + DAY_MS) % DAY_MS) / SECOND_MS);
  const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const start = new Date(dtstart);
  const listed = (value: number | number[] | null | undefined, n: number): number[] =>
    asList(value).length > 0 ? asList(value) : all(n);
  const hours = listed(options.byhour, 24);
  // Finer fields than the frequency come from the start; rrule steps only the coarser ones.
  const minutes = options.freq === RRule.HOURLY ? [start.getUTCMinutes()] : listed(options.byminute, 60);
  const seconds = options.freq === RRule.SECONDLY ? listed(options.bysecond, 60) : [start.getUTCSeconds()];
  for (const h of hours) {
    for (const m of minutes) {
      for (const sec of seconds) {
        if ((((h * 3600 + m * 60 + sec - startSecond) % step) + step) % step === 0) return;
      }
    }
  }
  throw new FreezeWindowError(
    name,
    `rrule "${text}" never occurs: its INTERVAL never reaches the times BYHOUR, BYMINUTE or BYSECOND allow.`,
  );
}

function checkMonthDays(parsed: Partial<Options>, name: string, text: string): void {
  const days = [...asList(parsed.bymonthday), ...asList(parsed.bynmonthday)];
  if (days.length === 0) return;
  const months = asList(parsed.bymonth);
  const lengths = (months.length > 0 ? months : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]).map(
    (month) => MONTH_LENGTHS[month - 1] ?? 0,
  );
  if (!lengths.some((length) => days.some((day) => day !== 0 && Math.abs(day) <= length))) {
    throw new FreezeWindowError(
      name,
      `rrule "${text}" never occurs: no month it names has the days of the month it names.`,
    );
  }
}

function dateUtc(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  return date.getTime();
}

function fixedAnchor(baseStart: number, from: number, unit: number, periodsBack: (elapsed: number) => number): number {
  const baseUnit = Math.floor(baseStart / unit);
  return (baseUnit + periodsBack(Math.floor(from / unit) - baseUnit)) * unit;
}

// ---------------------------------------------------------------------------------------
// Compilation (cached: a policy's windows are evaluated again and again)

const engines = new Map<string, Engine>();
const ENGINE_CACHE_LIMIT = 512;

function checkZone(timeZone: string, name: string): void {
  try {
    assertTimeZone(timeZone);
  } catch (error) {
    throw new FreezeWindowError(name, error instanceof Error ? error.message : String(error), { cause: error });
  }
}

function engineKey(window: FreezeWindow, name: string): string {
  switch (window?.kind) {
    case 'daily':
      return JSON.stringify(['daily', name, window.timezone, window.start, window.end, window.days]);
    case 'range':
      return JSON.stringify(['range', name, window.timezone, window.from, window.to]);
    case 'rrule':
      return JSON.stringify(['rrule', name, window.timezone, window.rrule, window.durationMs]);
    default:
      return '';
  }
}

function compile(windows: readonly FreezeWindow[]): Source[] {
  if (!Array.isArray(windows)) throw new TypeError('Freeze windows must be an array.');
  return windows.map((window, index) => {
    const name = typeof window?.name === 'string' && window.name !== '' ? window.name : `#${index + 1}`;
    const key = engineKey(window, name);
    let engine = key === '' ? undefined : engines.get(key);
    if (engine === undefined) {
      engine = newEngine(window, name);
      if (engines.size >= ENGINE_CACHE_LIMIT) engines.clear();
      engines.set(key, engine);
    }
    return { index, name, engine };
  });
}

function newEngine(window: FreezeWindow, name: string): Engine {
  switch (window?.kind) {
    case 'daily':
      return new DailyEngine(window, name);
    case 'range':
      return new RangeEngine(window, name);
    case 'rrule':
      return new RRuleEngine(window, name);
    default:
      throw new FreezeWindowError(
        name,
        `kind "${String((window as { kind?: unknown } | undefined)?.kind)}" is not one of daily, range, rrule.`,
      );
  }
}

// ---------------------------------------------------------------------------------------
// Evaluation

function byStart(a: Occurrence, b: Occurrence): number {
  return a.start - b.start || a.source.index - b.source.index;
}

/**
 * Occurrences one answer (a decision's freeze rule, a status, a calendar) may look at in
 * all: past it the answer is refused (fail closed) instead of taking seconds. A year of a
 * daily window is 400, a month of an hourly one 720; one look-up of the densest rule the
 * engine follows gives 50,000.
 */
const MAX_OCCURRENCES_PER_ANSWER = 250_000;

/** The windows of one answer and the occurrences it has looked at so far. */
interface Lookup {
  sources: readonly Source[];
  looked: number;
}

function lookup(windows: readonly FreezeWindow[]): Lookup {
  return { sources: compile(windows), looked: 0 };
}

function collect(lookup: Lookup, from: number, to: number, sources: readonly Source[] = lookup.sources): Occurrence[] {
  if (!(to - from <= MAX_LOOKUP_DAYS * DAY_MS)) {
    throw new RangeError(
      `a freeze look-up from ${new Date(from).toISOString()} to ${to} ms is longer than the ${MAX_LOOKUP_DAYS} days the engine covers`,
    );
  }
  const out: Occurrence[] = [];
  for (const source of sources) {
    source.engine.collect(from, to, source, out);
    if (lookup.looked + out.length > MAX_OCCURRENCES_PER_ANSWER) {
      throw new FreezeWindowError(
        source.name,
        `the freeze windows give more than ${MAX_OCCURRENCES_PER_ANSWER} occurrences to look at for one answer (${out.length} in one look-up, this window's included); use fewer or less frequent windows, or a shorter deployDuration`,
      );
    }
  }
  lookup.looked += out.length;
  return out;
}

/** The latest of the ends of `values` (a loop: a spread of many arguments overflows the stack). */
function latestEnd(occurrences: readonly Occurrence[], from = -Infinity): number {
  let end = from;
  for (const occurrence of occurrences) if (occurrence.end > end) end = occurrence.end;
  return end;
}

/**
 * The latest end of an occurrence of `source` that meets `[from, to)`, or null when none
 * does. Searched from `to` backwards in growing chunks: a crowded range (a week of
 * one-second freezes every minute) costs only the part near its end.
 */
function latestEndIn(lookup: Lookup, source: Source, from: number, to: number): number | null {
  let chunk = HOUR_MS;
  for (;;) {
    const low = Math.max(from, to - chunk);
    // Every occurrence found ends after `low`; one not found ends at or before it.
    const found = collect(lookup, low, to, [source]);
    if (found.length > 0) return latestEnd(found);
    if (low === from) return null;
    chunk *= 4;
  }
}

/** A freeze followed through more occurrences than this is treated as not ending (fail closed). */
const MAX_FOLLOWED_OCCURRENCES = 20_000;

/**
 * The end of the merged freeze that runs through instant `end`, followed at most to `limit`
 * (a result past `limit` means the freeze does not end within it). Looks ahead in growing
 * chunks, so a chain of many short back-to-back occurrences costs one look-up per chunk.
 */
function followForward(lookup: Lookup, end: number, limit: number, members?: Occurrence[] | Set<Source>): number {
  if (!Number.isFinite(end)) throw new Error(`Cannot follow a freeze from an invalid time (${end}).`);
  let current = end;
  let chunk = HOUR_MS;
  let followed = 0;
  while (current <= limit) {
    const chunkEnd = current + chunk;
    const found = collect(lookup, current, chunkEnd).sort(byStart);
    for (const occurrence of found) {
      if (occurrence.start > current) return current;
      if (members instanceof Set) members.add(occurrence.source);
      else members?.push(occurrence);
      if (occurrence.end > current) current = occurrence.end;
    }
    followed += found.length;
    if (followed > MAX_FOLLOWED_OCCURRENCES) return Math.max(current, limit + 1);
    // Nothing in the chunk covers `current`: the freeze ends there.
    if (current < chunkEnd) return current;
    chunk = Math.min(chunk * 4, 32 * DAY_MS);
  }
  return current;
}

/** The start of the merged freeze that runs through instant `start`, followed at most to `limit`. */
function followBackward(lookup: Lookup, start: number, limit: number, members?: Occurrence[]): number {
  let current = start;
  while (current >= limit) {
    const touching = collect(lookup, current - 1, current).filter((occurrence) => occurrence.start < current);
    if (touching.length === 0) break;
    for (const occurrence of touching) {
      members?.push(occurrence);
      if (occurrence.start < current) current = occurrence.start;
    }
  }
  return current;
}

function toTime(value: Date, what: string): number {
  const time = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(time)) throw new TypeError(`${what} is not a valid Date.`);
  return time;
}

function namesInPolicyOrder(occurrences: readonly Occurrence[]): string[] {
  return sourceNames(new Set(occurrences.map((occurrence) => occurrence.source)));
}

function sourceNames(sources: ReadonlySet<Source>): string[] {
  return [...new Set([...sources].sort((a, b) => a.index - b.index).map((source) => source.name))];
}

/**
 * The merged freezes (overlapping and back-to-back windows merge) that intersect
 * `[from, to)`. Each is reported whole, even where it reaches beyond `from` or `to`; a
 * freeze is followed at most {@link DEFAULT_HORIZON_DAYS} days beyond the range.
 */
export function freezeIntervals(windows: FreezeWindow[], from: Date, to: Date): FreezeInterval[] {
  const fromMs = toTime(from, 'from');
  const toMs = toTime(to, 'to');
  const windowsLookup = lookup(windows);
  if (toMs <= fromMs) return [];
  const occurrences = collect(windowsLookup, fromMs, toMs).sort(byStart);
  if (occurrences.length === 0) return [];

  const horizon = DEFAULT_HORIZON_DAYS * DAY_MS;
  const first = occurrences[0] as Occurrence;
  followBackward(windowsLookup, first.start, fromMs - horizon, occurrences);
  followForward(windowsLookup, latestEnd(occurrences), toMs + horizon, occurrences);
  occurrences.sort(byStart);

  const merged: Array<{ start: number; end: number; members: Occurrence[] }> = [];
  for (const occurrence of occurrences) {
    const last = merged.at(-1);
    if (last !== undefined && occurrence.start <= last.end) {
      last.end = Math.max(last.end, occurrence.end);
      last.members.push(occurrence);
    } else {
      merged.push({ start: occurrence.start, end: occurrence.end, members: [occurrence] });
    }
  }
  return merged.map((interval) => ({
    start: new Date(interval.start),
    end: new Date(interval.end),
    windows: namesInPolicyOrder(interval.members),
  }));
}

/** The earliest occurrence start strictly after `after`, with the window it belongs to. */
function nextStart(lookup: Lookup, after: number): Occurrence | null {
  let best: Occurrence | null = null;
  const scanned: Source[] = [];
  for (const source of lookup.sources) {
    const direct = source.engine.directNextStart?.(after);
    if (direct === undefined) scanned.push(source);
    else if (direct !== null && (best === null || direct < best.start)) best = { start: direct, end: direct, source };
  }
  // Each window is looked ahead in growing chunks: a near occurrence costs little, even of a
  // window that recurs every minute, and a far one is still found within the window's horizon.
  for (const source of scanned) {
    const limit = after + source.engine.horizonDays * DAY_MS;
    let from = after;
    let chunk = HOUR_MS;
    while (from < limit && (best === null || from <= best.start)) {
      const to = Math.min(from + chunk, limit);
      let found: Occurrence | null = null;
      for (const occurrence of collect(lookup, from, to, [source])) {
        if (occurrence.start > after && (found === null || occurrence.start < found.start)) found = occurrence;
      }
      if (found !== null) {
        if (best === null || byStart(found, best) < 0) best = found;
        break;
      }
      from = to;
      chunk = Math.min(chunk * 4, DEFAULT_HORIZON_DAYS * DAY_MS);
    }
  }
  return best;
}

/**
 * Whether instant `t` falls in a freeze, when that (merged) freeze ends, and the next
 * freeze after it. Windows that started before `t` are found (a daily window that began
 * yesterday, a long recurrence, a multi-week range); the next freeze is looked for
 * {@link DEFAULT_HORIZON_DAYS} days ahead (8 years for yearly and monthly recurrences,
 * any distance for ranges).
 */
export function freezeStatus(windows: FreezeWindow[], t: Date): FreezeStatus {
  const at = toTime(t, 't');
  const windowsLookup = lookup(windows);
  const limit = at + DEFAULT_HORIZON_DAYS * DAY_MS;
  const covering = collect(windowsLookup, at, at + 1).sort(byStart);
  const first = covering[0];
  let until: number | null = null;
  if (first !== undefined) until = followForward(windowsLookup, latestEnd(covering), limit);
  // A freeze still running at the horizon has no "next" we could name.
  const upcoming = until !== null && until > limit ? null : nextStart(windowsLookup, until ?? at);
  let next: FreezeStatus['next'] = null;
  if (upcoming !== null) {
    const starting = collect(windowsLookup, upcoming.start, upcoming.start + 1);
    const end = followForward(
      windowsLookup,
      latestEnd(starting, upcoming.end),
      upcoming.start + DEFAULT_HORIZON_DAYS * DAY_MS,
    );
    next = { window: upcoming.source.name, start: new Date(upcoming.start), end: new Date(end) };
  }
  return {
    frozen: first !== undefined,
    window: first?.source.name ?? null,
    until: until === null ? null : new Date(until),
    next,
  };
}

/**
 * The earliest instant `s >= t` at which a deploy lasting `durationMs` can start without
 * overlapping any freeze, i.e. `[s, s + durationMs)` meets no window (a deploy of zero
 * duration still needs `s` itself to be free). `blockedBy` names the windows of the
 * freezes that pushed the start later (every window of a merged freeze), in policy order.
 * Null when no such instant exists within `horizonDays` of `t` (the gate fails closed).
 */
export function earliestDeployStart(
  windows: FreezeWindow[],
  t: Date,
  durationMs: number,
  horizonDays: number = DEFAULT_HORIZON_DAYS,
): { start: Date; blockedBy: string[] } | null {
  const at = toTime(t, 't');
  if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0) {
    throw new RangeError(`durationMs must be a finite number of milliseconds, at least 0, not ${String(durationMs)}.`);
  }
  if (typeof horizonDays !== 'number' || !(horizonDays >= 0) || !Number.isFinite(horizonDays)) {
    throw new RangeError(`horizonDays must be a finite number of days, at least 0, not ${String(horizonDays)}.`);
  }
  const windowsLookup = lookup(windows);
  const limit = at + horizonDays * DAY_MS;
  // A deploy longer than the horizon cannot be shown to fit (fail closed), and looking at
  // its whole span would cost work in proportion to it: a policy that predates the loader's
  // cap on deployDuration (`2500000000h`) is answered at once, not after gigabytes.
  if (durationMs > DEFAULT_HORIZON_DAYS * DAY_MS)
    return windowsLookup.sources.length === 0 ? { start: new Date(at), blockedBy: [] } : null;
  const span = Math.max(durationMs, 1);
  const blockers = new Set<Source>();
  let start = at;
  for (let step = 0; step < MAX_DEPLOY_STEPS && start <= limit; step++) {
    // A deploy that starts before the latest end of what it meets meets that occurrence:
    // only that end matters. A deploy of an hour or less is looked at whole; a longer one
    // window by window, from its end back, so a crowded week costs only its last part.
    let end = -Infinity;
    if (span <= HOUR_MS) {
      for (const occurrence of collect(windowsLookup, start, start + span)) {
        blockers.add(occurrence.source);
        if (occurrence.end > end) end = occurrence.end;
      }
    } else {
      for (const source of windowsLookup.sources) {
        const latest = latestEndIn(windowsLookup, source, start, start + span);
        if (latest === null) continue;
        blockers.add(source);
        if (latest > end) end = latest;
      }
    }
    if (end === -Infinity) return { start: new Date(start), blockedBy: sourceNames(blockers) };
    start = followForward(windowsLookup, end, limit, blockers);
  }
  return null;
}
