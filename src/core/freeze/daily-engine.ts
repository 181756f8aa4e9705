/** Daily windows: a time of day to another, on some weekdays, in a time zone. */

import { DAY_MS, SECOND_MS, instantToLocal, localToInstant, parseClockTime } from '../local-time.js';
import type { DailyFreezeWindow, Weekday } from '../types.js';
import { WEEKDAYS } from '../types.js';
import {
  checkZone,
  DEFAULT_HORIZON_DAYS,
  FreezeWindowError,
  MAX_LOOKUP_DAYS,
  type Engine,
  type Occurrence,
  type Source,
} from './engine.js';

const WEEKDAY_INDEX = new Map<string, number>(WEEKDAYS.map((day, index) => [day, index]));
const MEMO_LIMIT = 4096;

export class DailyEngine implements Engine {
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
