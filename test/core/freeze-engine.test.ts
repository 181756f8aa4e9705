import rrulePackage from 'rrule';
import { describe, expect, it } from 'vitest';
import {
  earliestDeployStart,
  freezeIntervals,
  freezeStatus,
  type FreezeStatus,
} from '../../src/core/freeze-windows.js';
import { zonedDateTimeToInstant } from '../../src/core/local-time.js';
import type {
  DailyFreezeWindow,
  FreezeWindow,
  RangeFreezeWindow,
  RRuleFreezeWindow,
  Weekday,
} from '../../src/core/types.js';

const { RRule } = rrulePackage;

const SAO_PAULO = 'America/Sao_Paulo';
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

function daily(name: string, start: string, end: string, timezone: string, days: Weekday[] = []): DailyFreezeWindow {
  return { kind: 'daily', name, days, start, end, timezone };
}
function range(name: string, from: string, to: string, timezone: string): RangeFreezeWindow {
  return { kind: 'range', name, from, to, timezone };
}
function rrule(name: string, rule: string, durationMs: number, timezone: string): RRuleFreezeWindow {
  return { kind: 'rrule', name, rrule: rule, durationMs, timezone };
}
/** The instant of a wall-clock time (start reading of a repeated time). */
function local(text: string, zone: string): Date {
  return zonedDateTimeToInstant(text, zone, 'earlier');
}
function iso(text: string): Date {
  return new Date(text);
}
/** FreezeStatus with ISO strings, for readable comparisons. */
function status(windows: FreezeWindow[], t: Date): unknown {
  const result: FreezeStatus = freezeStatus(windows, t);
  return {
    frozen: result.frozen,
    window: result.window,
    until: result.until?.toISOString() ?? null,
    next:
      result.next === null
        ? null
        : { window: result.next.window, start: result.next.start.toISOString(), end: result.next.end.toISOString() },
  };
}

const aurora = daily('aurora', '22:00', '23:59', SAO_PAULO);

describe('the Aurora seed window (daily 22:00-23:59 America/Sao_Paulo)', () => {
  it('is frozen at 22:30 local until 23:59 local', () => {
    expect(status([aurora], local('2026-01-31T22:30', SAO_PAULO))).toEqual({
      frozen: true,
      window: 'aurora',
      until: '2026-02-01T02:59:00.000Z',
      next: { window: 'aurora', start: '2026-02-02T01:00:00.000Z', end: '2026-02-02T02:59:00.000Z' },
    });
  });

  it('is open at 21:00 local and names 22:00 local as the next freeze', () => {
    expect(status([aurora], local('2026-01-31T21:00', SAO_PAULO))).toEqual({
      frozen: false,
      window: null,
      until: null,
      next: { window: 'aurora', start: '2026-02-01T01:00:00.000Z', end: '2026-02-01T02:59:00.000Z' },
    });
  });

  it.each([
    ['2026-01-31T21:59:59', false],
    ['2026-01-31T22:00:00', true],
    ['2026-01-31T23:58:59', true],
    ['2026-01-31T23:59:00', false],
  ])('at %s local frozen is %s (start inclusive, end exclusive)', (text, frozen) => {
    expect(freezeStatus([aurora], local(text, SAO_PAULO)).frozen).toBe(frozen);
  });

  it('makes a 20-minute deploy asked at 21:50 local wait until 23:59 local', () => {
    expect(earliestDeployStart([aurora], local('2026-01-31T21:50', SAO_PAULO), 20 * MINUTE)).toEqual({
      start: iso('2026-02-01T02:59:00Z'),
      blockedBy: ['aurora'],
    });
  });

  it('lets a 20-minute deploy asked at 21:30 local start at once', () => {
    const t = local('2026-01-31T21:30', SAO_PAULO);
    expect(earliestDeployStart([aurora], t, 20 * MINUTE)).toEqual({ start: t, blockedBy: [] });
  });

  it('lets a deploy that ends exactly when the window opens start', () => {
    const t = local('2026-01-31T21:40', SAO_PAULO);
    expect(earliestDeployStart([aurora], t, 20 * MINUTE)).toEqual({ start: t, blockedBy: [] });
  });

  it('holds a deploy of no duration asked inside the window', () => {
    expect(earliestDeployStart([aurora], local('2026-01-31T22:30', SAO_PAULO), 0)?.start).toEqual(
      iso('2026-02-01T02:59:00Z'),
    );
  });
});

