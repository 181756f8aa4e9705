import { describe, expect, it } from 'vitest';
import { editDistance, suggest } from '../../src/core/suggest.js';
import {
  parseDuration,
  validateDuration,
  validateLocalDateTime,
  validateRRule,
  validateTimeZone,
  validateWallClock,
} from '../../src/core/time-values.js';

describe('suggest', () => {
  it.each([
    ['minAprovals', ['minScore', 'minApprovals', 'approvals'], 'minApprovals'],
    ['tets', ['tests', 'coverage'], 'tests'],
    ['nmae', ['name', 'github'], 'name'],
    ['MINSCORE', ['minScore'], 'minScore'],
    ['freezeWindow', ['freezeWindows', 'refs'], 'freezeWindows'],
    ['zzz', ['tests', 'coverage'], undefined],
    ['Mars/Base', ['Europe/Berlin', 'America/Sao_Paulo', 'UTC'], undefined],
    ['ab', ['xy'], undefined],
  ])('suggest(%j) -> %j', (word, candidates, expected) => {
    expect(suggest(word, candidates)).toBe(expected);
  });

  it('prefers the closest candidate', () => {
    expect(suggest('secrity', ['security', 'secrets'])).toBe('security');
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('time values', () => {
  it.each([
    ['22:00', null],
    ['00:00', null],
    ['23:59:59', null],
    ['25:00', '"25:00" is not a time of day; expected HH:MM or HH:MM:SS (00:00 to 23:59:59)'],
    ['24:00', '"24:00" is not a time of day; expected HH:MM or HH:MM:SS (00:00 to 23:59:59)'],
    ['9:00', '"9:00" is not a time of day; expected HH:MM or HH:MM:SS (00:00 to 23:59:59)'],
    ['12:60', '"12:60" is not a time of day; expected HH:MM or HH:MM:SS (00:00 to 23:59:59)'],
  ])('validateWallClock(%j)', (value, expected) => {
    expect(validateWallClock(value)).toBe(expected);
  });

  it.each([
    ['2026-12-20T00:00', null],
    ['2028-02-29T08:00:30', null],
    ['2026-02-29T00:00', '"2026-02-29T00:00" is not a date: 2026-02 has 28 days'],
    [
      '2026-13-01T00:00',
      '"2026-13-01T00:00" is not a local date and time; expected YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS (a local date and time)',
    ],
    [
      '2026-12-20',
      '"2026-12-20" is not a local date and time; expected YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS (a local date and time)',
    ],
    [
      '2026-12-20T00:00Z',
      `"2026-12-20T00:00Z" has a UTC offset; write the local time without it (the window's timezone applies), e.g. "2026-12-20T00:00"`,
    ],
  ])('validateLocalDateTime(%j)', (value, expected) => {
    expect(validateLocalDateTime(value)).toBe(expected);
  });

  it.each([
    ['Europe/Berlin', null],
    ['UTC', null],
    ['America/Sao_Paulo', null],
    ['US/Eastern', null],
    ['Mars/Base', '"Mars/Base" is not an IANA time zone (e.g. "Europe/Berlin")'],
    ['+01:00', '"+01:00" is not an IANA time zone (e.g. "Europe/Berlin")'],
    ['utc', '"utc" is not an IANA time zone (e.g. "Europe/Berlin"); did you mean "UTC"?'],
    ['Europe/Berln', '"Europe/Berln" is not an IANA time zone (e.g. "Europe/Berlin"); did you mean "Europe/Berlin"?'],
  ])('validateTimeZone(%j)', (value, expected) => {
    expect(validateTimeZone(value)).toBe(expected);
  });

  it.each([
    ['FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=12;BYMINUTE=0', null],
    ['RRULE:FREQ=WEEKLY;BYDAY=FR;BYHOUR=18', null],
    ['FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24;COUNT=3', null],
    ['BYHOUR=12', '"BYHOUR=12" has no FREQ; expected an RFC 5545 rule like "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=12"'],
    [
      'FREQ=FORTNIGHTLY',
      '"FREQ=FORTNIGHTLY" has FREQ=FORTNIGHTLY; expected one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY, MINUTELY, SECONDLY',
    ],
    [
      'FREQ=DAILY;BYHOUR=25',
      '"FREQ=DAILY;BYHOUR=25" has BYHOUR=25; expected whole numbers from 0 to 23, separated by commas',
    ],
    [
      'FREQ=DAILY;BYHOURS=2',
      '"FREQ=DAILY;BYHOURS=2" has an unknown part "BYHOURS" (did you mean BYHOUR?); expected an RFC 5545 rule like "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=12"',
    ],
    [
      'FREQ=WEEKLY;BYDAY=FRI',
      '"FREQ=WEEKLY;BYDAY=FRI" has BYDAY=FRI; expected weekdays MO, TU, WE, TH, FR, SA, SU, optionally numbered like -1FR, separated by commas',
    ],
    [
      'DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY',
      `"DTSTART:20260101T000000Z\\nRRULE:FREQ=DAILY" must be a single RRULE without DTSTART (the window's timezone and the rule's BYHOUR/BYMINUTE set when it starts)`,
    ],
  ])('validateRRule(%j)', (value, expected) => {
    expect(validateRRule(value)).toBe(expected);
  });

  it.each([
    ['20m', 20 * 60_000],
    ['36h', 36 * 3_600_000],
    ['24h', 24 * 3_600_000],
    ['90s', 90_000],
    ['1d', 86_400_000],
    ['1h30m', 90 * 60_000],
    ['0s', 0],
  ])('parseDuration(%j)', (value, ms) => {
    expect(parseDuration(value)).toEqual({ ok: true, ms });
    expect(validateDuration(value)).toBeNull();
  });

  it.each(['', '20', '20 m', '30m1h', '1w', '-5m', '1.5h'])('parseDuration(%j) is an error', (value) => {
    expect(parseDuration(value)).toEqual({
      ok: false,
      error: `${JSON.stringify(value)} is not a duration like 90s, 20m, 36h, 1d or 1h30m`,
    });
  });
});
