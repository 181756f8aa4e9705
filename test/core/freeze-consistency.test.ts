import { describe, expect, it } from 'vitest';
import { earliestDeployStart, freezeIntervals, freezeStatus } from '../../src/core/freeze-windows.js';
import type { FreezeWindow } from '../../src/core/types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const POLICIES: Record<string, FreezeWindow[]> = {
  'Sao Paulo nightly, Berlin year-end, Lisbon month-end': [
    {
      kind: 'daily',
      name: 'nightly',
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      start: '22:00',
      end: '23:59',
      timezone: 'America/Sao_Paulo',
    },
    { kind: 'range', name: 'year-end', from: '2026-12-20T00:00', to: '2027-01-04T08:00', timezone: 'Europe/Berlin' },
    {
      kind: 'rrule',
      name: 'month-end close',
      rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=12;BYMINUTE=0',
      durationMs: 36 * HOUR,
      timezone: 'Europe/Lisbon',
    },
  ],
  'overlapping windows across DST zones': [
    {
      kind: 'daily',
      name: 'ny night',
      days: ['sat', 'sun'],
      start: '01:00',
      end: '03:00',
      timezone: 'America/New_York',
    },
    { kind: 'daily', name: 'lord howe', days: [], start: '01:45', end: '02:15', timezone: 'Australia/Lord_Howe' },
    { kind: 'daily', name: 'berlin', days: ['sun'], start: '02:30', end: '02:00', timezone: 'Europe/Berlin' },
    {
      kind: 'rrule',
      name: 'kolkata weekly',
      rrule: 'FREQ=WEEKLY;BYDAY=MO,TH;BYHOUR=5;BYMINUTE=30',
      durationMs: 5 * HOUR,
      timezone: 'Asia/Kolkata',
    },
  ],
};

describe.each(Object.entries(POLICIES))(
  'freezeStatus and earliestDeployStart agree with freezeIntervals: %s',
  (_name, policy) => {
    it('at 300 random instants of 2026 (both DST changes included)', () => {
      const next = random(20260101);
      const year = Date.UTC(2026, 0, 1);
      for (let i = 0; i < 300; i++) {
        const t = new Date(year + Math.floor((next() * 365 * DAY) / 1000) * 1000);
        const around = freezeIntervals(policy, new Date(t.getTime() - 3 * DAY), new Date(t.getTime() + 40 * DAY));
        const covering = around.find((f) => f.start <= t && t < f.end);
        const status = freezeStatus(policy, t);
        const context = `at ${t.toISOString()}`;
        expect(status.frozen, context).toBe(covering !== undefined);
        if (covering !== undefined) {
          expect(status.until?.toISOString(), context).toBe(covering.end.toISOString());
          expect(covering.windows, context).toContain(status.window);
        }
        const following = around.find((f) => f.start > t && (covering === undefined || f.start >= covering.end));
        if (following !== undefined) {
          expect(status.next?.start.toISOString(), context).toBe(following.start.toISOString());
          expect(status.next?.end.toISOString(), context).toBe(following.end.toISOString());
        }

        const duration = Math.floor(next() * 90) * MINUTE;
        const clear = earliestDeployStart(policy, t, duration);
        expect(clear, context).not.toBeNull();
        const s = clear!.start.getTime();
        expect(s, context).toBeGreaterThanOrEqual(t.getTime());
        const hits = (start: number) =>
          around.some((f) => f.start.getTime() < start + Math.max(duration, 1) && f.end.getTime() > start);
        expect(
          hits(s),
          `${context}: the deploy [${clear!.start.toISOString()}, +${duration / MINUTE}m) meets a freeze`,
        ).toBe(false);
        // Earliest: the start is t itself, or the end of a freeze (nothing earlier can work).
        if (s > t.getTime()) {
          expect(
            around.some((f) => f.end.getTime() === s),
            context,
          ).toBe(true);
          expect(hits(t.getTime()), context).toBe(true);
          const earlier = around.map((f) => f.end.getTime()).filter((e) => e > t.getTime() && e < s && !hits(e));
          expect(earlier, context).toEqual([]);
        }
        expect(clear!.blockedBy.length > 0, context).toBe(s > t.getTime());
      }
    });
  },
);
