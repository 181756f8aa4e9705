import { countApprovals } from './rules/shared.js';
import type { EnvironmentPolicy, ReleaseFacts } from './types.js';

/** Why an approval would not count, as a stable code: the person wrote or deploys the release, or is not in a team the stage names. */
export type ApprovalRefusal = 'own_release' | 'deployer' | 'not_in_team' | 'not_counted';

export type ApprovalVerdict =
  { counts: true; reason: string } | { counts: false; code: ApprovalRefusal; reason: string };

/**
 * Whether an approval `login` gives at `at` (a deployment review of the stage) would count
 * for the release, judged as the gate judges it (`countApprovals`): toward `minApprovals`, or
 * for a `requiredReviewers` entry of a team `login` is in. The release's facts are given, with
 * `memberOf` the teams of the stage that `login` is an active member of. Pure.
 */
export function approvalWouldCount(
  stage: EnvironmentPolicy,
  facts: ReleaseFacts,
  login: string,
  memberOf: readonly string[],
  at: Date,
): ApprovalVerdict {
  const teams: Record<string, string[]> = { ...facts.teams };
  for (const t of memberOf) teams[t] = [...(teams[t] ?? []), login];
  const asked: ReleaseFacts = {
    ...facts,
    teams,
    approvals: [
      ...facts.approvals,
      { login, source: 'deployment-review', state: 'APPROVED', submittedAt: at.toISOString() },
    ],
  };
  const { eligible, counted, notCounted } = countApprovals(stage, asked);
  const me = login.toLowerCase();
  if (counted.some((a) => a.login.toLowerCase() === me))
    return { counts: true, reason: `Your approval counts for ${stage.name}.` };
  // Not toward minApprovals, but a requiredReviewers entry takes the eligible approvals of its own teams.
  const reviewing = stage.requiredReviewers.flatMap((r) => r.teams).filter((t) => memberOf.includes(t));
  if (reviewing.length > 0 && eligible.some((a) => a.login.toLowerCase() === me))
    return {
      counts: true,
      reason: `Your approval counts for ${stage.name} as a review by ${[...new Set(reviewing)].join(', ')} (requiredReviewers).`,
    };
  const why = notCounted.find((n) => n.login.toLowerCase() === me)?.reason ?? 'the gate does not count it';
  const code: ApprovalRefusal =
    why === 'deployer of the release'
      ? 'deployer'
      : why === 'author of the change' || why.startsWith('contributor')
        ? 'own_release'
        : why.startsWith('not a member')
          ? 'not_in_team'
          : 'not_counted';
  const policyKey = code === 'not_in_team' ? 'approvals.fromTeams' : 'approvals.excludeAuthor';
  return {
    counts: false,
    code,
    reason: `Your approval would not count for ${stage.name}: ${why} (${policyKey}).`,
  };
}
