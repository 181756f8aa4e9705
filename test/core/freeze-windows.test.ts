import { describe, expect, it } from 'vitest';
import { earliestDeployStart, freezeIntervals, freezeStatus } from '../../src/core/freeze-windows.js';
import type {
  DailyFreezeWindow,
  FreezeWindow,
  RangeFreezeWindow,
  RRuleFreezeWindow,
  Weekday,
} from '../../src/core/types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function daily(name: string, days: Weekday[], start: string, end: string, timezone: string): DailyFreezeWindow {
  return { kind: 'daily', name, days, start, end, timezone };
}
function range(name: string, from: string, to: string, timezone: string): RangeFreezeWindow {
  return { kind: 'range', name, from, to, timezone };
}
function rrule(name: string, rule: string, durationMs: number, timezone: string): RRuleFreezeWindow {
  return { kind: 'rrule', name, rrule: rule, durationMs, timezone };
}
const at = (iso: string): Date => new Date(iso);
const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);

/** The merged freezes of `windows` in [from, to), as ISO strings. */
function intervals(windows: FreezeWindow[], from: string, to: string): Array<[string, string, string[]]> {
  return freezeIntervals(windows, at(from), at(to)).map((i) => [i.start.toISOString(), i.end.toISOString(), i.windows]);
}

/** freezeStatus with dates as ISO strings, for compact expectations. */
function status(windows: FreezeWindow[], t: string) {
  const s = freezeStatus(windows, at(t));
  return {
    frozen: s.frozen,
    window: s.window,
    until: iso(s.until),
    next: s.next === null ? null : { window: s.next.window, start: iso(s.next.start), end: iso(s.next.end) },
  };
}

// The Aurora seed: every day 22:00-23:59 in Sao Paulo (UTC-03:00 all year since 2019).
const AURORA = daily('PROD freeze', [], '22:00', '23:59', 'America/Sao_Paulo');

describe('the Aurora seed window (daily 22:00-23:59 America/Sao_Paulo)', () => {
  it('is frozen at 22:30 local until 23:59 local', () => {
    expect(status([AURORA], '2026-02-01T01:30:00Z')).toEqual({
      frozen: true,
      window: 'PROD freeze',
      until: '2026-02-01T02:59:00.000Z',
      next: { window: 'PROD freeze', start: '2026-02-02T01:00:00.000Z', end: '2026-02-02T02:59:00.000Z' },
    });
  });

  it('is not frozen at 21:00 local; the next freeze starts at 22:00 local', () => {
    expect(status([AURORA], '2026-02-01T00:00:00Z')).toEqual({
      frozen: false,
      window: null,
      until: null,
      next: { window: 'PROD freeze', start: '2026-02-01T01:00:00.000Z', end: '2026-02-01T02:59:00.000Z' },
    });
  });

  it.each([
    ['21:59:59 local, the second before the start', '2026-02-01T00:59:59Z', false],
    ['22:00:00 local, the start (inclusive)', '2026-02-01T01:00:00Z', true],
    ['23:58:59 local, the last frozen second', '2026-02-01T02:58:59Z', true],
    ['23:58:59.999 local', '2026-02-01T02:58:59.999Z', true],
    ['23:59:00 local, the end (exclusive)', '2026-02-01T02:59:00Z', false],
  ])('at %s frozen is %s', (_label, t, frozen) => {
    expect(freezeStatus([AURORA], at(t)).frozen).toBe(frozen);
  });

  it.each([
    [
      '21:50 local: a 20-minute deploy would run into the window, so it waits until 23:59 local',
      '2026-02-01T00:50:00Z',
      '2026-02-01T02:59:00.000Z',
      ['PROD freeze'],
    ],
    [
      '21:30 local: a 20-minute deploy ends before 22:00 and may start',
      '2026-02-01T00:30:00Z',
      '2026-02-01T00:30:00.000Z',
      [],
    ],
    [
      '21:40 local: the deploy ends exactly at 22:00 (exclusive) and may start',
      '2026-02-01T00:40:00Z',
      '2026-02-01T00:40:00.000Z',
      [],
    ],
    [
      '21:40:01 local: one second later it would overlap',
      '2026-02-01T00:40:01Z',
      '2026-02-01T02:59:00.000Z',
      ['PROD freeze'],
    ],
    ['22:30 local: inside the window', '2026-02-01T01:30:00Z', '2026-02-01T02:59:00.000Z', ['PROD freeze']],
    ['23:59 local: the window just ended', '2026-02-01T02:59:00Z', '2026-02-01T02:59:00.000Z', []],
  ])('earliestDeployStart at %s', (_label, t, start, blockedBy) => {
    expect(earliestDeployStart([AURORA], at(t), 20 * MINUTE)).toEqual({ start: at(start), blockedBy });
  });
});

