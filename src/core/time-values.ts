/**
 * Validators for the time values a policy holds: wall-clock times, local date-times,
 * IANA time zones, RFC 5545 recurrence rules and durations. Each validator returns a
 * message saying what is wrong and the form expected, or null when the value is good.
 * Messages start with the value quoted, so a caller can put the key in front:
 * `start "25:00" is not a time of day; expected ...`.
 */
import { RRule } from './rrule.js';
import { suggest } from './suggest.js';

/** The expected forms, shared with the JSON Schema's descriptions and the loader's messages. */
export const WALL_CLOCK_FORM = 'HH:MM or HH:MM:SS (00:00 to 23:59:59)';
export const LOCAL_DATE_TIME_FORM = 'YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS (a local date and time)';
export const DURATION_FORM = 'a duration like 90s, 20m, 36h, 1d or 1h30m';
export const TIME_ZONE_FORM = 'an IANA time zone (e.g. "Europe/Berlin")';
export const RRULE_FORM = 'an RFC 5545 rule like "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=12"';

const WALL_CLOCK = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** Regular expressions (as strings) for the JSON Schema, so editors flag bad values too. */
export const WALL_CLOCK_PATTERN = '^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$';
export const LOCAL_DATE_TIME_PATTERN =
  '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$';
export const DURATION_PATTERN = '^(?=[0-9])([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$';

function quote(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** `HH:MM` or `HH:MM:SS`, 00:00 to 23:59:59. */
export function validateWallClock(value: unknown): string | null {
  const bad = `${quote(value)} is not a time of day; expected ${WALL_CLOCK_FORM}`;
  if (typeof value !== 'string') return bad;
  const m = WALL_CLOCK.exec(value);
  if (!m) return bad;
  const [h, min, s] = [Number(m[1]), Number(m[2]), m[3] === undefined ? 0 : Number(m[3])];
  return h <= 23 && min <= 59 && s <= 59 ? null : bad;
}

function daysInMonth(year: number, month: number): number {
  return [
    31,
    year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28,
    31,
    30,
    31,
    30,
    31,
    31,
    30,
    31,
    30,
    31,
  ][month - 1]!;
}

/** `YYYY-MM-DDTHH:MM[:SS]`, a real calendar date, no offset (the window's time zone applies). */
export function validateLocalDateTime(value: unknown): string | null {
  const bad = `${quote(value)} is not a local date and time; expected ${LOCAL_DATE_TIME_FORM}`;
  if (typeof value !== 'string') return bad;
  const m = LOCAL_DATE_TIME.exec(value);
  if (!m) {
    if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.test(value)) {
      return `${quote(value)} has a UTC offset; write the local time without it (the window's timezone applies), e.g. "${value.slice(0, 16)}"`;
    }
    return bad;
  }
  const [year, month, day, h, min] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const s = m[6] === undefined ? 0 : Number(m[6]);
  if (month! < 1 || month! > 12) return bad;
  if (day! < 1 || day! > daysInMonth(year!, month!)) {
    return `${quote(value)} is not a date: ${m[1]}-${m[2]} has ${daysInMonth(year!, month!)} days`;
  }
  if (h! > 23 || min! > 59 || s > 59) return bad;
  return null;
}

let zoneList: readonly string[] | undefined;
function knownZones(): readonly string[] {
  zoneList ??= ['UTC', ...Intl.supportedValuesOf('timeZone')];
  return zoneList;
}

/**
 * An IANA time zone name the runtime knows (`Europe/Berlin`, `UTC`, links such as
 * `US/Eastern`), spelt with its own capitals. UTC offsets (`+01:00`) are not zones: they
 * ignore daylight saving time.
 */
export function validateTimeZone(value: unknown): string | null {
  const problem = checkTimeZone(value);
  if (problem === null) return null;
  return problem.suggestion === undefined
    ? problem.message
    : `${problem.message}; did you mean "${problem.suggestion}"?`;
}

/** Like {@link validateTimeZone}, with the near-miss suggestion kept apart from the message. */
export function checkTimeZone(value: unknown): { message: string; suggestion?: string } | null {
  const message = `${quote(value)} is not ${TIME_ZONE_FORM}`;
  if (typeof value !== 'string') return { message };
  if (!ZONE_NAME.test(value)) {
    // "America/Sao Paulo": zone names write spaces as underscores.
    const suggestion = value.trim() === '' ? undefined : suggestTimeZone(value.trim().replace(/\s+/g, '_'));
    return suggestion === undefined ? { message } : { message, suggestion };
  }
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const suggestion = suggestTimeZone(value);
    return suggestion === undefined ? { message } : { message, suggestion };
  }
  if (resolved !== value && resolved.toLowerCase() === value.toLowerCase()) return { message, suggestion: resolved };
  return null;
}

/** The known time zone closest to a misspelt one, if any is close. */
export function suggestTimeZone(value: string): string | undefined {
  return suggest(value, knownZones());
}

