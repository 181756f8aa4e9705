import type { RepoPolicy } from '../../github/policy-source.js';
import type { GitHubClient, RepoRef } from '../../github/types.js';
import type { PromotionRequestedVia } from '../../store/types.js';

/** A person's role on a repository, from their GitHub permission (see {@link roleOfPermission}). */
export type Role = 'admin' | 'approver' | 'viewer';

/** What the actions ask about people; the console answers from a short cache, the comment commands from GitHub. */
export interface People {
  /** The person's role on the repository, or null when they have no access. */
  roleOf(login: string): Promise<Role | null>;
  /** True when the person is an active member of one of the teams (slugs of the repository's org, or `org/slug`). */
  inAnyTeam(teams: readonly string[], login: string): Promise<boolean>;
}

/** The repository an action is taken on, as the App's installation sees it. */
export interface ActionRepo extends RepoRef {
  installationId: number;
  defaultBranch?: string;
}

/**
 * One person acting on one repository, through one front end: the console (`console`) or a
 * pull request comment (`command`). Every action checks the person's role itself, whatever
 * the front end showed them.
 */
export interface ActionScope {
  repo: ActionRepo;
  octokit: GitHubClient;
  people: People;
  /** The policy in force on the default branch (the console keeps it a minute). */
  policy(): Promise<RepoPolicy>;
  actor: {
    login: string;
    via: PromotionRequestedVia;
    /** The webhook delivery of a comment command. */
    deliveryId?: string | null;
  };
}

/** Why an action was refused, as a stable code the API and the comment replies share. */
export type RefusalCode =
  | 'forbidden'
  | 'policy_invalid'
  | 'invalid_field'
  | 'nothing_waiting'
  | 'own_release'
  | 'deployer'
  | 'not_in_team'
  | 'not_counted'
  | 'awaiting_confirmation'
  | 'last_stage'
  | 'promotion_order'
  | 'gate_blocked';

/** How a refusal is answered: forbidden (403), in conflict with the release's state (409), or a request that cannot count (422). */
export type RefusalKind = 'forbidden' | 'conflict' | 'unprocessable';

/**
 * An action's answer: done, unchanged (the same action was taken already; nothing was done
 * again), or refused (nothing was done), each with the sentence a person reads.
 */
export type ActionAnswer<T> =
  | { outcome: 'done'; message: string; result: T }
  | { outcome: 'unchanged'; message: string; result: T }
  | { outcome: 'refused'; kind: RefusalKind; code: RefusalCode; message: string; details?: unknown };

/** A refused answer. */
export function refused(
  kind: RefusalKind,
  code: RefusalCode,
  message: string,
  details?: unknown,
): Extract<ActionAnswer<never>, { outcome: 'refused' }> {
  return { outcome: 'refused', kind, code, message, ...(details === undefined ? {} : { details }) };
}

/** A gate looked at again after an action, as the answers report it. */
export interface GateOutcome {
  environment: string | null;
  decision: string | null;
  answer: string | null;
}

/** One action as the viewer could take it here: whether they may, whether it would count, and why. */
export interface ActionOption {
  /** The viewer may take it (role, teams, something to act on); the App would not refuse it. */
  allowed: boolean;
  /** Taking it would change the gate's decision's inputs as intended (an approval counted, an override in force). */
  counts: boolean;
  reason: string;
}
