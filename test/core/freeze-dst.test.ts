import { describe, expect, it } from 'vitest';
import { formatInTimeZone } from 'date-fns-tz';
import { freezeIntervals, freezeStatus } from '../../src/core/freeze-windows.js';
import { localToInstant, parseLocalDateTime, zoneOffsetMs } from '../../src/core/local-time.js';
import type { FreezeWindow, Weekday } from '../../src/core/types.js';

const HOUR = 3_600_000;

function daily(days: Weekday[], start: string, end: string, timezone: string): FreezeWindow {
  return { kind: 'daily', name: 'w', days, start, end, timezone };
}
function range(from: string, to: string, timezone: string): FreezeWindow {
  return { kind: 'range', name: 'w', from, to, timezone };
}
function spans(window: FreezeWindow, from: string, to: string): string[][] {
  return freezeIntervals([window], new Date(from), new Date(to)).map((i) => [
    i.start.toISOString(),
    i.end.toISOString(),
  ]);
}
function instant(local: string, zone: string, choice: 'earlier' | 'later'): string {
  return new Date(localToInstant(parseLocalDateTime(local)!, zone, choice)).toISOString();
}

// Transitions used below (tz database):
// Europe/Berlin       2026-03-29 02:00 -> 03:00 (01:00Z)   2026-10-25 03:00 -> 02:00 (01:00Z)
// America/New_York    2026-03-08 02:00 -> 03:00 (07:00Z)   2026-11-01 02:00 -> 01:00 (06:00Z)
// America/Sao_Paulo   2018-11-04 00:00 -> 01:00 (03:00Z)   2018-02-18 00:00 -> 02-17 23:00 (02:00Z);
//                     2019-02-17 00:00 -> 02-16 23:00 (02:00Z); no DST since 2019
// Australia/Lord_Howe 2026-04-05 02:00 -> 01:30 (15:00Z on the 4th), +11:00 -> +10:30
//                     2026-10-04 02:00 -> 02:30 (15:30Z on the 3rd), +10:30 -> +11:00
// Asia/Kolkata        +05:30, no DST

describe('local time conversion (the DST rules)', () => {
  it.each([
    // Gap: the first instant after the gap, whichever the boundary.
    ['Europe/Berlin', '2026-03-29T02:30', 'earlier', '2026-03-29T01:00:00.000Z'],
    ['Europe/Berlin', '2026-03-29T02:30', 'later', '2026-03-29T01:00:00.000Z'],
    ['Europe/Berlin', '2026-03-29T02:00', 'earlier', '2026-03-29T01:00:00.000Z'],
    ['Europe/Berlin', '2026-03-29T03:00', 'earlier', '2026-03-29T01:00:00.000Z'],
    ['Europe/Berlin', '2026-03-29T01:59:59', 'earlier', '2026-03-29T00:59:59.000Z'],
    ['America/New_York', '2026-03-08T02:30', 'earlier', '2026-03-08T07:00:00.000Z'],
    ['America/Sao_Paulo', '2018-11-04T00:30', 'earlier', '2018-11-04T03:00:00.000Z'],
    ['Australia/Lord_Howe', '2026-10-04T02:15', 'earlier', '2026-10-03T15:30:00.000Z'],
    // Overlap: the first occurrence for 'earlier' (starts), the second for 'later' (ends).
    ['Europe/Berlin', '2026-10-25T02:30', 'earlier', '2026-10-25T00:30:00.000Z'],
    ['Europe/Berlin', '2026-10-25T02:30', 'later', '2026-10-25T01:30:00.000Z'],
    ['America/New_York', '2026-11-01T01:30', 'earlier', '2026-11-01T05:30:00.000Z'],
    ['America/New_York', '2026-11-01T01:30', 'later', '2026-11-01T06:30:00.000Z'],
    ['America/Sao_Paulo', '2019-02-16T23:30', 'earlier', '2019-02-17T01:30:00.000Z'],
    ['America/Sao_Paulo', '2019-02-16T23:30', 'later', '2019-02-17T02:30:00.000Z'],
    ['Australia/Lord_Howe', '2026-04-05T01:45', 'earlier', '2026-04-04T14:45:00.000Z'],
    ['Australia/Lord_Howe', '2026-04-05T01:45', 'later', '2026-04-04T15:15:00.000Z'],
    // Ordinary times.
    ['Asia/Kolkata', '2026-06-01T09:00', 'earlier', '2026-06-01T03:30:00.000Z'],
    ['America/Sao_Paulo', '2026-01-31T22:00', 'later', '2026-02-01T01:00:00.000Z'],
    ['UTC', '2026-10-25T02:30', 'later', '2026-10-25T02:30:00.000Z'],
  ] as const)('%s %s (%s) is %s', (zone, local, choice, expected) => {
    expect(instant(local, zone, choice)).toBe(expected);
  });

  it('agrees with date-fns-tz on the wall clock of every hour of a year with two changes', () => {
    for (const zone of [
      'Europe/Berlin',
      'America/New_York',
      'Australia/Lord_Howe',
      'America/Sao_Paulo',
      'Asia/Kolkata',
    ]) {
      const start = Date.UTC(2018, 0, 1);
      for (let t = start; t < start + 366 * 24 * HOUR; t += 7 * HOUR + 17 * 60_000) {
        const local = new Date(t + zoneOffsetMs(zone, t)).toISOString().slice(0, 19);
        expect(local).toBe(formatInTimeZone(new Date(t), zone, "yyyy-MM-dd'T'HH:mm:ss"));
      }
    }
  });
});

