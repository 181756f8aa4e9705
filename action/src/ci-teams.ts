import { findStageIndex } from '../../src/core/evaluate.js';
import { factsNeeded } from '../../src/core/rule-facts.js';
import type { Policy, ReleaseFacts } from '../../src/core/types.js';
import { readTeamMembers } from '../../src/github/team-membership.js';
import type { TeamAccessAdvice, TeamFacts, TeamsClient } from '../../src/github/team-membership.js';

/**
 * What to give the Action when GitHub will not show a team. A workflow's `GITHUB_TOKEN` has no
 * organization permission, and GitHub answers it 404 for a team and a team membership alike
 * (as for a team that does not exist): only a token with the organization permission
 * Members: read can tell who is in a team.
 */
export const ACTION_TEAM_ADVICE: TeamAccessAdvice = (team, status, message) =>
  `GitHub answered ${status} (${message}) when asked about the team ${team}: ${status === 404 ? "a workflow's GITHUB_TOKEN cannot read team membership (GitHub answers it 404, as for a team that does not exist)" : 'the token may not read team membership'}. Give the Action's \`token\` input a GitHub App installation token with the organization permission Members: read (for example from actions/create-github-app-token), or run this stage's step with \`mode: report\` and let the App decide it.`;

/**
 * The team memberships the stage's roles read, asked of GitHub with the Action's token, for
 * the approvals the Action found: the same question the App asks, so a token that may read
 * teams gives the App's decision. Each team is looked at first, so a token that cannot read
 * teams is named at once (in `teamErrors` and in the source line), not after someone approves.
 */
export async function loadCiTeams(
  octokit: TeamsClient,
  policy: Policy,
  facts: ReleaseFacts,
  org: string,
): Promise<TeamFacts & { sources: string[] }> {
  const index = findStageIndex(policy, facts.environment);
  if (index < 0 || !factsNeeded(policy, index).has('teams')) return { teams: {}, teamErrors: {}, sources: [] };
  const stage = policy.environments[index]!;
  const read = await readTeamMembers(octokit, org, policy, stage, facts, { advice: ACTION_TEAM_ADVICE, probe: true });
  const names = Object.keys(read.teams);
  const unreadable = Object.keys(read.teamErrors);
  const sources =
    unreadable.length > 0
      ? [`Teams: could not read ${unreadable.join(', ')} with the \`token\` input. ${read.teamErrors[unreadable[0]!]!}`]
      : [
          `Teams: ${names.join(', ')} read with the \`token\` input; ${names.map((t) => `${t}: ${read.teams[t]!.join(', ') || 'none of the approvers'}`).join('; ')}.`,
        ];
  return { ...read, sources };
}