describe('daily windows', () => {
  // 2026-01-02 is a Friday, 2026-01-03 a Saturday, 2026-01-04 a Sunday.
  const fridayNight = daily('friday night', ['fri'], '22:00', '02:00', 'UTC');
  const saturdayLate = daily('saturday late', ['sat'], '20:00', '23:00', 'UTC');
  const saturdayCross = daily('saturday cross', ['sat'], '23:00', '01:00', 'UTC');
  const allDay = daily('all day monday', ['mon'], '09:00', '09:00', 'UTC');
  const seconds = daily('seconds', ['fri'], '10:00:30', '10:00:45', 'UTC');

  it.each<[string, DailyFreezeWindow, string, boolean]>([
    ['a Friday 22:00-02:00 window covers Saturday 01:00', fridayNight, '2026-01-03T01:00:00Z', true],
    [
      'a Friday 22:00-02:00 window does not cover Saturday 02:00 (end exclusive)',
      fridayNight,
      '2026-01-03T02:00:00Z',
      false,
    ],
    ['a Friday 22:00-02:00 window covers Friday 22:00 (start inclusive)', fridayNight, '2026-01-02T22:00:00Z', true],
    ['a Friday 22:00-02:00 window does not cover Thursday 23:00', fridayNight, '2026-01-01T23:00:00Z', false],
    ['a Friday 22:00-02:00 window does not cover Saturday 23:00', fridayNight, '2026-01-03T23:00:00Z', false],
    ['a Saturday-only 20:00-23:00 window covers Saturday 22:59:59', saturdayLate, '2026-01-03T22:59:59Z', true],
    ['a Saturday-only 20:00-23:00 window does not cover Sunday 21:00', saturdayLate, '2026-01-04T21:00:00Z', false],
    [
      'a Saturday 23:00-01:00 window covers Sunday 00:30 (it started on Saturday)',
      saturdayCross,
      '2026-01-04T00:30:00Z',
      true,
    ],
    ['a Saturday 23:00-01:00 window does not cover Sunday 23:30', saturdayCross, '2026-01-04T23:30:00Z', false],
    ['a Monday 09:00-09:00 window lasts 24 hours: Tuesday 08:59:59', allDay, '2026-01-06T08:59:59Z', true],
    ['a Monday 09:00-09:00 window ends Tuesday 09:00', allDay, '2026-01-06T09:00:00Z', false],
    ['a Monday 09:00-09:00 window does not start on Sunday', allDay, '2026-01-04T10:00:00Z', false],
    ['seconds are honoured: 10:00:29 is before 10:00:30', seconds, '2026-01-02T10:00:29Z', false],
    ['seconds are honoured: 10:00:30 is inside', seconds, '2026-01-02T10:00:30Z', true],
    ['seconds are honoured: 10:00:45 is the exclusive end', seconds, '2026-01-02T10:00:45Z', false],
  ])('%s', (_label, window, t, frozen) => {
    expect(freezeStatus([window], at(t)).frozen).toBe(frozen);
  });

  it('treats no days as every day', () => {
    const everyDay = daily('every day', [], '12:00', '13:00', 'UTC');
    expect(intervals([everyDay], '2026-01-03T00:00:00Z', '2026-01-05T00:00:00Z')).toEqual([
      ['2026-01-03T12:00:00.000Z', '2026-01-03T13:00:00.000Z', ['every day']],
      ['2026-01-04T12:00:00.000Z', '2026-01-04T13:00:00.000Z', ['every day']],
    ]);
  });

  it('finds a window that started yesterday', () => {
    const long = daily('long', ['sun'], '12:00', '11:00', 'UTC');
    expect(status([long], '2026-01-05T10:00:00Z')).toMatchObject({
      frozen: true,
      window: 'long',
      until: '2026-01-05T11:00:00.000Z',
    });
  });

  it('crosses a month end and the New Year', () => {
    const nightly = daily('nightly', [], '22:00', '02:00', 'Europe/Berlin');
    expect(intervals([nightly], '2026-12-31T22:00:00Z', '2027-01-01T02:00:00Z')).toEqual([
      ['2026-12-31T21:00:00.000Z', '2027-01-01T01:00:00.000Z', ['nightly']],
    ]);
    expect(status([daily('nye', ['thu'], '22:00', '02:00', 'Europe/Berlin')], '2027-01-01T00:30:00Z')).toMatchObject({
      frozen: true,
      until: '2027-01-01T01:00:00.000Z',
      // 2026-12-31 is a Thursday; the next Thursday is 2027-01-07.
      next: { window: 'nye', start: '2027-01-07T21:00:00.000Z', end: '2027-01-08T01:00:00.000Z' },
    });
    const monthEnd = daily('month end', ['sat'], '23:00', '01:00', 'UTC');
    expect(status([monthEnd], '2026-02-01T00:59:59Z')).toMatchObject({
      frozen: true,
      until: '2026-02-01T01:00:00.000Z',
    });
  });

  it('covers a leap day', () => {
    // 2028-02-28 is a Monday, 2028-02-29 a Tuesday.
    const tuesday = daily('tuesday', ['tue'], '00:00', '00:00', 'UTC');
    expect(intervals([tuesday], '2028-02-28T00:00:00Z', '2028-03-02T00:00:00Z')).toEqual([
      ['2028-02-29T00:00:00.000Z', '2028-03-01T00:00:00.000Z', ['tuesday']],
    ]);
  });
});

