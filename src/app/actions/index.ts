/**
 * The actions people take on a release, in one place for every front end (the console and
 * its API, the `/release-gate` comment commands): approve, reject, override (and confirm),
 * promote, and what a viewer can do here and whether it would count. Each action checks the
 * person's role and teams itself, records who took it, and is idempotent: the same action
 * taken twice is answered as unchanged. This file is the module's public entry: the console
 * imports nothing else of the App.
 */
import type { AppDeps } from '../gate.js';
import { actionsOpenTo } from './actions-open-to.js';
import type { ViewerActions } from './actions-open-to.js';
import { approve } from './approve.js';
import type { ApproveInput, ApproveResult } from './approve.js';
import { override } from './override.js';
import type { OverrideInput, OverrideResult } from './override.js';
import { promote } from './promote.js';
import type { PromoteInput, PromoteResult } from './promote.js';
import { reject } from './reject.js';
import { rollback } from './rollback.js';
import type { RollbackInput, RollbackResult } from './rollback.js';
import type { RejectInput, RejectResult } from './reject.js';
import type { ActionAnswer, ActionScope } from './types.js';

export type { ActionOption, ViewerActions } from './actions-open-to.js';
export type { ApproveInput, ApproveResult } from './approve.js';
export type { OverrideInput, OverrideResult } from './override.js';
export type { PromoteInput, PromoteResult } from './promote.js';
export type { RejectInput, RejectResult } from './reject.js';
export type { RollbackInput, RollbackResult } from './rollback.js';
export type {
  ActionAnswer,
  ActionRepo,
  ActionScope,
  GateOutcome,
  People,
  RefusalCode,
  RefusalKind,
  Role,
} from './types.js';
export { githubPeople, roleOfPermission } from './people.js';

/** The actions, bound to the App's record and gate. */
export interface ReleaseActions {
  approve(scope: ActionScope, input: ApproveInput): Promise<ActionAnswer<ApproveResult>>;
  reject(scope: ActionScope, input: RejectInput): Promise<ActionAnswer<RejectResult>>;
  override(scope: ActionScope, input: OverrideInput): Promise<ActionAnswer<OverrideResult>>;
  promote(scope: ActionScope, input: PromoteInput): Promise<ActionAnswer<PromoteResult>>;
  /** Deploys the last verified release of an environment after its latest verification failed. */
  rollback(scope: ActionScope, input: RollbackInput): Promise<ActionAnswer<RollbackResult>>;
  /** What the scope's actor can do to a release in a stage, and whether it would count, with the reasons. */
  actionsOpenTo(scope: ActionScope, query: { sha: string; stage?: string }): Promise<ViewerActions>;
}

/** The actions of one App process. */
export function createReleaseActions(deps: AppDeps): ReleaseActions {
  return {
    approve: (scope, input) => approve(deps, scope, input),
    reject: (scope, input) => reject(deps, scope, input),
    override: (scope, input) => override(deps, scope, input),
    promote: (scope, input) => promote(deps, scope, input),
    rollback: (scope, input) => rollback(deps, scope, input),
    actionsOpenTo: (scope, query) => actionsOpenTo(deps, scope, query),
  };
}
