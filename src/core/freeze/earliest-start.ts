import type { FreezeWindow } from '../types.js';
import { DAY_MS, HOUR_MS } from '../local-time.js';
import { DEFAULT_HORIZON_DAYS, type Source } from './engine.js';
import { collect, followForward, latestEndIn, lookup, sourceNames, toTime } from './lookup.js';

/** earliestDeployStart gives up (fail closed) after this many freezes in a row. */
const MAX_DEPLOY_STEPS = 5_000;

/**
 * The earliest instant `s >= t` at which a deploy lasting `durationMs` can start without
 * overlapping any freeze, i.e. `[s, s + durationMs)` meets no window (a deploy of zero
 * duration still needs `s` itself to be free). `blockedBy` names the windows of the
 * freezes that pushed the start later (every window of a merged freeze), in policy order.
 * Null when no such instant exists within `horizonDays` of `t` (the gate fails closed).
 */
export function earliestDeployStart(
  windows: FreezeWindow[],
  t: Date,
  durationMs: number,
  horizonDays: number = DEFAULT_HORIZON_DAYS,
): { start: Date; blockedBy: string[] } | null {
  const at = toTime(t, 't');
  if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0) {
    throw new RangeError(`durationMs must be a finite number of milliseconds, at least 0, not ${String(durationMs)}.`);
  }
  if (typeof horizonDays !== 'number' || !(horizonDays >= 0) || !Number.isFinite(horizonDays)) {
    throw new RangeError(`horizonDays must be a finite number of days, at least 0, not ${String(horizonDays)}.`);
  }
  const windowsLookup = lookup(windows);
  const limit = at + horizonDays * DAY_MS;
  // A deploy longer than the horizon cannot be shown to fit (fail closed), and looking at
  // its whole span would cost work in proportion to it: a policy that predates the loader's
  // cap on deployDuration (`2500000000h`) is answered at once, not after gigabytes.
  if (durationMs > DEFAULT_HORIZON_DAYS * DAY_MS)
    return windowsLookup.sources.length === 0 ? { start: new Date(at), blockedBy: [] } : null;
  const span = Math.max(durationMs, 1);
  const blockers = new Set<Source>();
  let start = at;
  for (let step = 0; step < MAX_DEPLOY_STEPS && start <= limit; step++) {
    // A deploy that starts before the latest end of what it meets meets that occurrence:
    // only that end matters. A deploy of an hour or less is looked at whole; a longer one
    // window by window, from its end back, so a crowded week costs only its last part.
    let end = -Infinity;
    if (span <= HOUR_MS) {
      for (const occurrence of collect(windowsLookup, start, start + span)) {
        blockers.add(occurrence.source);
        if (occurrence.end > end) end = occurrence.end;
      }
    } else {
      for (const source of windowsLookup.sources) {
        const latest = latestEndIn(windowsLookup, source, start, start + span);
        if (latest === null) continue;
        blockers.add(source);
        if (latest > end) end = latest;
      }
    }
    if (end === -Infinity) return { start: new Date(start), blockedBy: sourceNames(blockers) };
    start = followForward(windowsLookup, end, limit, blockers);
  }
  return null;
}