describe('range windows', () => {
  const yearEnd = range('year-end', '2026-12-20T00:00', '2027-01-04T08:00', 'Europe/Berlin');

  it('is frozen inside a multi-week range found from its middle', () => {
    expect(status([yearEnd], '2026-12-31T23:00:00Z')).toEqual({
      frozen: true,
      window: 'year-end',
      until: '2027-01-04T07:00:00.000Z',
      next: null,
    });
  });

  it('finds a range years ahead as the next freeze', () => {
    const far = range('far', '2029-06-01T00:00', '2029-06-02T00:00', 'UTC');
    expect(status([far], '2026-01-01T00:00:00Z').next).toEqual({
      window: 'far',
      start: '2029-06-01T00:00:00.000Z',
      end: '2029-06-02T00:00:00.000Z',
    });
  });

  it('honours seconds and the exclusive end', () => {
    const short = range('short', '2026-05-01T10:00:05', '2026-05-01T10:00:10', 'UTC');
    expect(freezeStatus([short], at('2026-05-01T10:00:04Z')).frozen).toBe(false);
    expect(freezeStatus([short], at('2026-05-01T10:00:05Z')).frozen).toBe(true);
    expect(freezeStatus([short], at('2026-05-01T10:00:09.999Z')).frozen).toBe(true);
    expect(freezeStatus([short], at('2026-05-01T10:00:10Z')).frozen).toBe(false);
  });

  it('reports a freeze whole even where it reaches beyond the range asked for', () => {
    expect(intervals([yearEnd], '2026-12-25T00:00:00Z', '2026-12-26T00:00:00Z')).toEqual([
      ['2026-12-19T23:00:00.000Z', '2027-01-04T07:00:00.000Z', ['year-end']],
    ]);
  });
});

