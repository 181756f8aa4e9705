/** Range windows: one span from a local date-time to another. */

import { localToInstant, parseLocalDateTime } from '../local-time.js';
import type { RangeFreezeWindow } from '../types.js';
import {
  checkZone,
  DEFAULT_HORIZON_DAYS,
  FreezeWindowError,
  type Engine,
  type Occurrence,
  type Source,
} from './engine.js';

export class RangeEngine implements Engine {
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