describe('daily windows', () => {
  const berlin = 'Europe/Berlin';
  // 2026-01-16 is a Friday.
  const fridayNight = daily('friday-night', '22:00', '02:00', berlin, ['fri']);
  const saturdayNight = daily('saturday-night', '22:00', '02:00', berlin, ['sat']);
  const saturdayEvening = daily('saturday-evening', '20:00', '23:30', berlin, ['sat']);

  it.each<[string, DailyFreezeWindow, string, boolean]>([
    ['a Friday window crossing midnight covers Saturday 01:00', fridayNight, '2026-01-17T01:00', true],
    ['a Friday window does not cover Saturday 23:00', fridayNight, '2026-01-17T23:00', false],
    ['a Friday window does not cover Friday 21:59', fridayNight, '2026-01-16T21:59', false],
    ['a Friday window does not cover Thursday 23:00', fridayNight, '2026-01-15T23:00', false],
    ['a Saturday window crossing midnight covers Sunday 01:00', saturdayNight, '2026-01-18T01:00', true],
    ['a Saturday window does not start on Sunday', saturdayNight, '2026-01-18T23:00', false],
    ['a Saturday evening window covers Saturday 23:00', saturdayEvening, '2026-01-17T23:00', true],
    ['a Saturday evening window does not cover Sunday 23:00', saturdayEvening, '2026-01-18T23:00', false],
    ['a Saturday evening window does not cover Sunday 01:00', saturdayEvening, '2026-01-18T01:00', false],
  ])('%s', (_title, window, text, frozen) => {
    expect(freezeStatus([window], local(text, berlin)).frozen).toBe(frozen);
  });

  it('ends a Friday-night freeze on Saturday and finds the next one a week later', () => {
    expect(status([fridayNight], local('2026-01-17T01:00', berlin))).toEqual({
      frozen: true,
      window: 'friday-night',
      until: '2026-01-17T01:00:00.000Z',
      next: { window: 'friday-night', start: '2026-01-23T21:00:00.000Z', end: '2026-01-24T01:00:00.000Z' },
    });
  });

  it('counts seconds: inclusive start, exclusive end', () => {
    const window = daily('seconds', '09:00:30', '09:01:15', 'UTC');
    expect(freezeStatus([window], iso('2026-03-02T09:00:29.999Z')).frozen).toBe(false);
    expect(freezeStatus([window], iso('2026-03-02T09:00:30Z')).frozen).toBe(true);
    expect(freezeStatus([window], iso('2026-03-02T09:01:14.999Z')).frozen).toBe(true);
    expect(freezeStatus([window], iso('2026-03-02T09:01:15Z')).frozen).toBe(false);
  });

  it('reads an end of 24:00 as the next midnight', () => {
    expect(freezeStatus([daily('late', '22:00', '24:00', 'UTC')], iso('2026-03-02T23:59:59Z')).until).toEqual(
      iso('2026-03-03T00:00:00Z'),
    );
  });

  it('treats a window ending where it starts as lasting a whole day, so every day it is frozen for good', () => {
    const always = daily('always', '09:00', '09:00', 'UTC');
    const t = iso('2026-03-02T12:00:00Z');
    const result = freezeStatus([always], t);
    expect(result.frozen).toBe(true);
    expect(result.until!.getTime() - t.getTime()).toBeGreaterThanOrEqual(400 * DAY);
    expect(result.next).toBeNull();
    expect(earliestDeployStart([always], t, 20 * MINUTE)).toBeNull();
  });

  it('finds a window that started yesterday evening', () => {
    const overnight = daily('overnight', '18:00', '08:00', 'Asia/Kolkata');
    expect(status([overnight], local('2026-03-09T07:59', 'Asia/Kolkata'))).toMatchObject({
      frozen: true,
      until: '2026-03-09T02:30:00.000Z',
    });
  });

  it('crosses into the new year (31 Dec 22:00 to 1 Jan 02:00, New York)', () => {
    // 2026-12-31 is a Thursday.
    const newYear = daily('new-year', '22:00', '02:00', 'America/New_York', ['thu']);
    expect(status([newYear], local('2027-01-01T01:30', 'America/New_York'))).toMatchObject({
      frozen: true,
      window: 'new-year',
      until: '2027-01-01T07:00:00.000Z',
    });
  });

  it('crosses from a leap day into March', () => {
    // 2028-02-29 is a Tuesday.
    const tuesdayNight = daily('tuesday-night', '23:00', '01:00', 'UTC', ['tue']);
    expect(freezeStatus([tuesdayNight], iso('2028-03-01T00:30:00Z')).until).toEqual(iso('2028-03-01T01:00:00Z'));
    expect(freezeStatus([tuesdayNight], iso('2028-03-01T23:30:00Z')).frozen).toBe(false);
  });

  it('crosses a month end', () => {
    const nightly = daily('nightly', '22:00', '06:00', 'Europe/Berlin', ['tue']);
    // Tuesday 2026-03-31 22:00 CEST to Wednesday 2026-04-01 06:00 CEST.
    expect(freezeStatus([nightly], iso('2026-04-01T03:00:00Z')).until).toEqual(iso('2026-04-01T04:00:00Z'));
  });
});

