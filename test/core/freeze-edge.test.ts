import { describe, expect, it } from 'vitest';
import { earliestDeployStart, freezeIntervals, freezeStatus } from '../../src/core/freeze-windows.js';
import type { FreezeWindow } from '../../src/core/types.js';

const T = new Date('2026-06-01T00:00:00Z');
const HOUR = 3_600_000;

function rrule(rule: string, durationMs = HOUR): FreezeWindow[] {
  return [{ kind: 'rrule', name: 'r', rrule: rule, durationMs, timezone: 'UTC' }];
}

describe('odd recurrences never hang the gate', () => {
  it.each([
    'FREQ=DAILY;BYYEARDAY=366;BYMONTH=2',
    'FREQ=HOURLY;BYYEARDAY=366;BYMONTH=2',
    'FREQ=YEARLY;BYYEARDAY=366;BYMONTH=1',
  ])('%s (days that never come) answers at once with no freeze', (rule) => {
    expect(freezeStatus(rrule(rule), T)).toEqual({ frozen: false, window: null, until: null, next: null });
  });

  it('refuses an hourly INTERVAL that never reaches its BYHOUR', () => {
    expect(() => freezeStatus(rrule('FREQ=HOURLY;INTERVAL=24;BYHOUR=5'), T)).toThrow(
      'Freeze window "r": rrule "FREQ=HOURLY;INTERVAL=24;BYHOUR=5" never occurs: its INTERVAL never reaches the times BYHOUR, BYMINUTE or BYSECOND allow.',
    );
    expect(freezeStatus(rrule('FREQ=HOURLY;INTERVAL=24;BYHOUR=0'), T)).toMatchObject({
      frozen: true,
      until: new Date('2026-06-01T01:00:00Z'),
    });
  });

  it('refuses COUNT, which has no DTSTART to count from (fail closed rather than no freeze)', () => {
    expect(() => freezeStatus(rrule('FREQ=WEEKLY;COUNT=3;BYDAY=FR;BYHOUR=18'), T)).toThrow(
      'Freeze window "r": rrule "FREQ=WEEKLY;COUNT=3;BYDAY=FR;BYHOUR=18" has COUNT, which needs a DTSTART to count from; end the recurrence with UNTIL instead.',
    );
  });

  it('a freeze of back-to-back minutely windows leaves no deploy start within the horizon, quickly', () => {
    expect(earliestDeployStart(rrule('FREQ=MINUTELY', 60_000), T, 2_000)).toBeNull();
    const status = freezeStatus(rrule('FREQ=MINUTELY', 60_000), T);
    expect(status).toMatchObject({ frozen: true, window: 'r', next: null });
    expect(status.until!.getTime() - T.getTime()).toBeGreaterThan(400 * 24 * HOUR);
  });
});

describe('recurrences with an INTERVAL give the same occurrences wherever the look-up starts', () => {
  it.each([
    'FREQ=MINUTELY;INTERVAL=7;BYMINUTE=5',
    'FREQ=HOURLY;INTERVAL=5;BYHOUR=3,13;BYMINUTE=5',
    'FREQ=SECONDLY;INTERVAL=7;BYSECOND=5',
    'FREQ=DAILY;INTERVAL=3;BYHOUR=9',
  ])('%s', (rule) => {
    const w = rrule(rule, 1_000);
    const starts = (from: string, to: string) =>
      freezeIntervals(w, new Date(from), new Date(to)).map((i) => i.start.toISOString());
    const wide = starts('2026-06-01T00:00:00Z', '2026-06-20T00:00:00Z');
    expect(wide.length).toBeGreaterThan(0);
    for (const from of ['2026-06-03T01:17:00Z', '2026-06-11T13:00:00Z', '2026-06-18T23:59:00Z']) {
      expect(starts(from, '2026-06-20T00:00:00Z')).toEqual(wide.filter((start) => start >= from));
    }
    // And the next freeze named by freezeStatus is the first of those.
    expect(freezeStatus(w, new Date('2026-06-11T13:00:00Z')).next?.start.toISOString()).toBe(
      wide.find((start) => start > '2026-06-11T13:00:00Z'),
    );
  });

  it('refuses a minutely INTERVAL with BYHOUR, whose times would depend on where the look-up starts', () => {
    expect(() => freezeStatus(rrule('FREQ=MINUTELY;INTERVAL=7;BYHOUR=3;BYMINUTE=5'), T)).toThrow(
      'Freeze window "r": rrule "FREQ=MINUTELY;INTERVAL=7;BYHOUR=3;BYMINUTE=5" combines INTERVAL with BYHOUR or BYMINUTE on a minutely or secondly rule, whose times then depend on a DTSTART; use FREQ=DAILY with BYHOUR and BYMINUTE instead.',
    );
  });
});

describe('a freeze that does not end within the horizon', () => {
  it('is frozen until past the horizon, with no next freeze', () => {
    const always: FreezeWindow[] = [
      { kind: 'daily', name: 'always', days: [], start: '00:00', end: '00:00', timezone: 'UTC' },
    ];
    const status = freezeStatus(always, T);
    expect(status).toMatchObject({ frozen: true, window: 'always', next: null });
    expect(status.until!.getTime() - T.getTime()).toBeGreaterThan(400 * 24 * HOUR);
    expect(earliestDeployStart(always, T, 0)).toBeNull();
  });
});
