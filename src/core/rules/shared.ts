import type { ApprovalFact, DeploymentFact, EnvironmentPolicy, ReleaseFacts } from '../types.js';
import type { ApprovalCount } from './rule.js';

/** True when an environment name is the stage's (its name or one of its GitHub names; case ignored, as GitHub compares). */
export function inStage(stage: EnvironmentPolicy, environment: string): boolean {
  const wanted = environment.toLowerCase();
  return stage.name.toLowerCase() === wanted || stage.github.some((g) => g.toLowerCase() === wanted);
}

/** The same release: the same commit, or a commit with the same git tree. */
export function sameRelease(facts: Pick<ReleaseFacts, 'sha' | 'tree'>, d: DeploymentFact): boolean {
  if (d.sha === facts.sha) return true;
  return Boolean(facts.tree && d.tree && d.tree === facts.tree);
}

/** The members (lower case) of the named teams, or null when no team is named. */
export function membersOf(facts: ReleaseFacts, teams: readonly string[]): Set<string> | null {
  if (teams.length === 0) return null;
  const set = new Set<string>();
  for (const t of teams) for (const m of facts.teams[t] ?? []) set.add(m.toLowerCase());
  return set;
}

/**
 * The approvals of the release, counted once for every role: the latest review per person,
 * approving, not dismissed, on the release's content, not the authors', contributors' or
 * deployer's own when `excludeAuthor` (`eligible`); of those, the ones from `fromTeams` count
 * toward `minApprovals` (`counted`). A `requiredReviewers` entry takes the eligible approvals
 * of its own teams, whether or not they are in `fromTeams`.
 */
export function countApprovals(stage: EnvironmentPolicy, facts: ReleaseFacts): ApprovalCount {
  const latest = new Map<string, ApprovalFact>();
  for (const a of facts.approvals) {
    if (a.state === 'COMMENTED') continue; // a comment neither approves nor withdraws an approval
    const key = a.login.toLowerCase();
    const prev = latest.get(key);
    if (!prev || Date.parse(a.submittedAt) >= Date.parse(prev.submittedAt)) latest.set(key, a);
  }
  const eligible: ApprovalFact[] = [];
  const counted: ApprovalFact[] = [];
  const notCounted: ApprovalCount['notCounted'] = [];
  const excludeAuthor = stage.approvals.excludeAuthor;
  const excluded = new Set(
    excludeAuthor ? [facts.author, facts.deployer].filter(Boolean).map((l) => l!.toLowerCase()) : [],
  );
  // Whoever wrote part of the release (a PR of it, or a commit in one) does not approve it.
  const contributors = new Set(excludeAuthor ? (facts.contributors ?? []).map((l) => l.toLowerCase()) : []);
  const teamMembers = membersOf(facts, stage.approvals.fromTeams);
  for (const a of [...latest.values()].sort((x, y) => x.login.localeCompare(y.login))) {
    const login = a.login.toLowerCase();
    const reason =
      a.state === 'DISMISSED'
        ? 'review dismissed'
        : a.state !== 'APPROVED'
          ? `latest review is ${a.state.toLowerCase().replace('_', ' ')}`
          : a.contentMatches === false
            ? a.commitId
              ? `approved an older head (${a.commitId.slice(0, 7)}) whose content changed since`
              : 'the reviewed commit is unknown (GitHub no longer has it, e.g. after a force-push), so the review cannot be shown to cover this content'
            : excluded.has(login)
              ? login === facts.author?.toLowerCase()
                ? 'author of the change'
                : 'deployer of the release'
              : contributors.has(login)
                ? 'contributor to the release (authored a pull request or commits in it)'
                : null;
    if (reason) {
      notCounted.push({ login: a.login, source: a.source, reason });
      continue;
    }
    eligible.push(a);
    if (teamMembers && !teamMembers.has(login))
      notCounted.push({
        login: a.login,
        source: a.source,
        reason: `not a member of ${stage.approvals.fromTeams.join(', ')}, so not counted toward minApprovals`,
      });
    else counted.push(a);
  }
  const everyone = excludeAuthor
    ? [facts.author, facts.deployer, ...(facts.contributors ?? [])].filter((l): l is string => Boolean(l))
    : [];
  return { eligible, counted, notCounted, excluded: uniqueLogins(everyone) };
}

/** Logins without repeats (GitHub compares them without case), sorted. */
function uniqueLogins(logins: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const l of logins) if (!seen.has(l.toLowerCase())) seen.set(l.toLowerCase(), l);
  return [...seen.values()].sort((a, b) => a.localeCompare(b));
}
