/** Compilation of freeze windows into engines (cached: a policy's windows are evaluated again and again). */

import type { FreezeWindow } from '../types.js';
import { DailyEngine } from './daily-engine.js';
import { FreezeWindowError, type Engine, type Source } from './engine.js';
import { RangeEngine } from './range-engine.js';
import { RRuleEngine } from './rrule-engine.js';

const engines = new Map<string, Engine>();
const ENGINE_CACHE_LIMIT = 512;

function engineKey(window: FreezeWindow, name: string): string {
  switch (window?.kind) {
    case 'daily':
      return JSON.stringify(['daily', name, window.timezone, window.start, window.end, window.days]);
    case 'range':
      return JSON.stringify(['range', name, window.timezone, window.from, window.to]);
    case 'rrule':
      return JSON.stringify(['rrule', name, window.timezone, window.rrule, window.durationMs]);
    default:
      return '';
  }
}

export function compile(windows: readonly FreezeWindow[]): Source[] {
  if (!Array.isArray(windows)) throw new TypeError('Freeze windows must be an array.');
  return windows.map((window, index) => {
    const name = typeof window?.name === 'string' && window.name !== '' ? window.name : `#${index + 1}`;
    const key = engineKey(window, name);
    let engine = key === '' ? undefined : engines.get(key);
    if (engine === undefined) {
      engine = newEngine(window, name);
      if (engines.size >= ENGINE_CACHE_LIMIT) engines.clear();
      engines.set(key, engine);
    }
    return { index, name, engine };
  });
}

function newEngine(window: FreezeWindow, name: string): Engine {
  switch (window?.kind) {
    case 'daily':
      return new DailyEngine(window, name);
    case 'range':
      return new RangeEngine(window, name);
    case 'rrule':
      return new RRuleEngine(window, name);
    default:
      throw new FreezeWindowError(
        name,
        `kind "${String((window as { kind?: unknown } | undefined)?.kind)}" is not one of daily, range, rrule.`,
      );
  }
}

/**
 * Why the engine cannot use a window, as a message without the window's name, or null when
 * it can. The policy loader calls this so that a policy the engine would refuse at
 * evaluation time is already invalid when it is loaded.
 */
export function checkFreezeWindow(window: FreezeWindow): string | null {
  try {
    newEngine(window, window.name);
    return null;
  } catch (error) {
    if (error instanceof FreezeWindowError) return error.message.replace(/^Freeze window "[^"]*": /, '');
    throw error;
  }
}
