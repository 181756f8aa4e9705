/** Looking up the occurrences of a policy's windows, bounded per answer, and following merged freezes. */

import { DAY_MS, HOUR_MS } from '../local-time.js';
import type { FreezeWindow } from '../types.js';
import { compile } from './compile.js';
import { DEFAULT_HORIZON_DAYS, FreezeWindowError, MAX_LOOKUP_DAYS, type Occurrence, type Source } from './engine.js';

export function byStart(a: Occurrence, b: Occurrence): number {
  return a.start - b.start || a.source.index - b.source.index;
}

/**
 * Occurrences one answer (a decision's freeze rule, a status, a calendar) may look at in
 * all: past it the answer is refused (fail closed) instead of taking seconds. A year of a
 * daily window is 400, a month of an hourly one 720; one look-up of the densest rule the
 * engine follows gives 50,000.
 */
const MAX_OCCURRENCES_PER_ANSWER = 250_000;

/** The windows of one answer and the occurrences it has looked at so far. */
export interface Lookup {
  sources: readonly Source[];
  looked: number;
}

export function lookup(windows: readonly FreezeWindow[]): Lookup {
  return { sources: compile(windows), looked: 0 };
}

export function collect(
  lookup: Lookup,
  from: number,
  to: number,
  sources: readonly Source[] = lookup.sources,
): Occurrence[] {
  if (!(to - from <= MAX_LOOKUP_DAYS * DAY_MS)) {
    throw new RangeError(
      `a freeze look-up from ${new Date(from).toISOString()} to ${to} ms is longer than the ${MAX_LOOKUP_DAYS} days the engine covers`,
    );
  }
  const out: Occurrence[] = [];
  for (const source of sources) {
    source.engine.collect(from, to, source, out);
    if (lookup.looked + out.length > MAX_OCCURRENCES_PER_ANSWER) {
      throw new FreezeWindowError(
        source.name,
        `the freeze windows give more than ${MAX_OCCURRENCES_PER_ANSWER} occurrences to look at for one answer (${out.length} in one look-up, this window's included); use fewer or less frequent windows, or a shorter deployDuration`,
      );
    }
  }
  lookup.looked += out.length;
  return out;
}

/** The latest of the ends of `values` (a loop: a spread of many arguments overflows the stack). */
export function latestEnd(occurrences: readonly Occurrence[], from = -Infinity): number {
  let end = from;
  for (const occurrence of occurrences) if (occurrence.end > end) end = occurrence.end;
  return end;
}

/**
 * The latest end of an occurrence of `source` that meets `[from, to)`, or null when none
 * does. Searched from `to` backwards in growing chunks: a crowded range (a week of
 * one-second freezes every minute) costs only the part near its end.
 */
export function latestEndIn(lookup: Lookup, source: Source, from: number, to: number): number | null {
  let chunk = HOUR_MS;
  for (;;) {
    const low = Math.max(from, to - chunk);
    // Every occurrence found ends after `low`; one not found ends at or before it.
    const found = collect(lookup, low, to, [source]);
    if (found.length > 0) return latestEnd(found);
    if (low === from) return null;
    chunk *= 4;
  }
}

/** A freeze followed through more occurrences than this is treated as not ending (fail closed). */
const MAX_FOLLOWED_OCCURRENCES = 20_000;

/**
 * The end of the merged freeze that runs through instant `end`, followed at most to `limit`
 * (a result past `limit` means the freeze does not end within it). Looks ahead in growing
 * chunks, so a chain of many short back-to-back occurrences costs one look-up per chunk.
 */
export function followForward(
  lookup: Lookup,
  end: number,
  limit: number,
  members?: Occurrence[] | Set<Source>,
): number {
  if (!Number.isFinite(end)) throw new Error(`Cannot follow a freeze from an invalid time (${end}).`);
  let current = end;
  let chunk = HOUR_MS;
  let followed = 0;
  while (current <= limit) {
    const chunkEnd = current + chunk;
    const found = collect(lookup, current, chunkEnd).sort(byStart);
    for (const occurrence of found) {
      if (occurrence.start > current) return current;
      if (members instanceof Set) members.add(occurrence.source);
      else members?.push(occurrence);
      if (occurrence.end > current) current = occurrence.end;
    }
    followed += found.length;
    if (followed > MAX_FOLLOWED_OCCURRENCES) return Math.max(current, limit + 1);
    // Nothing in the chunk covers `current`: the freeze ends there.
    if (current < chunkEnd) return current;
    chunk = Math.min(chunk * 4, 32 * DAY_MS);
  }
  return current;
}

/** The start of the merged freeze that runs through instant `start`, followed at most to `limit`. */
export function followBackward(lookup: Lookup, start: number, limit: number, members?: Occurrence[]): number {
  let current = start;
  while (current >= limit) {
    const touching = collect(lookup, current - 1, current).filter((occurrence) => occurrence.start < current);
    if (touching.length === 0) break;
    for (const occurrence of touching) {
      members?.push(occurrence);
      if (occurrence.start < current) current = occurrence.start;
    }
  }
  return current;
}

export function toTime(value: Date, what: string): number {
  const time = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(time)) throw new TypeError(`${what} is not a valid Date.`);
  return time;
}

export function namesInPolicyOrder(occurrences: readonly Occurrence[]): string[] {
  return sourceNames(new Set(occurrences.map((occurrence) => occurrence.source)));
}

export function sourceNames(sources: ReadonlySet<Source>): string[] {
  return [...new Set([...sources].sort((a, b) => a.index - b.index).map((source) => source.name))];
}

/** The earliest occurrence start strictly after `after`, with the window it belongs to. */
export function nextStart(lookup: Lookup, after: number): Occurrence | null {
  let best: Occurrence | null = null;
  const scanned: Source[] = [];
  for (const source of lookup.sources) {
    const direct = source.engine.directNextStart?.(after);
    if (direct === undefined) scanned.push(source);
    else if (direct !== null && (best === null || direct < best.start)) best = { start: direct, end: direct, source };
  }
  // Each window is looked ahead in growing chunks: a near occurrence costs little, even of a
  // window that recurs every minute, and a far one is still found within the window's horizon.
  for (const source of scanned) {
    const limit = after + source.engine.horizonDays * DAY_MS;
    let from = after;
    let chunk = HOUR_MS;
    while (from < limit && (best === null || from <= best.start)) {
      const to = Math.min(from + chunk, limit);
      let found: Occurrence | null = null;
      for (const occurrence of collect(lookup, from, to, [source])) {
        if (occurrence.start > after && (found === null || occurrence.start < found.start)) found = occurrence;
      }
      if (found !== null) {
        if (best === null || byStart(found, best) < 0) best = found;
        break;
      }
      from = to;
      chunk = Math.min(chunk * 4, DEFAULT_HORIZON_DAYS * DAY_MS);
    }
  }
  return best;
}
