/** What every kind of freeze window engine shares: its error, its bounds and its shape. */

import { assertTimeZone } from '../local-time.js';

/** A freeze window the engine cannot read (bad time, zone or recurrence). */
export class FreezeWindowError extends Error {
  readonly window: string;
  constructor(window: string, problem: string, options?: { cause?: unknown }) {
    super(`Freeze window "${window}": ${problem}`, options);
    this.name = 'FreezeWindowError';
    this.window = window;
  }
}

/** How far the engine follows a freeze or looks for the next one (ranges are found at any distance). */
export const DEFAULT_HORIZON_DAYS = 400;
/** Recurrences as sparse as yearly or monthly are looked for this far ahead (a 29 February rule). */
export const SPARSE_RRULE_HORIZON_DAYS = 8 * 366;
/** A recurrence producing more occurrences than this in one look-up is refused (fail closed). */
export const MAX_OCCURRENCES_PER_LOOKUP = 50_000;
/**
 * The longest span one look-up covers. Every caller asks for less (a deploy is shorter than
 * the horizon, a chunk is at most 32 days, the next freeze is looked for at most 8 years
 * ahead), so the work of one look-up never grows with a number the policy gives.
 */
export const MAX_LOOKUP_DAYS = SPARSE_RRULE_HORIZON_DAYS + 2;

export interface Occurrence {
  start: number;
  end: number;
  source: Source;
}

/** How one kind of window produces its occurrences; shared by identical windows. */
export interface Engine {
  /** Pushes every occurrence with `start < to && end > from`. */
  collect(from: number, to: number, source: Source, out: Occurrence[]): void;
  /** Earliest start strictly after `after` when the engine knows it directly (ranges), else undefined. */
  directNextStart?(after: number): number | null;
  /** How far ahead this window's next occurrence can lie. */
  horizonDays: number;
}

export interface Source {
  index: number;
  name: string;
  engine: Engine;
}

/** Refuses a zone the runtime does not know, as an error of the window. */
export function checkZone(timeZone: string, name: string): void {
  try {
    assertTimeZone(timeZone);
  } catch (error) {
    throw new FreezeWindowError(name, error instanceof Error ? error.message : String(error), { cause: error });
  }
}
