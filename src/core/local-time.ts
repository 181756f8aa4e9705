/**
 * Wall-clock <-> instant conversion for freeze windows.
 *
 * Wall-clock times are handled as "local milliseconds": the number of milliseconds a UTC
 * clock would show for the same calendar fields (2026-01-31T22:30 local is
 * `Date.UTC(2026, 0, 31, 22, 30)`), so calendar arithmetic on them is plain arithmetic.
 * Instants are epoch milliseconds.
 *
 * Offsets come from the tz database through `Intl.DateTimeFormat` (the same source
 * `date-fns-tz` reads). We do not use `fromZonedTime` from `date-fns-tz` to go from a
 * wall-clock time to an instant because its answers inside DST changes do not follow the
 * rules below: for a time in a spring-forward gap it goes back to the old offset
 * (New York 2025-03-09 02:30 becomes 01:30 EST), and for a repeated fall-back time it
 * picks the first occurrence in some zones (New York) and the second in others (Berlin,
 * Lord Howe).
 *
 * The rules used here:
 * - A wall-clock time that does not exist (skipped by a spring-forward change) maps to the
 *   first instant after the gap, i.e. the instant of the change (02:30 on a day the clock
 *   jumps from 02:00 to 03:00 becomes 03:00 at the new offset).
 * - A wall-clock time that occurs twice (fall-back) maps to the earlier instant with
 *   `'earlier'` and to the later one with `'later'`. Freeze windows start at the earlier
 *   and end at the later one, so a window is never shortened by a DST change.
 */

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Which instant a repeated wall-clock time (DST fall-back) maps to. */
export type AmbiguousTimeChoice = 'earlier' | 'later';

/** A time zone the tz database does not know. */
export class UnknownTimeZoneError extends Error {
  readonly timeZone: string;
  constructor(timeZone: string, options?: { cause?: unknown }) {
    super(`Unknown time zone "${timeZone}": use an IANA name such as "America/Sao_Paulo" or "UTC".`, options);
    this.name = 'UnknownTimeZoneError';
    this.timeZone = timeZone;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    if (typeof timeZone !== 'string' || timeZone.trim() === '') throw new UnknownTimeZoneError(String(timeZone));
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
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
      throw new UnknownTimeZoneError(timeZone, { cause: error });
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Throws {@link UnknownTimeZoneError} unless the tz database knows `timeZone`. */
export function assertTimeZone(timeZone: string): void {
  formatterFor(timeZone);
}

/**
 * What one UTC day of one zone looks like: the offset at its start, and the second its one
 * change (if any) happens and the offset after it.
 */
interface ZoneDay {
  offset: number;
  changeAt: number;
  offsetAfter: number;
}

const zoneDays = new Map<string, Map<number, ZoneDay>>();
/** Days kept per zone before the cache starts over (a day costs a few dozen bytes). */
const ZONE_DAY_LIMIT = 20_000;

/**
 * The offset of `timeZone` from UTC at `instantMs`, in milliseconds (east positive).
 *
 * Reading the tz database through `Intl` costs microseconds a call, and the freeze engine
 * asks for many offsets per decision, so each UTC day of a zone is read once: its offset
 * at the first and last second, and when they differ the second of the change (a binary
 * search). This takes at most one change per UTC day, which the tz database has never had
 * (two changes are always weeks apart; the freeze engine already relies on two days).
 */
export function zoneOffsetMs(timeZone: string, instantMs: number): number {
  if (timeZone === 'UTC') return 0;
  const wholeSeconds = Math.floor(instantMs / SECOND_MS) * SECOND_MS;
  const day = Math.floor(wholeSeconds / DAY_MS);
  let days = zoneDays.get(timeZone);
  if (days === undefined) {
    assertTimeZone(timeZone);
    days = new Map();
    zoneDays.set(timeZone, days);
  }
  let known = days.get(day);
  if (known === undefined) {
    known = readZoneDay(timeZone, day);
    if (days.size >= ZONE_DAY_LIMIT) days.clear();
    days.set(day, known);
  }
  return wholeSeconds < known.changeAt ? known.offset : known.offsetAfter;
}

function readZoneDay(timeZone: string, day: number): ZoneDay {
  const first = day * DAY_MS;
  const last = first + DAY_MS - SECOND_MS;
  const offset = zoneOffsetFromTzdb(timeZone, first);
  const offsetAfter = zoneOffsetFromTzdb(timeZone, last);
  if (offset === offsetAfter) return { offset, changeAt: Infinity, offsetAfter };
  // The change is the first second whose offset is no longer `offset`: in (first, last].
  let low = first / SECOND_MS;
  let high = last / SECOND_MS;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (zoneOffsetFromTzdb(timeZone, middle * SECOND_MS) === offset) low = middle;
    else high = middle;
  }
  return { offset, changeAt: high * SECOND_MS, offsetAfter };
}

/** {@link zoneOffsetMs} read from the tz database (through `Intl`) each time, without the cache. */
export function zoneOffsetFromTzdb(timeZone: string, instantMs: number): number {
  if (timeZone === 'UTC') return 0;
  const wholeSeconds = Math.floor(instantMs / SECOND_MS) * SECOND_MS;
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatterFor(timeZone).formatToParts(wholeSeconds)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
      default:
        break;
    }
  }
  const fields = new Date(0);
  fields.setUTCFullYear(year, month - 1, day);
  fields.setUTCHours(hour, minute, second, 0);
  return fields.getTime() - wholeSeconds;
}

