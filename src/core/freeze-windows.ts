/**
 * Freeze windows: when a stage must not be deployed to (the `freeze` rule).
 *
 * Every window is computed in its own time zone. Start instants are inclusive, end
 * instants exclusive. DST rules (see `local-time.ts`):
 * - a wall-clock time skipped by a spring-forward change moves to the first instant after
 *   the gap (the instant of the change);
 * - a wall-clock time that occurs twice (fall-back) starts a window at its FIRST
 *   occurrence and ends a window at its SECOND occurrence, so a window is never shortened;
 * - a daily window that lies wholly inside a spring-forward gap does not happen that day.
 *
 * Overlapping and back-to-back windows merge into one freeze.
 */
import { DAY_MS } from './local-time.js';
import type { FreezeWindow } from './types.js';
import { DEFAULT_HORIZON_DAYS, type Occurrence } from './freeze/engine.js';
import {
  byStart,
  collect,
  followBackward,
  followForward,
  latestEnd,
  lookup,
  namesInPolicyOrder,
  nextStart,
  toTime,
} from './freeze/lookup.js';

export { checkFreezeWindow } from './freeze/compile.js';
export { earliestDeployStart } from './freeze/earliest-start.js';
export { DEFAULT_HORIZON_DAYS, FreezeWindowError } from './freeze/engine.js';

/** A merged freeze: `[start, end)` and the names of the windows it is made of (policy order). */
export interface FreezeInterval {
  start: Date;
  end: Date;
  windows: string[];
}

/** Whether `t` is frozen, until when, and which freeze comes next. */
export interface FreezeStatus {
  frozen: boolean;
  /** The window covering `t`: the one that started first; on a tie, the first listed in the policy. */
  window: string | null;
  /**
   * End of the merged freeze covering `t` (null when not frozen). A freeze still running
   * {@link DEFAULT_HORIZON_DAYS} days after `t` reports an instant past that horizon, and
   * no `next`.
   */
  until: Date | null;
  /** The next freeze starting after `t` (after `until` when frozen); `end` is its merged end. */
  next: { window: string; start: Date; end: Date } | null;
}

/**
 * The merged freezes (overlapping and back-to-back windows merge) that intersect
 * `[from, to)`. Each is reported whole, even where it reaches beyond `from` or `to`; a
 * freeze is followed at most {@link DEFAULT_HORIZON_DAYS} days beyond the range.
 */
export function freezeIntervals(windows: FreezeWindow[], from: Date, to: Date): FreezeInterval[] {
  const fromMs = toTime(from, 'from');
  const toMs = toTime(to, 'to');
  const windowsLookup = lookup(windows);
  if (toMs <= fromMs) return [];
  const occurrences = collect(windowsLookup, fromMs, toMs).sort(byStart);
  if (occurrences.length === 0) return [];

  const horizon = DEFAULT_HORIZON_DAYS * DAY_MS;
  const first = occurrences[0] as Occurrence;
  followBackward(windowsLookup, first.start, fromMs - horizon, occurrences);
  followForward(windowsLookup, latestEnd(occurrences), toMs + horizon, occurrences);
  occurrences.sort(byStart);

  const merged: Array<{ start: number; end: number; members: Occurrence[] }> = [];
  for (const occurrence of occurrences) {
    const last = merged.at(-1);
    if (last !== undefined && occurrence.start <= last.end) {
      last.end = Math.max(last.end, occurrence.end);
      last.members.push(occurrence);
    } else {
      merged.push({ start: occurrence.start, end: occurrence.end, members: [occurrence] });
    }
  }
  return merged.map((interval) => ({
    start: new Date(interval.start),
    end: new Date(interval.end),
    windows: namesInPolicyOrder(interval.members),
  }));
}

/**
 * Whether instant `t` falls in a freeze, when that (merged) freeze ends, and the next
 * freeze after it. Windows that started before `t` are found (a daily window that began
 * yesterday, a long recurrence, a multi-week range); the next freeze is looked for
 * {@link DEFAULT_HORIZON_DAYS} days ahead (8 years for yearly and monthly recurrences,
 * any distance for ranges).
 */
export function freezeStatus(windows: FreezeWindow[], t: Date): FreezeStatus {
  const at = toTime(t, 't');
  const windowsLookup = lookup(windows);
  const limit = at + DEFAULT_HORIZON_DAYS * DAY_MS;
  const covering = collect(windowsLookup, at, at + 1).sort(byStart);
  const first = covering[0];
  let until: number | null = null;
  if (first !== undefined) until = followForward(windowsLookup, latestEnd(covering), limit);
  // A freeze still running at the horizon has no "next" we could name.
  const upcoming = until !== null && until > limit ? null : nextStart(windowsLookup, until ?? at);
  let next: FreezeStatus['next'] = null;
  if (upcoming !== null) {
    const starting = collect(windowsLookup, upcoming.start, upcoming.start + 1);
    const end = followForward(
      windowsLookup,
      latestEnd(starting, upcoming.end),
      upcoming.start + DEFAULT_HORIZON_DAYS * DAY_MS,
    );
    next = { window: upcoming.source.name, start: new Date(upcoming.start), end: new Date(end) };
  }
  return {
    frozen: first !== undefined,
    window: first?.source.name ?? null,
    until: until === null ? null : new Date(until),
    next,
  };
}
