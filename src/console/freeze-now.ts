import { runWithinBudget } from '../budget/pool.js';
import type { Policy } from '../core/types.js';
import type { ConsoleReader } from './console-reader.js';
import type { FreezeNowView, Viewer } from './views.js';

/** How far ahead the board announces the next freeze. */
const AHEAD_MS = 7 * 86_400_000;

/**
 * The freeze in force now in each stage (whole, with its end), else the next one within a
 * week, worked out in the evaluation pool within its budget. A stage whose calendar cannot
 * be worked out is left out (the repository page says why).
 */
export async function freezesNow(svc: ConsoleReader, policy: Policy, viewer: Viewer): Promise<FreezeNowView[]> {
  const now = svc.now();
  const out = await Promise.all(
    policy.environments
      .filter((s) => s.freezeWindows.length > 0)
      .map(async (stage): Promise<FreezeNowView | null> => {
        const outcome = await runWithinBudget(
          { kind: 'freeze-intervals', windows: stage.freezeWindows, from: now, to: new Date(now.getTime() + AHEAD_MS) },
          svc.deps.evaluationBudget,
          'background',
        );
        if (!outcome.ok) return null;
        const first = outcome.value[0];
        if (!first) return null;
        const zones = [...new Set(stage.freezeWindows.map((w) => w.timezone))];
        return {
          stage: stage.name,
          windows: first.windows,
          active: first.start.getTime() <= now.getTime() && now.getTime() < first.end.getTime(),
          start: svc.zoned(first.start.toISOString(), zones, viewer.timeZone),
          end: svc.zoned(first.end.toISOString(), zones, viewer.timeZone),
        };
      }),
  );
  return out.filter((f): f is FreezeNowView => f !== null);
}