describe('rrule windows', () => {
  const monthEndClose = rrule(
    'month-end close',
    'FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=12;BYMINUTE=0',
    36 * HOUR,
    'Europe/Lisbon',
  );

  it('starts at noon local on the last day of each month and lasts 36 hours', () => {
    expect(intervals([monthEndClose], '2026-02-02T00:00:00Z', '2026-05-01T00:00:00Z')).toEqual([
      // Lisbon is UTC+00:00 in winter and UTC+01:00 from 2026-03-29.
      ['2026-02-28T12:00:00.000Z', '2026-03-02T00:00:00.000Z', ['month-end close']],
      ['2026-03-31T11:00:00.000Z', '2026-04-01T23:00:00.000Z', ['month-end close']],
      ['2026-04-30T11:00:00.000Z', '2026-05-01T23:00:00.000Z', ['month-end close']],
    ]);
  });

  it('finds an occurrence that started 35 hours before t', () => {
    expect(status([monthEndClose], '2026-03-01T23:59:59Z')).toEqual({
      frozen: true,
      window: 'month-end close',
      until: '2026-03-02T00:00:00.000Z',
      next: { window: 'month-end close', start: '2026-03-31T11:00:00.000Z', end: '2026-04-01T23:00:00.000Z' },
    });
    expect(freezeStatus([monthEndClose], at('2026-03-02T00:00:00Z')).frozen).toBe(false);
  });

  it('finds the leap day two years ahead', () => {
    const leapDay = rrule('leap day', 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=0;BYMINUTE=0', 24 * HOUR, 'UTC');
    expect(status([leapDay], '2026-06-01T00:00:00Z').next).toEqual({
      window: 'leap day',
      start: '2028-02-29T00:00:00.000Z',
      end: '2028-03-01T00:00:00.000Z',
    });
  });

  it('gives the same occurrences whatever time is asked about (INTERVAL counts from a fixed anchor)', () => {
    const fortnightly = rrule('fortnightly', 'FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;BYHOUR=18;BYMINUTE=0', 2 * HOUR, 'UTC');
    const fromJanuary = intervals([fortnightly], '2026-01-01T00:00:00Z', '2026-04-01T00:00:00Z').map((i) => i[0]);
    const fromMarch = intervals([fortnightly], '2026-03-01T00:00:00Z', '2026-04-01T00:00:00Z').map((i) => i[0]);
    expect(fromJanuary.length).toBe(6);
    expect(fromJanuary.filter((start) => start >= '2026-03-01')).toEqual(fromMarch);
    for (let i = 1; i < fromJanuary.length; i++) {
      expect(Date.parse(fromJanuary[i]!) - Date.parse(fromJanuary[i - 1]!)).toBe(14 * 24 * HOUR);
    }
  });

  it('accepts an RRULE: prefix', () => {
    const prefixed = rrule('prefixed', 'RRULE:FREQ=DAILY;BYHOUR=3;BYMINUTE=15', 30 * MINUTE, 'UTC');
    expect(status([prefixed], '2026-01-01T03:20:00Z')).toMatchObject({
      frozen: true,
      until: '2026-01-01T03:45:00.000Z',
    });
  });
});

describe('merging', () => {
  const a = daily('a', [], '10:00', '12:00', 'UTC');
  const overlapping = daily('b', [], '11:00', '13:00', 'UTC');
  const backToBack = daily('b', [], '12:00', '14:00', 'UTC');
  const oneSecondLater = daily('b', [], '12:00:01', '14:00', 'UTC');

  it('merges overlapping windows: until is the merged end', () => {
    expect(status([a, overlapping], '2026-01-01T10:30:00Z')).toEqual({
      frozen: true,
      window: 'a',
      until: '2026-01-01T13:00:00.000Z',
      next: { window: 'a', start: '2026-01-02T10:00:00.000Z', end: '2026-01-02T13:00:00.000Z' },
    });
    expect(intervals([a, overlapping], '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')).toEqual([
      ['2026-01-01T10:00:00.000Z', '2026-01-01T13:00:00.000Z', ['a', 'b']],
    ]);
  });

  it('merges back-to-back windows', () => {
    expect(status([a, backToBack], '2026-01-01T10:30:00Z')).toMatchObject({
      frozen: true,
      until: '2026-01-01T14:00:00.000Z',
    });
    expect(status([a, backToBack], '2026-01-01T12:00:00Z')).toMatchObject({
      frozen: true,
      window: 'b',
      until: '2026-01-01T14:00:00.000Z',
    });
    expect(intervals([a, backToBack], '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')).toEqual([
      ['2026-01-01T10:00:00.000Z', '2026-01-01T14:00:00.000Z', ['a', 'b']],
    ]);
  });

  it('does not merge windows a second apart', () => {
    expect(status([a, oneSecondLater], '2026-01-01T10:30:00Z')).toEqual({
      frozen: true,
      window: 'a',
      until: '2026-01-01T12:00:00.000Z',
      next: { window: 'b', start: '2026-01-01T12:00:01.000Z', end: '2026-01-01T14:00:00.000Z' },
    });
    expect(intervals([a, oneSecondLater], '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')).toHaveLength(2);
  });

  it('names the window that started first, and on a tie the first listed', () => {
    const late = daily('late', [], '11:00', '12:00', 'UTC');
    const early = daily('early', [], '10:00', '12:00', 'UTC');
    const twin = daily('twin', [], '10:00', '11:30', 'UTC');
    expect(freezeStatus([late, early], at('2026-01-01T11:30:00Z')).window).toBe('early');
    expect(freezeStatus([twin, early], at('2026-01-01T11:00:00Z')).window).toBe('twin');
    expect(freezeStatus([early, twin], at('2026-01-01T11:00:00Z')).window).toBe('early');
  });

  it('merges windows of different kinds and zones', () => {
    const berlin = daily('berlin evening', [], '18:00', '20:00', 'Europe/Berlin'); // 17:00-19:00Z in winter
    const kolkata = range('kolkata', '2026-01-15T00:00', '2026-01-15T01:00', 'Asia/Kolkata'); // 18:30-19:30Z on the 14th
    expect(intervals([berlin, kolkata], '2026-01-14T00:00:00Z', '2026-01-15T00:00:00Z')).toEqual([
      ['2026-01-14T17:00:00.000Z', '2026-01-14T19:30:00.000Z', ['berlin evening', 'kolkata']],
    ]);
  });

  it('reports the next freeze after a merged one', () => {
    const range1 = range('r1', '2026-03-01T00:00', '2026-03-02T00:00', 'UTC');
    const range2 = range('r2', '2026-03-02T00:00', '2026-03-03T00:00', 'UTC');
    const range3 = range('r3', '2026-03-10T00:00', '2026-03-11T00:00', 'UTC');
    expect(status([range3, range2, range1], '2026-03-01T12:00:00Z')).toEqual({
      frozen: true,
      window: 'r1',
      until: '2026-03-03T00:00:00.000Z',
      next: { window: 'r3', start: '2026-03-10T00:00:00.000Z', end: '2026-03-11T00:00:00.000Z' },
    });
    expect(status([range3, range2, range1], '2026-02-01T00:00:00Z').next).toEqual({
      window: 'r1',
      start: '2026-03-01T00:00:00.000Z',
      end: '2026-03-03T00:00:00.000Z',
    });
  });

  it('has no freeze and no next one without windows', () => {
    expect(status([], '2026-01-01T00:00:00Z')).toEqual({ frozen: false, window: null, until: null, next: null });
    expect(earliestDeployStart([], at('2026-01-01T00:00:00Z'), HOUR)).toEqual({
      start: at('2026-01-01T00:00:00Z'),
      blockedBy: [],
    });
  });
});

describe('earliestDeployStart', () => {
  it('skips a freeze that a deploy would run into after waiting out another', () => {
    const first = daily('first', [], '10:00', '11:00', 'UTC');
    const second = daily('second', [], '11:10', '12:00', 'UTC');
    expect(earliestDeployStart([second, first], at('2026-01-01T10:30:00Z'), 20 * MINUTE)).toEqual({
      start: at('2026-01-01T12:00:00Z'),
      blockedBy: ['second', 'first'],
    });
    expect(earliestDeployStart([second, first], at('2026-01-01T10:30:00Z'), 10 * MINUTE)).toEqual({
      start: at('2026-01-01T11:00:00Z'),
      blockedBy: ['first'],
    });
  });

  it('with no duration, only needs the start instant free', () => {
    const w = daily('w', [], '10:00', '11:00', 'UTC');
    expect(earliestDeployStart([w], at('2026-01-01T09:59:59Z'), 0)?.start).toEqual(at('2026-01-01T09:59:59Z'));
    expect(earliestDeployStart([w], at('2026-01-01T10:00:00Z'), 0)?.start).toEqual(at('2026-01-01T11:00:00Z'));
  });

  it('fails closed (null) when the freezes leave no room within the horizon', () => {
    const always = daily('always', [], '00:00', '00:00', 'UTC');
    expect(earliestDeployStart([always], at('2026-01-01T12:00:00Z'), MINUTE)).toBeNull();
    const long = range('long', '2026-01-01T00:00', '2026-01-20T00:00', 'UTC');
    expect(earliestDeployStart([long], at('2026-01-02T00:00:00Z'), MINUTE, 5)).toBeNull();
    expect(earliestDeployStart([long], at('2026-01-02T00:00:00Z'), MINUTE)).toEqual({
      start: at('2026-01-20T00:00:00Z'),
      blockedBy: ['long'],
    });
  });

  it('refuses a negative duration with a clear message', () => {
    expect(() => earliestDeployStart([AURORA], at('2026-01-01T00:00:00Z'), -1)).toThrow(
      'durationMs must be a finite number of milliseconds, at least 0, not -1.',
    );
  });
});
