/** Recurrence (RFC 5545 RRULE) windows. */

import type { Options, RRule as RRuleInstance } from 'rrule';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, instantToLocal, localToInstant, zoneOffsetMs } from '../local-time.js';
import { RRule } from '../rrule.js';
import type { RRuleFreezeWindow } from '../types.js';
import {
  checkZone,
  DEFAULT_HORIZON_DAYS,
  FreezeWindowError,
  MAX_OCCURRENCES_PER_LOOKUP,
  SPARSE_RRULE_HORIZON_DAYS,
  type Engine,
  type Occurrence,
  type Source,
} from './engine.js';
import { asList, boundedBetween, checkMonthDays, checkTimesReachable, SHORTEST_PERIOD_MS } from './rrule-limits.js';

/** Recurrences without DTSTART are anchored here (local time of the window's zone). */
const DEFAULT_RRULE_ANCHOR = Date.UTC(2000, 0, 1);

export class RRuleEngine implements Engine {
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

function dateUtc(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  return date.getTime();
}

function fixedAnchor(baseStart: number, from: number, unit: number, periodsBack: (elapsed: number) => number): number {
  const baseUnit = Math.floor(baseStart / unit);
  return (baseUnit + periodsBack(Math.floor(from / unit) - baseUnit)) * unit;
}