describe('daily windows across DST changes', () => {
  it.each<[string, DailyFreezeWindow, string, Partial<{ frozen: boolean; until: string | null }>]>([
    // New York, 2025-03-09: 02:00 EST jumps to 03:00 EDT.
    [
      'New York: a start in the gap moves to 03:00 EDT (before it, open)',
      daily('w', '02:30', '04:00', 'America/New_York'),
      '2025-03-09T06:59:59Z',
      { frozen: false },
    ],
    [
      'New York: a start in the gap moves to 03:00 EDT',
      daily('w', '02:30', '04:00', 'America/New_York'),
      '2025-03-09T07:00:00Z',
      { frozen: true, until: '2025-03-09T08:00:00.000Z' },
    ],
    [
      'New York: a window wholly in the gap does not happen',
      daily('w', '02:00', '02:45', 'America/New_York'),
      '2025-03-09T06:50:00Z',
      { frozen: false },
    ],
    // New York, 2025-11-02: 02:00 EDT falls back to 01:00 EST.
    [
      'New York: 01:00-03:00 on the fall-back night starts at the first 01:00',
      daily('w', '01:00', '03:00', 'America/New_York'),
      '2025-11-02T05:00:00Z',
      { frozen: true, until: '2025-11-02T08:00:00.000Z' },
    ],
    [
      'New York: an end at a repeated time is the second one',
      daily('w', '00:00', '01:30', 'America/New_York'),
      '2025-11-02T06:15:00Z',
      { frozen: true, until: '2025-11-02T06:30:00.000Z' },
    ],
    // Berlin, 2025-03-30: 02:00 CET jumps to 03:00 CEST.
    [
      'Berlin: an end in the gap moves to 03:00 CEST',
      daily('w', '01:30', '02:30', 'Europe/Berlin'),
      '2025-03-30T00:45:00Z',
      { frozen: true, until: '2025-03-30T01:00:00.000Z' },
    ],
    // Berlin, 2025-10-26: 03:00 CEST falls back to 02:00 CET.
    [
      'Berlin: 02:00-03:00 on the fall-back night lasts two hours',
      daily('w', '02:00', '03:00', 'Europe/Berlin'),
      '2025-10-26T00:00:00Z',
      { frozen: true, until: '2025-10-26T02:00:00.000Z' },
    ],
    [
      'Berlin: a window across midnight ends at the second 02:30',
      daily('w', '22:00', '02:30', 'Europe/Berlin'),
      '2025-10-26T01:00:00Z',
      { frozen: true, until: '2025-10-26T01:30:00.000Z' },
    ],
    // Sao Paulo, 2018-11-04: 00:00 -03 jumped to 01:00 -02 (DST was abolished in 2019).
    [
      'Sao Paulo 2018: an end in the midnight gap moves to 01:00 -02',
      daily('w', '23:00', '00:30', SAO_PAULO),
      '2018-11-04T02:59:00Z',
      { frozen: true, until: '2018-11-04T03:00:00.000Z' },
    ],
    // Sao Paulo, 2019-02-17: 00:00 -02 fell back to 23:00 -03 on the 16th.
    [
      'Sao Paulo 2019: an end at the repeated 23:30 is the second one',
      daily('w', '22:00', '23:30', SAO_PAULO),
      '2019-02-17T02:00:00Z',
      { frozen: true, until: '2019-02-17T02:30:00.000Z' },
    ],
    // Lord Howe, 2025-10-05: 02:00 +10:30 jumps to 02:30 +11 (a half-hour change).
    [
      'Lord Howe: a start in the half-hour gap moves to 02:30 +11 (before it, open)',
      daily('w', '02:00', '03:00', 'Australia/Lord_Howe'),
      '2025-10-04T15:29:59Z',
      { frozen: false },
    ],
    [
      'Lord Howe: a start in the half-hour gap moves to 02:30 +11',
      daily('w', '02:00', '03:00', 'Australia/Lord_Howe'),
      '2025-10-04T15:30:00Z',
      { frozen: true, until: '2025-10-04T16:00:00.000Z' },
    ],
    // Lord Howe, 2025-04-06: 02:00 +11 falls back to 01:30 +10:30.
    [
      'Lord Howe: 01:30-02:00 on the fall-back night lasts an hour',
      daily('w', '01:30', '02:00', 'Australia/Lord_Howe'),
      '2025-04-05T14:30:00Z',
      { frozen: true, until: '2025-04-05T15:30:00.000Z' },
    ],
    // Kolkata has no DST: +05:30 all year.
    [
      'Kolkata: a weekday office-hours window',
      daily('w', '09:00', '17:00', 'Asia/Kolkata', ['mon', 'tue', 'wed', 'thu', 'fri']),
      '2026-03-09T03:30:00Z',
      { frozen: true, until: '2026-03-09T11:30:00.000Z' },
    ],
  ])('%s', (_title, window, at, expected) => {
    expect(status([window], iso(at))).toMatchObject(expected);
  });

  it('New York: after a window swallowed by the gap, the next one is the following day', () => {
    expect(status([daily('w', '02:00', '02:45', 'America/New_York')], iso('2025-03-09T06:50:00Z'))).toMatchObject({
      next: { start: '2025-03-10T06:00:00.000Z', end: '2025-03-10T06:45:00.000Z' },
    });
  });
});

