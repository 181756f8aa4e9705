import { fromZonedTime } from 'date-fns-tz';
import { describe, expect, it } from 'vitest';
import {
  formatInZone,
  parseClockTime,
  parseLocalDateTime,
  zonedDateTimeToInstant,
  zoneOffsetFromTzdb,
  zoneOffsetMs,
} from '../../src/core/local-time.js';

describe('wall-clock time to instant across DST changes', () => {
  // [zone, local time, instant for a window start, instant for a window end, why]
  const cases: Array<[string, string, string, string, string]> = [
    ['UTC', '2026-01-31T22:30', '2026-01-31T22:30:00.000Z', '2026-01-31T22:30:00.000Z', 'plain UTC'],
    ['Asia/Kolkata', '2026-03-08T02:30', '2026-03-07T21:00:00.000Z', '2026-03-07T21:00:00.000Z', '+05:30, no DST'],
    [
      'America/Sao_Paulo',
      '2026-11-01T00:30',
      '2026-11-01T03:30:00.000Z',
      '2026-11-01T03:30:00.000Z',
      'no DST since 2019',
    ],
    ['America/New_York', '2025-03-09T02:30', '2025-03-09T07:00:00.000Z', '2025-03-09T07:00:00.000Z', 'gap: 03:00 EDT'],
    [
      'America/New_York',
      '2025-11-02T01:30',
      '2025-11-02T05:30:00.000Z',
      '2025-11-02T06:30:00.000Z',
      'overlap: EDT then EST',
    ],
    ['Europe/Berlin', '2025-03-30T02:30', '2025-03-30T01:00:00.000Z', '2025-03-30T01:00:00.000Z', 'gap: 03:00 CEST'],
    [
      'Europe/Berlin',
      '2025-10-26T02:30',
      '2025-10-26T00:30:00.000Z',
      '2025-10-26T01:30:00.000Z',
      'overlap: CEST then CET',
    ],
    [
      'America/Sao_Paulo',
      '2018-11-04T00:30',
      '2018-11-04T03:00:00.000Z',
      '2018-11-04T03:00:00.000Z',
      'gap: 01:00 -02 (2018)',
    ],
    [
      'America/Sao_Paulo',
      '2019-02-16T23:30',
      '2019-02-17T01:30:00.000Z',
      '2019-02-17T02:30:00.000Z',
      'overlap: -02 then -03',
    ],
    [
      'Australia/Lord_Howe',
      '2025-10-05T02:15',
      '2025-10-04T15:30:00.000Z',
      '2025-10-04T15:30:00.000Z',
      'half-hour gap: 02:30 +11',
    ],
    [
      'Australia/Lord_Howe',
      '2025-04-06T01:45',
      '2025-04-05T14:45:00.000Z',
      '2025-04-05T15:15:00.000Z',
      'half-hour overlap',
    ],
    [
      'America/New_York',
      '2025-03-09T01:59:59',
      '2025-03-09T06:59:59.000Z',
      '2025-03-09T06:59:59.000Z',
      'last second before the gap',
    ],
  ];

  it.each(cases)('%s %s', (zone, local, start, end) => {
    expect(zonedDateTimeToInstant(local, zone, 'earlier').toISOString()).toBe(start);
    expect(zonedDateTimeToInstant(local, zone, 'later').toISOString()).toBe(end);
  });

  it('moves a time in the gap forward where date-fns-tz moves it back', () => {
    // date-fns-tz reads 02:30 as 01:30 EST, before the gap; a freeze starting at 02:30 would
    // then begin an hour early.
    expect(fromZonedTime('2025-03-09T02:30:00', 'America/New_York').toISOString()).toBe('2025-03-09T06:30:00.000Z');
    expect(formatInZone(zonedDateTimeToInstant('2025-03-09T02:30', 'America/New_York'), 'America/New_York')).toBe(
      '2025-03-09T03:00:00',
    );
  });

  it('shows an instant as the wall clock of the zone', () => {
    expect(formatInZone(new Date('2026-02-01T02:59:00Z'), 'America/Sao_Paulo')).toBe('2026-01-31T23:59:00');
    expect(formatInZone(new Date('2025-04-05T15:15:00Z'), 'Australia/Lord_Howe')).toBe('2025-04-06T01:45:00');
  });

  it('refuses an unknown zone with a message naming it', () => {
    expect(() => zonedDateTimeToInstant('2026-01-01T00:00', 'Mars/Olympus')).toThrow(
      'Unknown time zone "Mars/Olympus": use an IANA name such as "America/Sao_Paulo" or "UTC".',
    );
  });
});

describe('parsing wall-clock values', () => {
  it.each([
    ['22:00', 79_200],
    ['23:59', 86_340],
    ['09:00:30', 32_430],
    ['00:00', 0],
  ])('reads %s', (text, seconds) => {
    expect(parseClockTime(text)).toBe(seconds);
  });

  it.each(['24:00', '25:00', '9:00', '12:60', '12:00:60', 'noon'])('rejects %s as a start', (text) => {
    expect(parseClockTime(text)).toBeNull();
  });

  it('accepts 24:00 only as an end of day', () => {
    expect(parseClockTime('24:00', true)).toBe(86_400);
  });

  it('reads local date-times and rejects days that do not exist', () => {
    expect(parseLocalDateTime('2028-02-29T12:00')).toBe(Date.UTC(2028, 1, 29, 12));
    expect(parseLocalDateTime('2026-02-29T12:00')).toBeNull();
    expect(parseLocalDateTime('2026-04-31T00:00')).toBeNull();
    expect(parseLocalDateTime('2026-12-31T23:59:59')).toBe(Date.UTC(2026, 11, 31, 23, 59, 59));
  });
});

describe('zone offsets read once per day agree with the tz database', () => {
  // Zones with half-hour and 45-minute offsets, a 30-minute DST (Lord Howe), a skipped day
  // (Apia, 2011), southern DST, abolished DST (Sao Paulo) and a local mean time history.
  const zones = [
    'America/New_York',
    'Europe/Berlin',
    'America/Sao_Paulo',
    'Australia/Lord_Howe',
    'Asia/Kathmandu',
    'Pacific/Apia',
    'America/St_Johns',
    'Europe/Dublin',
    'Africa/Casablanca',
    'Asia/Kolkata',
  ];
  it.each(zones)('%s: every second around each change from 1900 to 2040, and noon of every tenth day', (zone) => {
    const wrong: string[] = [];
    const check = (instant: number) => {
      const cached = zoneOffsetMs(zone, instant);
      const read = zoneOffsetFromTzdb(zone, instant);
      if (cached !== read) wrong.push(`${new Date(instant).toISOString()}: ${cached} instead of ${read}`);
    };
    const start = Date.UTC(1900, 0, 1);
    const end = Date.UTC(2040, 0, 1);
    let previous = zoneOffsetFromTzdb(zone, start);
    for (let day = start; day < end; day += 86_400_000) {
      const offset = zoneOffsetFromTzdb(zone, day + 86_400_000);
      if (offset !== previous) {
        // A change during this day: find its second, then check around it through the cache.
        let low = day / 1000;
        let high = (day + 86_400_000) / 1000;
        while (high - low > 1) {
          const middle = Math.floor((low + high) / 2);
          if (zoneOffsetFromTzdb(zone, middle * 1000) === previous) low = middle;
          else high = middle;
        }
        for (const delta of [-2000, -1000, -1, 0, 1, 999, 1000, 3_600_000]) check(high * 1000 + delta);
      }
      if ((day / 86_400_000) % 10 === 0) check(day + 43_200_000);
      previous = offset;
    }
    expect(wrong).toEqual([]);
  });
});