describe('freeze windows across DST changes', () => {
  it.each([
    // Europe/Berlin
    [
      'Berlin: a window starting in the spring gap starts when the gap ends',
      daily(['sun'], '02:30', '04:00', 'Europe/Berlin'),
      '2026-03-29T00:00:00Z',
      [['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z']],
    ],
    [
      'Berlin: the same window the day before is 90 minutes long',
      daily(['sat'], '02:30', '04:00', 'Europe/Berlin'),
      '2026-03-28T00:00:00Z',
      [['2026-03-28T01:30:00.000Z', '2026-03-28T03:00:00.000Z']],
    ],
    [
      'Berlin: a window ending in the spring gap ends when the gap ends',
      daily(['sun'], '01:00', '02:30', 'Europe/Berlin'),
      '2026-03-29T00:00:00Z',
      [['2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z']],
    ],
    [
      'Berlin: a window inside the repeated hour runs from its first start to its second end',
      daily(['sun'], '02:30', '02:45', 'Europe/Berlin'),
      '2026-10-25T00:00:00Z',
      [['2026-10-25T00:30:00.000Z', '2026-10-25T01:45:00.000Z']],
    ],
    [
      'Berlin: an overnight window across the autumn change is 9 hours long',
      daily(['sat'], '22:00', '06:00', 'Europe/Berlin'),
      '2026-10-24T12:00:00Z',
      [['2026-10-24T20:00:00.000Z', '2026-10-25T05:00:00.000Z']],
    ],
    [
      'Berlin: an overnight window across the spring change is 7 hours long',
      daily(['sat'], '22:00', '06:00', 'Europe/Berlin'),
      '2026-03-28T12:00:00Z',
      [['2026-03-28T21:00:00.000Z', '2026-03-29T04:00:00.000Z']],
    ],
    // America/New_York
    [
      'New York: a range wholly inside the spring gap is empty',
      range('2026-03-08T02:15', '2026-03-08T02:45', 'America/New_York'),
      '2026-03-08T00:00:00Z',
      [],
    ],
    [
      'New York: a range ending in the spring gap ends when the gap ends',
      range('2026-03-08T01:30', '2026-03-08T02:30', 'America/New_York'),
      '2026-03-08T00:00:00Z',
      [['2026-03-08T06:30:00.000Z', '2026-03-08T07:00:00.000Z']],
    ],
    [
      'New York: a window inside the repeated hour is never shortened',
      daily(['sun'], '01:30', '01:45', 'America/New_York'),
      '2026-11-01T00:00:00Z',
      [['2026-11-01T05:30:00.000Z', '2026-11-01T06:45:00.000Z']],
    ],
    [
      'New York: a range across the autumn change ends at the second 01:30',
      range('2026-11-01T00:00', '2026-11-01T01:30', 'America/New_York'),
      '2026-11-01T00:00:00Z',
      [['2026-11-01T04:00:00.000Z', '2026-11-01T06:30:00.000Z']],
    ],
    // America/Sao_Paulo, 2018 (DST then) and 2026 (none)
    [
      'Sao Paulo 2018: a window starting in the spring gap (midnight skipped) starts at 01:00',
      daily(['sun'], '00:30', '02:00', 'America/Sao_Paulo'),
      '2018-11-04T00:00:00Z',
      [['2018-11-04T03:00:00.000Z', '2018-11-04T04:00:00.000Z']],
    ],
    [
      'Sao Paulo 2018: the Aurora window on the autumn night ends at the second 23:59',
      daily([], '22:00', '23:59', 'America/Sao_Paulo'),
      '2018-02-17T12:00:00Z',
      [['2018-02-18T00:00:00.000Z', '2018-02-18T02:59:00.000Z']],
    ],
    [
      'Sao Paulo 2019: the last autumn change, likewise',
      daily(['sat'], '22:00', '23:59', 'America/Sao_Paulo'),
      '2019-02-16T12:00:00Z',
      [['2019-02-17T00:00:00.000Z', '2019-02-17T02:59:00.000Z']],
    ],
    [
      'Sao Paulo 2026: no DST, the same window is 1h59m',
      daily(['sat'], '22:00', '23:59', 'America/Sao_Paulo'),
      '2026-02-21T12:00:00Z',
      [['2026-02-22T01:00:00.000Z', '2026-02-22T02:59:00.000Z']],
    ],
    [
      'Sao Paulo 2026: no gap on the first Sunday of November any more',
      daily(['sun'], '00:30', '02:00', 'America/Sao_Paulo'),
      '2026-11-01T00:00:00Z',
      [['2026-11-01T03:30:00.000Z', '2026-11-01T05:00:00.000Z']],
    ],
    // Australia/Lord_Howe: a 30-minute shift
    [
      'Lord Howe: a window inside the repeated half hour runs from its first start to its second end',
      daily(['sun'], '01:40', '01:50', 'Australia/Lord_Howe'),
      '2026-04-04T12:00:00Z',
      [['2026-04-04T14:40:00.000Z', '2026-04-04T15:20:00.000Z']],
    ],
    [
      'Lord Howe: a window starting in the half-hour gap starts at 02:30',
      daily(['sun'], '02:10', '03:00', 'Australia/Lord_Howe'),
      '2026-10-03T12:00:00Z',
      [['2026-10-03T15:30:00.000Z', '2026-10-03T16:00:00.000Z']],
    ],
    [
      'Lord Howe: an overnight window across the spring change is 30 minutes shorter',
      daily(['sat'], '22:00', '06:00', 'Australia/Lord_Howe'),
      '2026-10-03T00:00:00Z',
      [['2026-10-03T11:30:00.000Z', '2026-10-03T19:00:00.000Z']],
    ],
    // Asia/Kolkata and UTC
    [
      'Kolkata: +05:30 all year',
      daily(['mon'], '09:00', '17:30', 'Asia/Kolkata'),
      '2026-06-01T00:00:00Z',
      [['2026-06-01T03:30:00.000Z', '2026-06-01T12:00:00.000Z']],
    ],
    [
      'Kolkata: an overnight range into the New Year',
      range('2026-12-31T22:00', '2027-01-01T02:00', 'Asia/Kolkata'),
      '2026-12-31T00:00:00Z',
      [['2026-12-31T16:30:00.000Z', '2026-12-31T20:30:00.000Z']],
    ],
    [
      'UTC: a leap-day range',
      range('2028-02-29T00:00', '2028-03-01T00:00', 'UTC'),
      '2028-02-28T00:00:00Z',
      [['2028-02-29T00:00:00.000Z', '2028-03-01T00:00:00.000Z']],
    ],
  ] as const)('%s', (_label, window, from, expected) => {
    const to = new Date(Date.parse(from) + 30 * HOUR).toISOString();
    expect(spans(window, from, to)).toEqual(expected);
  });

  it('an rrule occurrence in the spring gap starts when the gap ends; its duration is absolute', () => {
    const w: FreezeWindow = {
      kind: 'rrule',
      name: 'r',
      rrule: 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30',
      durationMs: 2 * HOUR,
      timezone: 'Europe/Berlin',
    };
    expect(spans(w, '2026-03-28T00:00:00Z', '2026-03-30T00:00:00Z')).toEqual([
      ['2026-03-28T01:30:00.000Z', '2026-03-28T03:30:00.000Z'],
      ['2026-03-29T01:00:00.000Z', '2026-03-29T03:00:00.000Z'],
    ]);
    // In the repeated hour an occurrence starts at the first 02:30.
    expect(spans(w, '2026-10-25T00:00:00Z', '2026-10-25T12:00:00Z')).toEqual([
      ['2026-10-25T00:30:00.000Z', '2026-10-25T02:30:00.000Z'],
    ]);
  });

  it('reports until and next in local terms across the Sao Paulo 2018 autumn change', () => {
    const aurora = daily([], '22:00', '23:59', 'America/Sao_Paulo');
    const s = freezeStatus([aurora], new Date('2018-02-18T02:30:00Z')); // the second 23:30 local
    expect(s.frozen).toBe(true);
    expect(s.until?.toISOString()).toBe('2018-02-18T02:59:00.000Z');
    expect(s.next?.start.toISOString()).toBe('2018-02-19T01:00:00.000Z'); // 22:00 at -03:00
  });
});