/** The wall-clock time (local milliseconds) `timeZone` shows at `instantMs`. */
export function instantToLocal(instantMs: number, timeZone: string): number {
  return instantMs + zoneOffsetMs(timeZone, instantMs);
}

/**
 * The instant at which `timeZone` shows the wall-clock time `localMs`.
 *
 * A time skipped by a spring-forward change maps to the instant of the change (the first
 * instant after the gap). A time that occurs twice maps to the earlier instant with
 * `'earlier'` and to the later one with `'later'`.
 */
export function localToInstant(localMs: number, timeZone: string, choice: AmbiguousTimeChoice): number {
  const before = zoneOffsetMs(timeZone, localMs - DAY_MS);
  const after = zoneOffsetMs(timeZone, localMs + DAY_MS);
  if (before === after && zoneOffsetMs(timeZone, localMs - before) === before) return localMs - before;

  const candidates: number[] = [];
  for (const offset of new Set([before, zoneOffsetMs(timeZone, localMs), after])) {
    const instant = localMs - offset;
    if (zoneOffsetMs(timeZone, instant) === offset) candidates.push(instant);
  }
  if (candidates.length > 0) {
    return choice === 'earlier' ? Math.min(...candidates) : Math.max(...candidates);
  }
  return gapEnd(localMs, timeZone, before, after);
}

/**
 * The instant a spring-forward change ends the gap that swallowed `localMs`: the first
 * whole second whose offset is no longer `before`.
 */
function gapEnd(localMs: number, timeZone: string, before: number, after: number): number {
  // Before the change the clock shows less than localMs, after it more: the change lies
  // in (localMs - after, localMs - before].
  let low = Math.floor((localMs - Math.max(before, after)) / SECOND_MS);
  let high = Math.ceil((localMs - Math.min(before, after)) / SECOND_MS);
  if (zoneOffsetMs(timeZone, low * SECOND_MS) !== before || zoneOffsetMs(timeZone, high * SECOND_MS) === before) {
    // Not a single change between the two offsets (never seen in the tz database):
    // keep the later reading of the time so a window is not lengthened backwards.
    return localMs - Math.min(before, after);
  }
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (zoneOffsetMs(timeZone, middle * SECOND_MS) === before) low = middle;
    else high = middle;
  }
  return high * SECOND_MS;
}

const CLOCK = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * Seconds after midnight of an `HH:MM` or `HH:MM:SS` clock time, or null when the text
 * is not one. `24:00` (end of the day) is accepted only when `allowEndOfDay` is set.
 */
export function parseClockTime(text: string, allowEndOfDay = false): number | null {
  const match = typeof text === 'string' ? CLOCK.exec(text) : null;
  if (match === null) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  const seconds = match[3] === undefined ? 0 : Number(match[3]);
  if (minutes > 59 || seconds > 59) return null;
  if (hours === 24 && allowEndOfDay && minutes === 0 && seconds === 0) return 24 * 3600;
  if (hours > 23) return null;
  return hours * 3600 + minutes * 60 + seconds;
}

/** Local milliseconds of a `YYYY-MM-DDTHH:MM[:SS]` date-time, or null when it is not a real one. */
export function parseLocalDateTime(text: string): number | null {
  const match = typeof text === 'string' ? LOCAL_DATE_TIME.exec(text) : null;
  if (match === null) return null;
  const [year, month, day, hours, minutes] = [1, 2, 3, 4, 5].map((group) => Number(match[group])) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const seconds = match[6] === undefined ? 0 : Number(match[6]);
  if (month < 1 || month > 12 || hours > 23 || minutes > 59 || seconds > 59) return null;
  const fields = new Date(0);
  fields.setUTCFullYear(year, month - 1, day);
  if (fields.getUTCMonth() !== month - 1 || fields.getUTCDate() !== day) return null;
  fields.setUTCHours(hours, minutes, seconds, 0);
  return fields.getTime();
}

/** `YYYY-MM-DDTHH:MM:SS` of local milliseconds (for messages and tests). */
export function formatLocal(localMs: number): string {
  return new Date(localMs).toISOString().slice(0, 19);
}

/** The instant `timeZone` shows the local date-time `text` (`YYYY-MM-DDTHH:MM[:SS]`); see {@link localToInstant}. */
export function zonedDateTimeToInstant(text: string, timeZone: string, choice: AmbiguousTimeChoice = 'earlier'): Date {
  const local = parseLocalDateTime(text);
  if (local === null)
    throw new Error(`"${text}" is not a local date-time: expected YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS.`);
  return new Date(localToInstant(local, timeZone, choice));
}

/** The local date-time (`YYYY-MM-DDTHH:MM:SS`) `timeZone` shows at `instant`. */
export function formatInZone(instant: Date, timeZone: string): string {
  return formatLocal(instantToLocal(instant.getTime(), timeZone));
}