describe('merging', () => {
  const a = daily('a', '20:00', '22:00', 'UTC');
  const b = daily('b', '21:00', '23:00', 'UTC');
  const c = daily('c', '22:00', '23:00', 'UTC');

  it('merges overlapping windows: until is the merged end', () => {
    expect(status([a, b], iso('2026-03-02T20:30:00Z'))).toMatchObject({
      frozen: true,
      window: 'a',
      until: '2026-03-02T23:00:00.000Z',
    });
  });

  it('merges back-to-back windows', () => {
    expect(status([a, c], iso('2026-03-02T21:00:00Z'))).toMatchObject({
      frozen: true,
      window: 'a',
      until: '2026-03-02T23:00:00.000Z',
    });
    expect(status([a, c], iso('2026-03-02T22:00:00Z'))).toMatchObject({
      frozen: true,
      window: 'c',
      until: '2026-03-02T23:00:00.000Z',
    });
  });

  it('names the window that started first, then the first listed', () => {
    const a2 = daily('a2', '20:00', '21:00', 'UTC');
    expect(freezeStatus([b, a2, a], iso('2026-03-02T20:30:00Z')).window).toBe('a2');
    expect(freezeStatus([a, a2], iso('2026-03-02T20:30:00Z')).window).toBe('a');
  });

  it('gives the next freeze after the merged end, with its merged end', () => {
    expect(status([a, c], iso('2026-03-02T21:00:00Z'))).toMatchObject({
      next: { window: 'a', start: '2026-03-03T20:00:00.000Z', end: '2026-03-03T23:00:00.000Z' },
    });
  });

  it('reports whole merged intervals with the windows that make them', () => {
    const intervals = freezeIntervals([c, b, a], iso('2026-03-02T00:00:00Z'), iso('2026-03-03T00:00:00Z'));
    expect(intervals).toEqual([
      { start: iso('2026-03-02T20:00:00Z'), end: iso('2026-03-02T23:00:00Z'), windows: ['c', 'b', 'a'] },
    ]);
  });

  it('reports an interval whole even where it reaches past the range asked', () => {
    expect(freezeIntervals([a, c], iso('2026-03-02T22:30:00Z'), iso('2026-03-02T22:31:00Z'))).toEqual([
      { start: iso('2026-03-02T20:00:00Z'), end: iso('2026-03-02T23:00:00Z'), windows: ['a', 'c'] },
    ]);
  });

  it('returns separate intervals for separate freezes, and none for an empty range', () => {
    const intervals = freezeIntervals([a], iso('2026-03-02T00:00:00Z'), iso('2026-03-04T00:00:00Z'));
    expect(intervals.map((interval) => interval.start.toISOString())).toEqual([
      '2026-03-02T20:00:00.000Z',
      '2026-03-03T20:00:00.000Z',
    ]);
    expect(freezeIntervals([a], iso('2026-03-02T21:00:00Z'), iso('2026-03-02T21:00:00Z'))).toEqual([]);
  });

  it('merges a daily window into a range that covers it', () => {
    const holidays = range('holidays', '2026-12-20T00:00', '2027-01-04T00:00', 'Europe/Berlin');
    const nightly = daily('nightly', '23:00', '01:00', 'Europe/Berlin');
    expect(status([nightly, holidays], local('2026-12-31T23:30', 'Europe/Berlin'))).toEqual({
      frozen: true,
      window: 'holidays',
      until: '2027-01-04T00:00:00.000Z',
      next: { window: 'nightly', start: '2027-01-04T22:00:00.000Z', end: '2027-01-05T00:00:00.000Z' },
    });
  });
});

