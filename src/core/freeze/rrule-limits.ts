/** Bounds on the rrule package: rules it would search for ever are refused, searches are cut off. */

import type { Options, RRule as RRuleInstance } from 'rrule';
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from '../local-time.js';
import { RRule } from '../rrule.js';
import { FreezeWindowError } from './engine.js';

const MONTH_LENGTHS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function asList(value: number | number[] | null | undefined): number[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The shortest period of each frequency (rrule's numbering: 0 = YEARLY ... 6 = SECONDLY). */
export const SHORTEST_PERIOD_MS: Record<number, number> = {
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
export function boundedBetween(
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
export function checkTimesReachable(options: Options, dtstart: number, name: string, text: string): void {
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

/**
 * Refuses a rule whose BYMONTHDAY fits none of its months (FEB 30): the rrule package
 * would search such a rule up to the year 9999 before giving up.
 */
export function checkMonthDays(parsed: Partial<Options>, name: string, text: string): void {
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