const RRULE_PARTS = new Set([
  'FREQ',
  'UNTIL',
  'COUNT',
  'INTERVAL',
  'BYSECOND',
  'BYMINUTE',
  'BYHOUR',
  'BYDAY',
  'BYMONTHDAY',
  'BYYEARDAY',
  'BYWEEKNO',
  'BYMONTH',
  'BYSETPOS',
  'WKST',
]);
const FREQUENCIES = ['YEARLY', 'MONTHLY', 'WEEKLY', 'DAILY', 'HOURLY', 'MINUTELY', 'SECONDLY'];
const INT_RANGES: Record<string, [number, number, boolean]> = {
  // part: [min, max, zero allowed]
  COUNT: [1, Number.MAX_SAFE_INTEGER, false],
  INTERVAL: [1, Number.MAX_SAFE_INTEGER, false],
  BYSECOND: [0, 60, true],
  BYMINUTE: [0, 59, true],
  BYHOUR: [0, 23, true],
  BYMONTHDAY: [-31, 31, false],
  BYYEARDAY: [-366, 366, false],
  BYWEEKNO: [-53, 53, false],
  BYMONTH: [1, 12, false],
  BYSETPOS: [-366, 366, false],
};
const WEEKDAY_CODE = /^[+-]?(\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/;

/**
 * An RFC 5545 RRULE (`FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=12;BYMINUTE=0`, an optional `RRULE:`
 * prefix allowed). FREQ is required; DTSTART is not allowed (the window's timezone applies).
 */
export function validateRRule(value: unknown): string | null {
  if (typeof value !== 'string' || value.trim() === '') return `${quote(value)} is not ${RRULE_FORM}`;
  const body = value.trim().replace(/^RRULE:/i, '');
  if (/[\r\n]/.test(body) || /DTSTART/i.test(body)) {
    return `${quote(value)} must be a single RRULE without DTSTART (the window's timezone and the rule's BYHOUR/BYMINUTE set when it starts)`;
  }
  const seen = new Set<string>();
  for (const part of body.split(';')) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).toUpperCase();
    const val = eq < 0 ? '' : part.slice(eq + 1).toUpperCase();
    if (!RRULE_PARTS.has(name)) {
      const hint = suggest(name, [...RRULE_PARTS]);
      return `${quote(value)} has an unknown part "${name}"${hint === undefined ? '' : ` (did you mean ${hint}?)`}; expected ${RRULE_FORM}`;
    }
    if (seen.has(name)) return `${quote(value)} gives ${name} twice`;
    seen.add(name);
    if (val === '') return `${quote(value)} gives no value for ${name}`;
    const bad = (expected: string): string => `${quote(value)} has ${name}=${val}; expected ${expected}`;
    if (name === 'FREQ' && !FREQUENCIES.includes(val)) return bad(`one of ${FREQUENCIES.join(', ')}`);
    const range = INT_RANGES[name];
    if (range) {
      for (const item of name === 'COUNT' || name === 'INTERVAL' ? [val] : val.split(',')) {
        const n = /^[+-]?\d+$/.test(item) ? Number(item) : NaN;
        if (!Number.isInteger(n) || n < range[0] || n > range[1] || (n === 0 && !range[2])) {
          return bad(
            name === 'COUNT' || name === 'INTERVAL'
              ? 'a whole number >= 1'
              : `whole numbers from ${range[0]} to ${range[1]}${range[2] ? '' : ' other than 0'}, separated by commas`,
          );
        }
      }
    }
    if (name === 'BYDAY' && !val.split(',').every((d) => WEEKDAY_CODE.test(d))) {
      return bad('weekdays MO, TU, WE, TH, FR, SA, SU, optionally numbered like -1FR, separated by commas');
    }
    if (name === 'WKST' && !/^(MO|TU|WE|TH|FR|SA|SU)$/.test(val)) return bad('one of MO, TU, WE, TH, FR, SA, SU');
    if (name === 'UNTIL' && !/^\d{8}(T\d{6}Z?)?$/.test(val)) return bad('a date like 20271231 or 20271231T235959Z');
  }
  if (!seen.has('FREQ')) return `${quote(value)} has no FREQ; expected ${RRULE_FORM}`;
  if (seen.has('COUNT') && seen.has('UNTIL')) return `${quote(value)} gives both COUNT and UNTIL; RFC 5545 allows one`;
  try {
    RRule.parseString(body);
  } catch (error) {
    return `${quote(value)} is not a valid RRULE: ${error instanceof Error ? error.message : String(error)}`;
  }
  return null;
}

export type ParseDurationResult = { ok: true; ms: number } | { ok: false; error: string };

/** Parses `90s`, `20m`, `36h`, `1d`, `1h30m` (units in the order d, h, m, s) into milliseconds. */
export function parseDuration(value: unknown): ParseDurationResult {
  const bad = { ok: false as const, error: `${quote(value)} is not ${DURATION_FORM}` };
  if (typeof value !== 'string' || value === '') return bad;
  const m = DURATION.exec(value);
  if (!m) return bad;
  const [d, h, min, s] = [1, 2, 3, 4].map((i) => (m[i] === undefined ? 0 : Number(m[i])));
  const ms = (((d! * 24 + h!) * 60 + min!) * 60 + s!) * 1000;
  if (!Number.isSafeInteger(ms)) return { ok: false, error: `${quote(value)} is too long a duration` };
  return { ok: true, ms };
}

/** The error message for a bad duration, or null. */
export function validateDuration(value: unknown): string | null {
  const result = parseDuration(value);
  return result.ok ? null : result.error;
}

/** An ISO-8601 instant with a zone designator (`2026-01-31T22:30:00-03:00`, `...Z`), or what is wrong with it. */
export function parseIsoInstant(value: string): { ok: true; at: Date } | { ok: false; error: string } {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value)) {
    return {
      ok: false,
      error:
        'is not an ISO-8601 instant; expected e.g. 2026-01-31T22:30:00-03:00 or 2026-02-01T01:30:00Z (the offset is required).',
    };
  }
  const at = new Date(value);
  if (Number.isNaN(at.getTime())) return { ok: false, error: 'is not a real date and time.' };
  return { ok: true, at };
}
