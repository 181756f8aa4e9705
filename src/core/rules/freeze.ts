import type { EvaluationContext, GateRule, ResultOf } from './rule.js';
import { FreezeWindowError, earliestDeployStart } from '../freeze-windows.js';
import type { EnvironmentPolicy } from '../types.js';

/** The codes of the freezeRule's results. */
export type FreezeCode = 'FREEZE_CLEAR' | 'FREEZE_WINDOW_ACTIVE' | 'FREEZE_WINDOW_INVALID';

/** What every result of the freeze rule carries: the instant judged, the deploy's length and the stage's windows. */
type FreezeBase = { at: string; deployDurationMinutes: number; windows: string[] };

/** What each code of the freeze rule carries in `values`. */
export type FreezeValues = {
  FREEZE_CLEAR: FreezeBase;
  /** A wait names the windows it waits on and when they end; a block (no room in the coming year) names none. */
  FREEZE_WINDOW_ACTIVE: FreezeBase & { blockedBy?: string[]; until?: string };
  /** The window the engine cannot follow. */
  FREEZE_WINDOW_INVALID: FreezeBase & { window: string };
};

/** The results of the freeze rule. */
export type FreezeResult = ResultOf<FreezeCode, FreezeValues>;

/** No freeze window of the stage is open, or opens before a deploy of `deployDuration` ends. */
export const freezeRule: GateRule<FreezeCode, FreezeValues> = {
  name: 'freeze',
  codes: ['FREEZE_CLEAR', 'FREEZE_WINDOW_ACTIVE', 'FREEZE_WINDOW_INVALID'],
  keys: ['freezeWindows', 'deployDuration'],
  applies: (c) => c.stage.freezeWindows.length > 0,
  facts: () => [],
  evaluate: (c: EvaluationContext) => freeze(c.stage, c.now),
};

function freeze(stage: EnvironmentPolicy, now: Date): FreezeResult {
  const windows = stage.freezeWindows;
  const describe = (names: readonly string[]) => names.join(', ');
  const values: FreezeBase = {
    at: now.toISOString(),
    deployDurationMinutes: stage.deployDurationMs / 60_000,
    windows: windows.map((w) => w.name),
  };
  let clear: ReturnType<typeof earliestDeployStart>;
  try {
    clear = earliestDeployStart(windows, now, stage.deployDurationMs);
  } catch (error) {
    // A window the engine cannot follow: the gate cannot know whether it is frozen.
    if (!(error instanceof FreezeWindowError)) throw error;
    return {
      code: 'FREEZE_WINDOW_INVALID',
      rule: 'freeze',
      ok: false,
      outcome: 'block',
      message: `Promotion blocked: ${error.message}; the gate cannot tell whether ${stage.name} is frozen.`,
      values: { ...values, window: error.window },
    };
  }
  if (clear === null) {
    return {
      code: 'FREEZE_WINDOW_ACTIVE',
      rule: 'freeze',
      ok: false,
      outcome: 'block',
      message: `Promotion blocked: the freeze windows of ${stage.name} leave no room for a deploy in the coming year.`,
      values,
    };
  }
  if (clear.start.getTime() <= now.getTime()) {
    return {
      code: 'FREEZE_CLEAR',
      rule: 'freeze',
      ok: true,
      outcome: 'pass',
      message: `No freeze window of ${stage.name} is active${stage.deployDurationMs > 0 ? ` or starts within the ${values.deployDurationMinutes}-minute deploy` : ''}.`,
      values,
    };
  }
  const until = clear.start.toISOString();
  return {
    code: 'FREEZE_WINDOW_ACTIVE',
    rule: 'freeze',
    ok: false,
    outcome: 'wait',
    // A wait, not a block: the deployment is held and goes on when the window ends.
    message: `Promotion held: freeze window active for ${stage.name} (${describe(clear.blockedBy)}) until ${until}.`,
    values: { ...values, blockedBy: clear.blockedBy, until },
    clearsAt: until,
  };
}