describe('range windows', () => {
  const freeze = range('black-friday', '2026-11-20T00:00', '2026-12-01T00:00', 'America/New_York');

  it('is frozen inside, until its end, with no next', () => {
    expect(status([freeze], iso('2026-11-25T12:00:00Z'))).toEqual({
      frozen: true,
      window: 'black-friday',
      until: '2026-12-01T05:00:00.000Z',
      next: null,
    });
  });

  it('is found years ahead', () => {
    const far = range('migration', '2030-06-01T00:00', '2030-06-02T00:00', 'UTC');
    expect(status([far], iso('2026-01-01T00:00:00Z'))).toEqual({
      frozen: false,
      window: null,
      until: null,
      next: { window: 'migration', start: '2030-06-01T00:00:00.000Z', end: '2030-06-02T00:00:00.000Z' },
    });
  });

  it('is over once it ended', () => {
    expect(status([freeze], iso('2026-12-01T05:00:00Z'))).toEqual({
      frozen: false,
      window: null,
      until: null,
      next: null,
    });
  });
});

describe('recurrence (RRULE) windows', () => {
  const monthEnd = rrule('month-end', 'FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=12;BYMINUTE=0', 36 * HOUR, 'Europe/Berlin');

  it('finds a 36-hour window that started yesterday', () => {
    expect(status([monthEnd], iso('2026-02-01T10:00:00Z'))).toEqual({
      frozen: true,
      window: 'month-end',
      until: '2026-02-01T23:00:00.000Z',
      next: { window: 'month-end', start: '2026-02-28T11:00:00.000Z', end: '2026-03-01T23:00:00.000Z' },
    });
  });

  it('starts at local noon on each last day of the month, through DST (absolute duration)', () => {
    const intervals = freezeIntervals([monthEnd], iso('2026-02-15T00:00:00Z'), iso('2026-04-15T00:00:00Z'));
    expect(intervals.map((interval) => [interval.start.toISOString(), interval.end.toISOString()])).toEqual([
      ['2026-02-28T11:00:00.000Z', '2026-03-01T23:00:00.000Z'],
      ['2026-03-31T10:00:00.000Z', '2026-04-01T22:00:00.000Z'],
    ]);
  });

  it('moves an occurrence in the gap to 03:00 and starts a repeated time at its first occurrence', () => {
    const gap = rrule('gap', 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30', HOUR, 'America/New_York');
    expect(freezeIntervals([gap], iso('2025-03-09T00:00:00Z'), iso('2025-03-09T12:00:00Z'))).toEqual([
      { start: iso('2025-03-09T07:00:00Z'), end: iso('2025-03-09T08:00:00Z'), windows: ['gap'] },
    ]);
    const overlap = rrule('overlap', 'FREQ=DAILY;BYHOUR=1;BYMINUTE=30', 30 * MINUTE, 'America/New_York');
    expect(freezeIntervals([overlap], iso('2025-11-02T00:00:00Z'), iso('2025-11-02T12:00:00Z'))).toEqual([
      { start: iso('2025-11-02T05:30:00Z'), end: iso('2025-11-02T06:00:00Z'), windows: ['overlap'] },
    ]);
  });

  it('anchors a rule without DTSTART at 2000-01-01, whatever the time asked', () => {
    // 2026-01-01 is 9497 days after 2000-01-01: odd, so every other day falls on the 2nd.
    const everyOtherDay = rrule('every-other-day', 'FREQ=DAILY;INTERVAL=2;BYHOUR=9;BYMINUTE=0', HOUR, 'UTC');
    const starts = (from: string, to: string): string[] =>
      freezeIntervals([everyOtherDay], iso(from), iso(to)).map((interval) => interval.start.toISOString());
    expect(starts('2026-01-01T00:00:00Z', '2026-01-07T00:00:00Z')).toEqual([
      '2026-01-02T09:00:00.000Z',
      '2026-01-04T09:00:00.000Z',
      '2026-01-06T09:00:00.000Z',
    ]);
    expect(starts('2026-01-05T00:00:00Z', '2026-01-07T00:00:00Z')).toEqual(['2026-01-06T09:00:00.000Z']);
  });

  it('keeps the phase of a rule with an old DTSTART and an INTERVAL', () => {
    // 2020-01-06 is a Monday; 2026-01-05 is 313 weeks later (odd), 2026-01-12 314 (even).
    const fortnightly = rrule(
      'fortnightly',
      'DTSTART:20200106T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO',
      HOUR,
      'UTC',
    );
    expect(
      freezeIntervals([fortnightly], iso('2026-01-01T00:00:00Z'), iso('2026-02-01T00:00:00Z')).map((interval) =>
        interval.start.toISOString(),
      ),
    ).toEqual(['2026-01-12T09:00:00.000Z', '2026-01-26T09:00:00.000Z']);
  });

  it.each([
    'DTSTART:20200102T081500\nRRULE:FREQ=DAILY;INTERVAL=3',
    'DTSTART:20200103T170000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=FR,SA',
    'DTSTART:20200115T120000\nRRULE:FREQ=MONTHLY;INTERVAL=5',
    'DTSTART:20200115T063000\nRRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=-1FR',
    'DTSTART:20200101T001000\nRRULE:FREQ=HOURLY;INTERVAL=7',
    'DTSTART:20200229T100000\nRRULE:FREQ=YEARLY;INTERVAL=3;BYMONTH=6;BYMONTHDAY=1,15',
    'DTSTART:20200110T100700\nRRULE:FREQ=MINUTELY;INTERVAL=47',
  ])('matches a plain expansion from DTSTART: %s', (text) => {
    const window = rrule('r', text, MINUTE, 'UTC');
    const from = iso('2026-01-01T00:00:00Z');
    const to = iso('2026-09-01T00:00:00Z');
    const expected = RRule.fromString(text)
      .between(from, to, true)
      .map((date) => date.toISOString());
    expect(expected.length).toBeGreaterThan(0);
    expect(freezeIntervals([window], from, to).map((interval) => interval.start.toISOString())).toEqual(expected);
  });

  it('follows a 29 February rule across the years', () => {
    const leap = rrule('leap', 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0;BYMINUTE=0', DAY, 'UTC');
    expect(status([leap], iso('2025-06-01T00:00:00Z'))).toMatchObject({
      frozen: false,
      next: { window: 'leap', start: '2028-02-29T00:00:00.000Z', end: '2028-03-01T00:00:00.000Z' },
    });
  });

  it('converts a DTSTART given in another zone to the window zone', () => {
    // 12:00 in New York is 18:00 in Berlin in January; the rule then repeats at 18:00 Berlin time.
    const fromNewYork = rrule(
      'r',
      'DTSTART;TZID=America/New_York:20260105T120000\nRRULE:FREQ=DAILY',
      HOUR,
      'Europe/Berlin',
    );
    expect(
      freezeIntervals([fromNewYork], iso('2026-01-04T00:00:00Z'), iso('2026-01-07T00:00:00Z')).map((interval) =>
        interval.start.toISOString(),
      ),
    ).toEqual(['2026-01-05T17:00:00.000Z', '2026-01-06T17:00:00.000Z']);
  });

  it('reads an UNTIL in UTC as an instant (inclusive)', () => {
    const untilUtc = rrule('r', 'FREQ=DAILY;BYHOUR=18;BYMINUTE=0;UNTIL=20260103T170000Z', HOUR, 'Europe/Berlin');
    expect(
      freezeIntervals([untilUtc], iso('2026-01-01T00:00:00Z'), iso('2026-01-10T00:00:00Z')).map((interval) =>
        interval.start.toISOString(),
      ),
    ).toEqual(['2026-01-01T17:00:00.000Z', '2026-01-02T17:00:00.000Z', '2026-01-03T17:00:00.000Z']);
  });

  it('converts a DTSTART given in UTC to the window zone', () => {
    // 09:00Z is 18:00 in Tokyo (+09:00); the rule repeats daily at 18:00 local.
    const fromUtc = rrule('r', 'DTSTART:20260101T090000Z\nRRULE:FREQ=DAILY', HOUR, 'Asia/Tokyo');
    expect(freezeIntervals([fromUtc], iso('2026-03-01T00:00:00Z'), iso('2026-03-02T00:00:00Z'))[0]?.start).toEqual(
      iso('2026-03-01T09:00:00Z'),
    );
  });
});

describe('earliestDeployStart', () => {
  const a = daily('a', '20:00', '22:00', 'UTC');
  const c = daily('c', '22:00', '23:00', 'UTC');

  it('waits through back-to-back windows and names both', () => {
    expect(earliestDeployStart([c, a], iso('2026-03-02T19:50:00Z'), 20 * MINUTE)).toEqual({
      start: iso('2026-03-02T23:00:00Z'),
      blockedBy: ['c', 'a'],
    });
  });

  it('skips a gap too short for the deploy', () => {
    const first = daily('first', '10:00', '11:00', 'UTC');
    const second = daily('second', '11:30', '12:00', 'UTC');
    expect(earliestDeployStart([first, second], iso('2026-03-02T09:30:00Z'), 45 * MINUTE)).toEqual({
      start: iso('2026-03-02T12:00:00Z'),
      blockedBy: ['first', 'second'],
    });
  });

  it('fails closed when nothing is free within the horizon', () => {
    const long = range('long', '2026-03-01T00:00', '2026-03-20T00:00', 'UTC');
    expect(earliestDeployStart([long], iso('2026-03-02T00:00:00Z'), MINUTE, 5)).toBeNull();
    expect(earliestDeployStart([long], iso('2026-03-02T00:00:00Z'), MINUTE, 30)).toEqual({
      start: iso('2026-03-20T00:00:00Z'),
      blockedBy: ['long'],
    });
  });

  it('refuses a negative duration', () => {
    expect(() => earliestDeployStart([a], iso('2026-03-02T00:00:00Z'), -1)).toThrow(
      'durationMs must be a finite number of milliseconds, at least 0, not -1.',
    );
  });
});

describe('windows that cannot be used', () => {
  const t = iso('2026-01-01T00:00:00Z');
  it.each<[string, FreezeWindow, string]>([
    [
      'a bad start',
      daily('x', '25:00', '01:00', 'UTC'),
      'Freeze window "x": start "25:00" is not a time of day: use HH:MM or HH:MM:SS.',
    ],
    [
      'an unknown zone',
      daily('x', '22:00', '01:00', 'Mars/Olympus'),
      'Freeze window "x": Unknown time zone "Mars/Olympus": use an IANA name such as "America/Sao_Paulo" or "UTC".',
    ],
    [
      'an unknown day',
      daily('x', '22:00', '01:00', 'UTC', ['friday' as Weekday]),
      'Freeze window "x": "friday" is not a day: use sun, mon, tue, wed, thu, fri, sat.',
    ],
    [
      'a day that does not exist',
      range('x', '2026-02-30T00:00', '2026-03-01T00:00', 'UTC'),
      'Freeze window "x": from "2026-02-30T00:00" is not a date-time: use YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS.',
    ],
    [
      'a range ending before it starts',
      range('x', '2026-03-01T00:00', '2026-03-01T00:00', 'UTC'),
      'Freeze window "x": to "2026-03-01T00:00" is not after from "2026-03-01T00:00".',
    ],
    [
      'an unknown frequency',
      rrule('x', 'FREQ=SOMETIMES', HOUR, 'UTC'),
      'Freeze window "x": rrule "FREQ=SOMETIMES" needs FREQ=YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY or SECONDLY.',
    ],
    [
      'an unreadable rule',
      rrule('x', 'garbage', HOUR, 'UTC'),
      'Freeze window "x": rrule "garbage" cannot be read: Unknown RRULE property \'garbage\'.',
    ],
    [
      'a rule that never occurs',
      rrule('x', 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30', HOUR, 'UTC'),
      'Freeze window "x": rrule "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30" never occurs: no month it names has the days of the month it names.',
    ],
    [
      'no duration',
      rrule('x', 'FREQ=DAILY', 0, 'UTC'),
      'Freeze window "x": durationMs must be a positive number of milliseconds, not 0.',
    ],
    [
      'an unknown kind',
      { kind: 'weekly', name: 'x' } as unknown as FreezeWindow,
      'Freeze window "x": kind "weekly" is not one of daily, range, rrule.',
    ],
  ])('%s', (_title, window, message) => {
    expect(() => freezeStatus([window], t)).toThrow(message);
  });

  it('refuses a rule that repeats too often to check', () => {
    expect(() => freezeIntervals([rrule('x', 'FREQ=SECONDLY', 500, 'UTC')], t, iso('2026-01-03T00:00:00Z'))).toThrow(
      'Freeze window "x": rrule "FREQ=SECONDLY" repeats more than 50000 times in the time looked at; use a less frequent rule.',
    );
  });

  it('refuses an invalid time', () => {
    expect(() => freezeStatus([aurora], new Date(Number.NaN))).toThrow('t is not a valid Date.');
  });
});
