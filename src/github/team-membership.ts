import type { Octokit } from '@octokit/rest';
import { countApprovals } from '../core/rules/shared.js';
import type { EnvironmentPolicy, Policy, ReleaseFacts } from '../core/types.js';
import { httpStatus } from './types.js';

/** The part of an Octokit client team membership needs (Probot's installation client, the Action's). */
export type TeamsClient = Pick<Octokit, 'request'>;

/** Says what to give the token when GitHub refuses to show a team (`status`: 403 or 404), in the shell's words. */
export type TeamAccessAdvice = (team: string, status: number, message: string) => string;

/** Team memberships as the gate reads them: members among the people asked, and the teams that could not be read. */
export interface TeamFacts {
  teams: ReleaseFacts['teams'];
  teamErrors: NonNullable<ReleaseFacts['teamErrors']>;
}

/** The App's advice: the installation needs the organization permission Members: read. */
export const APP_TEAM_ADVICE: TeamAccessAdvice = (team, status, message) =>
  `GitHub answered ${status} (${message}) when asked about the team ${team}: ${
    status === 404
      ? 'check that the policy names an existing team of the organization (its slug), and that the App has the organization permission Members: read, accepted on the installation.'
      : 'give the App the organization permission Members: read and accept it on the installation.'
  }`;

/**
 * Who, among the people whose approval could count, is an active member of each team a role
 * of the stage names: `approvals.fromTeams` and every `requiredReviewers` entry's teams (a
 * technical reviewer is asked about whether or not they are a release owner), and the override
 * teams when an override or the warning band may need them. One membership call per (team,
 * person); people whose approval cannot count (a stale or withdrawn review, the author) are
 * not asked. GitHub answers 404 both for "not a member" and for a team the token cannot see (a
 * workflow's `GITHUB_TOKEN` sees no team), so a 404 is followed by one look at the team itself:
 * a team GitHub will not show goes to `teamErrors` with `advice`, never counted as "nobody".
 * With `probe`, each team is looked at even when nobody is to be asked, so a token that cannot
 * read teams is found before anyone approves (the Action).
 */
export async function readTeamMembers(
  octokit: TeamsClient,
  org: string,
  policy: Pick<Policy, 'overrides' | 'scoring'>,
  stage: EnvironmentPolicy,
  facts: ReleaseFacts,
  options: { advice: TeamAccessAdvice; probe?: boolean },
): Promise<TeamFacts> {
  const roleTeams = new Set<string>(stage.approvals.fromTeams);
  for (const r of stage.requiredReviewers) for (const t of r.teams) roleTeams.add(t);
  const overrideTeams = new Set<string>();
  if (facts.overrides.length > 0 || (stage.minScore !== null && policy.scoring.warnScore !== null))
    for (const t of policy.overrides.teams) overrideTeams.add(t);
  const approvers = [...new Set(countApprovals(stage, facts).eligible.map((a) => a.login))];
  const grantors = [...new Set(facts.overrides.flatMap((o) => [o.grantedBy, o.confirmedBy ?? '']).filter(Boolean))];

  const out: TeamFacts = { teams: {}, teamErrors: {} };
  const visible = new Map<string, Promise<string | null>>();
  const teamVisible = (team: string) => {
    let v = visible.get(team);
    if (!v) visible.set(team, (v = teamReadable(octokit, org, team, options.advice)));
    return v;
  };
  for (const team of new Set([...roleTeams, ...overrideTeams])) {
    const candidates = new Set<string>([...approvers, ...(overrideTeams.has(team) ? grantors : [])]);
    const members: string[] = [];
    let error = options.probe ? await teamVisible(team) : null;
    for (const login of error === null ? candidates : []) {
      const answer = await membership(octokit, org, team, login, options.advice);
      if (answer === 'member') members.push(login);
      else if (answer === 'not found') {
        error = await teamVisible(team);
        if (error !== null) break;
      } else {
        error = answer.error;
        break;
      }
    }
    out.teams[team] = error === null ? members : [];
    if (error !== null) out.teamErrors[team] = error;
  }
  return out;
}

/** True when `login` is an active member of `org/team` (a team slug, or `org/slug`); false for a 404, whatever its cause. */
export async function teamMembership(octokit: TeamsClient, org: string, team: string, login: string): Promise<boolean> {
  const [teamOrg, slug] = teamRef(org, team);
  try {
    const { data } = await octokit.request('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', {
      org: teamOrg,
      team_slug: slug,
      username: login,
    });
    return data.state === 'active';
  } catch (error) {
    if (httpStatus(error) === 404) return false;
    throw error;
  }
}

function teamRef(org: string, team: string): [string, string] {
  return team.includes('/') ? (team.split('/', 2) as [string, string]) : [org, team];
}

async function membership(
  octokit: TeamsClient,
  org: string,
  team: string,
  login: string,
  advice: TeamAccessAdvice,
): Promise<'member' | 'not found' | { error: string }> {
  const [teamOrg, slug] = teamRef(org, team);
  try {
    const { data } = await octokit.request('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', {
      org: teamOrg,
      team_slug: slug,
      username: login,
    });
    // A pending invitation is not a membership.
    return data.state === 'active' ? 'member' : 'not found';
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404) return 'not found';
    if (status === 403 && !rateLimited(error))
      return { error: advice(`${teamOrg}/${slug}`, status, errorMessage(error)) };
    throw error;
  }
}

/** Null when the token may see the team; else why not, with the advice. */
async function teamReadable(
  octokit: TeamsClient,
  org: string,
  team: string,
  advice: TeamAccessAdvice,
): Promise<string | null> {
  const [teamOrg, slug] = teamRef(org, team);
  try {
    await octokit.request('GET /orgs/{org}/teams/{team_slug}', { org: teamOrg, team_slug: slug });
    return null;
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404 || (status === 403 && !rateLimited(error)))
      return advice(`${teamOrg}/${slug}`, status, errorMessage(error));
    throw error;
  }
}

/** A 403 that is a rate limit is retried by the client's plugins or thrown, not taken for a missing permission. */
function rateLimited(error: unknown): boolean {
  const e = error as { response?: { headers?: Record<string, string | undefined> } };
  return e.response?.headers?.['x-ratelimit-remaining'] === '0' || /rate limit/i.test(errorMessage(error));
}

function errorMessage(error: unknown): string {
  const data = (error as { response?: { data?: unknown } }).response?.data;
  const message = typeof data === 'object' && data !== null ? (data as { message?: unknown }).message : undefined;
  return typeof message === 'string' ? message : error instanceof Error ? error.message : String(error);
}
