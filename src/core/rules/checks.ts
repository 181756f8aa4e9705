import type { EvaluationContext, GateRule, ResultOf } from './rule.js';
import type { CheckFact, EnvironmentPolicy, ReleaseFacts, RequiredCheck } from '../types.js';

/** Check conclusions that count as passed. */
const PASSING_CONCLUSIONS = new Set(['success', 'neutral', 'skipped']);

/** The codes of the checksRule's results. */
export type ChecksCode = 'CHECKS_OK' | 'CHECKS_PENDING' | 'CHECKS_FAILED';

/** What every result of the checks rule carries: the required checks (as labels), and each one's state. */
export type ChecksValues = {
  required: string[];
  passed: string[];
  /** Each with why: `build (not reported)`, `build (in progress)`. */
  pending: string[];
  /** Each with its conclusion: `build (failure)`. */
  failed: string[];
};

/** The results of the checks rule. */
export type ChecksResult = ResultOf<ChecksCode, Record<ChecksCode, ChecksValues>>;

/** Every check in `requiredChecks` concluded successfully, reported by the source the policy names. */
export const checksRule: GateRule<ChecksCode, Record<ChecksCode, ChecksValues>> = {
  name: 'checks',
  codes: ['CHECKS_OK', 'CHECKS_PENDING', 'CHECKS_FAILED'],
  keys: ['requiredChecks'],
  applies: (c) => c.stage.requiredChecks.length > 0,
  facts: () => ['checks'],
  evaluate: (c: EvaluationContext) => checks(c.stage, c.facts),
};

/** A required check named for a reader: `build`, `build (check run by github-actions)`, `ci/jenkins (status by jenkins-bot)`. */
export function requiredCheckLabel(c: RequiredCheck): string {
  if (c.status) return `${c.name} (status by ${c.creator ?? 'nobody named'})`;
  if (c.workflow !== undefined) return `${c.name} (job of ${c.workflow})`;
  if (c.app !== undefined) return `${c.name} (check run by ${c.app})`;
  return c.name;
}

/**
 * Whether a report of a check comes from the source the policy names: a plain name takes a
 * check run of any GitHub App (only an App can create one), never a commit status, which
 * anyone with write access can post; a status counts only from its named creator.
 */
export function fromSource(c: RequiredCheck, f: CheckFact): boolean {
  if (f.name !== c.name) return false;
  if (c.status)
    return f.kind === 'status' && c.creator !== undefined && f.creator?.toLowerCase() === c.creator.toLowerCase();
  if (f.kind !== 'check_run') return false;
  if (c.app !== undefined && f.app !== c.app) return false;
  return c.workflow === undefined || f.workflow === c.workflow;
}

/** A report that does not count, named for a reader: `a commit status by mallory`. */
function otherSource(f: CheckFact): string {
  if (f.kind === 'status') return `a commit status by ${f.creator ?? 'someone unknown'}`;
  if (f.workflow) return `a job of ${f.workflow}`;
  return `a check run by ${f.app ?? 'an unknown App'}`;
}

function checks(stage: EnvironmentPolicy, facts: ReleaseFacts): ChecksResult {
  const failed: string[] = [];
  const pending: string[] = [];
  const passed: string[] = [];
  for (const entry of stage.requiredChecks) {
    const label = requiredCheckLabel(entry);
    const runs = facts.checks.filter((c) => fromSource(entry, c));
    if (runs.length === 0) {
      const others = [...new Set(facts.checks.filter((c) => c.name === entry.name).map(otherSource))];
      pending.push(
        others.length === 0
          ? `${label} (not reported)`
          : `${label} (not reported by it; ${others.join(', ')} does not count)`,
      );
      continue;
    }
    // The last report of a check is its current state (a re-run replaces a failure).
    const c = runs[runs.length - 1]!;
    if (c.status !== 'completed') pending.push(`${label} (${c.status.replace('_', ' ')})`);
    else if (PASSING_CONCLUSIONS.has(c.conclusion ?? '')) passed.push(label);
    else failed.push(`${label} (${c.conclusion ?? 'no conclusion'})`);
  }
  const values: ChecksValues = { required: stage.requiredChecks.map(requiredCheckLabel), passed, pending, failed };
  if (failed.length > 0) {
    return {
      code: 'CHECKS_FAILED',
      rule: 'checks',
      ok: false,
      outcome: 'block',
      message: `Required checks failed: ${failed.join(', ')}.`,
      values,
    };
  }
  if (pending.length > 0) {
    return {
      code: 'CHECKS_PENDING',
      rule: 'checks',
      ok: false,
      outcome: 'wait',
      message: `Waiting for required checks: ${pending.join(', ')}.`,
      values,
      clearsAt: null,
    };
  }
  return {
    code: 'CHECKS_OK',
    rule: 'checks',
    ok: true,
    outcome: 'pass',
    message: `Required checks passed: ${passed.join(', ')}.`,
    values,
  };
}
