import { FreezeWindowError, earliestDeployStart } from './freeze-windows.js';
import { matchAnyGlob } from './glob.js';
import { ruleApplies } from './rule-facts.js';
import type { RuleContext } from './rule-facts.js';
import { resemblesName } from './suggest.js';
import type {
  ApprovalFact,
  Decision,
  DeploymentFact,
  EnvironmentPolicy,
  OverrideFact,
  Policy,
  ReleaseFacts,
  RuleResult,
} from './types.js';

/** Rule codes that an override can never waive: a gate without a valid policy cannot decide. */
const NOT_OVERRIDABLE = new Set(['POLICY_INVALID', 'ENVIRONMENT_NOT_IN_POLICY', 'ENVIRONMENT_LOOKALIKE']);

/** Check conclusions that count as passed. */
const PASSING_CONCLUSIONS = new Set(['success', 'neutral', 'skipped']);

/**
 * Decide whether a release may enter an environment.
 *
 * Applies every rule of the policy's stage to plain facts at the instant
 * `now` and returns every rule's result, not just the first failure. Pure: no I/O, no clock.
 */
export function evaluate(policy: Policy, facts: ReleaseFacts, now: Date): Decision {
  const stageIndex = findStageIndex(policy, facts.environment);
  if (stageIndex < 0) return unnamedEnvironment(policy, facts);
  const stage = policy.environments[stageIndex]!;
  const predecessor = stageIndex > 0 ? policy.environments[stageIndex - 1]! : null;

  // Which rules apply, and so which facts were fetched, is said once, in RULE_FACTS.
  const ctx: RuleContext = { policy, stage, predecessor };
  const rules: RuleResult[] = [];
  rules.push(orderRule(stage, predecessor, facts));
  if (ruleApplies('refs', ctx)) rules.push(refsRule(stage, facts));
  const approvals = countApprovals(stage, facts);
  if (ruleApplies('approvals', ctx)) rules.push(approvalsRule(stage, approvals));
  if (ruleApplies('reviewers', ctx)) rules.push(...requiredReviewersRules(stage, facts, approvals.counted));
  if (ruleApplies('score', ctx)) rules.push(scoreRule(policy, stage, facts, approvals.counted));
  if (ruleApplies('evidence', ctx)) rules.push(evidenceRule(stage, facts));
  if (predecessor && ruleApplies('soak', ctx)) rules.push(soakRule(stage, predecessor, facts, now));
  if (ruleApplies('freeze', ctx)) rules.push(freezeRule(stage, now));
  if (ruleApplies('checks', ctx)) rules.push(checksRule(stage, facts));

  const overridesUsed = applyOverrides(policy, stage, facts, rules, now);
  return decide(stage, rules, facts, overridesUsed);
}

/** The decision for a gate whose policy could not be loaded: it never lets anything through. */
export function policyInvalidDecision(environment: string, problems: string[]): Decision {
  return {
    decision: 'block',
    environment,
    ungated: false,
    rules: [
      {
        code: 'POLICY_INVALID',
        rule: 'policy',
        ok: false,
        outcome: 'block',
        message: `The release policy is invalid, so the gate cannot decide and does not approve: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
        values: { problems },
      },
    ],
    score: null,
    breakdown: {},
    clearsAt: null,
    recheckAt: null,
    overridesUsed: [],
  };
}

/**
 * The stage (and the name of it) that an environment name resembles without being it:
 * `PRDO`, `production ` or `prоd` with a Cyrillic о for `production`/`prod`. GitHub compares
 * environment names without regard to case, and nothing else: such a name is another
 * environment, one a person reading the deployment list takes for the gated one.
 */
export function findLookalikeStage(policy: Pick<Policy, 'environments'>, environment: string): { stage: EnvironmentPolicy; name: string } | null {
  for (const stage of policy.environments) {
    for (const name of [stage.name, ...stage.github]) {
      if (resemblesName(environment, name)) return { stage, name };
    }
  }
  return null;
}

/** Index of the stage that covers an environment name (the stage name or one of its GitHub names). */
export function findStageIndex(policy: Pick<Policy, 'environments'>, environment: string): number {
  const wanted = environment.toLowerCase();
  return policy.environments.findIndex(
    (e) => e.name.toLowerCase() === wanted || e.github.some((g) => g.toLowerCase() === wanted),
  );
}

/** True when a deployment fact is in the given stage (by stage name or GitHub environment name). */
function inStage(stage: EnvironmentPolicy, environment: string): boolean {
  const wanted = environment.toLowerCase();
  return stage.name.toLowerCase() === wanted || stage.github.some((g) => g.toLowerCase() === wanted);
}

/** The same release: the same commit, or a commit with the same git tree. */
function sameRelease(facts: Pick<ReleaseFacts, 'sha' | 'tree'>, d: DeploymentFact): boolean {
  if (d.sha === facts.sha) return true;
  return Boolean(facts.tree && d.tree && d.tree === facts.tree);
}

function unnamedEnvironment(policy: Policy, facts: ReleaseFacts): Decision {
  const stages = policy.environments.map((e) => e.name).join(', ');
  const lookalike = findLookalikeStage(policy, facts.environment);
  if (lookalike !== null) {
    // Fail closed: a name one keystroke or one look-alike letter from a gated stage is not
    // waved through as ungated (SECURITY.md, names compared as GitHub compares them).
    return {
      decision: 'block',
      environment: facts.environment,
      ungated: false,
      rules: [
        {
          code: 'ENVIRONMENT_LOOKALIKE',
          rule: 'environment',
          ok: false,
          outcome: 'block',
          message: `Environment ${JSON.stringify(facts.environment)} is not named by the policy but looks like ${JSON.stringify(lookalike.name)} of stage ${lookalike.stage.name}; it is not approved as ungated. Deploy to ${JSON.stringify(lookalike.name)}, or name this environment in the policy (a stage of its own, or in the github list of ${lookalike.stage.name}).`,
          values: { environment: facts.environment, resembles: lookalike.name, stage: lookalike.stage.name, codePoints: [...facts.environment].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' ') },
        },
      ],
      score: facts.evidence.score,
      breakdown: facts.evidence.breakdown,
      clearsAt: null,
      recheckAt: null,
      overridesUsed: [],
    };
  }
  const rule: RuleResult = policy.strict
    ? {
        code: 'ENVIRONMENT_NOT_IN_POLICY',
        rule: 'environment',
        ok: false,
        outcome: 'block',
        message: `Environment "${facts.environment}" is not named by the policy (stages: ${stages}) and the policy is strict: add it to environments or deploy to a named stage.`,
        values: { environment: facts.environment, stages: policy.environments.map((e) => e.name), strict: true },
      }
    : {
        code: 'UNGATED_ENVIRONMENT',
        rule: 'environment',
        ok: true,
        outcome: 'pass',
        message: `Environment "${facts.environment}" is not named by the policy (stages: ${stages}); it is not gated and the deployment is approved and recorded as ungated.`,
        values: { environment: facts.environment, stages: policy.environments.map((e) => e.name), strict: false },
      };
  return {
    decision: policy.strict ? 'block' : 'allow',
    environment: facts.environment,
    ungated: !policy.strict,
    rules: [rule],
    score: facts.evidence.score,
    breakdown: facts.evidence.breakdown,
    clearsAt: null,
    recheckAt: null,
    overridesUsed: [],
  };
}

function orderRule(stage: EnvironmentPolicy, predecessor: EnvironmentPolicy | null, facts: ReleaseFacts): RuleResult {
  if (!predecessor) {
    return {
      code: 'FIRST_STAGE',
      rule: 'order',
      ok: true,
      outcome: 'pass',
      message: `${stage.name} is the first stage of the promotion path: no earlier stage is required.`,
      values: { stage: stage.name, predecessor: null },
    };
  }
  const mine = facts.deployments.filter((d) => inStage(predecessor, d.environment) && sameRelease(facts, d));
  const success = mine.find((d) => d.state === 'success');
  if (success) {
    return {
      code: 'ORDER_OK',
      rule: 'order',
      ok: true,
      outcome: 'pass',
      message: `The release was deployed successfully to ${predecessor.name} (${success.sha.slice(0, 7)} at ${success.at}).`,
      values: { predecessor: predecessor.name, sha: success.sha, at: success.at, sameTree: success.sha !== facts.sha },
    };
  }
  const running = mine.find((d) => d.state === 'in_progress' || d.state === 'queued' || d.state === 'pending');
  if (running) {
    return {
      code: 'PROMOTION_ORDER',
      rule: 'order',
      ok: false,
      outcome: 'wait',
      message: `${stage.name} needs a successful deployment of this release to ${predecessor.name} first; the one there is ${running.state.replace('_', ' ')}.`,
      values: { predecessor: predecessor.name, state: running.state },
      clearsAt: null,
    };
  }
  return {
    code: 'PROMOTION_ORDER',
    rule: 'order',
    ok: false,
    outcome: 'block',
    message: `${stage.name} needs a successful deployment of this release (${facts.sha.slice(0, 7)}) to ${predecessor.name} first: no stage may be skipped.`,
    values: { predecessor: predecessor.name, sha: facts.sha, found: mine.map((d) => d.state) },
  };
}

/**
 * A full ref (`refs/tags/v1.2.0`) is matched as it is. A short name (`v1.2.0`) could be a
 * branch or a tag: the shells resolve it on GitHub first; one left short was not resolved
 * (unknown, ambiguous, or a tag of another commit) and matches only a pattern written for
 * the bare name, never `refs/tags/*` or `refs/heads/*`.
 */
function refsRule(stage: EnvironmentPolicy, facts: ReleaseFacts): RuleResult {
  const ref = facts.ref;
  const matched = ref && matchAnyGlob(stage.refs, ref) ? ref : undefined;
  if (matched) {
    return {
      code: 'REF_OK',
      rule: 'refs',
      ok: true,
      outcome: 'pass',
      message: `Ref ${matched} matches ${stage.refs.join(', ')}.`,
      values: { ref: matched, patterns: stage.refs },
    };
  }
  return {
    code: 'REF_NOT_ALLOWED',
    rule: 'refs',
    ok: false,
    outcome: 'block',
    message: ref
      ? ref.startsWith('refs/')
        ? `Ref ${ref} may not be deployed to ${stage.name}: it must match ${stage.refs.join(', ')}.`
        : `Ref ${ref} may not be deployed to ${stage.name}: it must match ${stage.refs.join(', ')}, and a short name is matched only once it is resolved to a branch or to a tag of this commit (unknown, ambiguous, or a tag of another commit here). Give the full ref (refs/tags/${ref} or refs/heads/${ref}).`
      : `The release's ref is unknown, and ${stage.name} only takes refs matching ${stage.refs.join(', ')}.`,
    values: { ref: ref ?? null, patterns: stage.refs },
  };
}

interface ApprovalCount {
  counted: ApprovalFact[];
  notCounted: Array<{ login: string; source: string; reason: string }>;
}

/**
 * The approvals that count: the latest review per person, approving, not dismissed, on
 * the release's content, not the author's or the deployer's own when `excludeAuthor`.
 */
export function countApprovals(stage: EnvironmentPolicy, facts: ReleaseFacts): ApprovalCount {
  const latest = new Map<string, ApprovalFact>();
  for (const a of facts.approvals) {
    if (a.state === 'COMMENTED') continue; // a comment neither approves nor withdraws an approval
    const key = a.login.toLowerCase();
    const prev = latest.get(key);
    if (!prev || Date.parse(a.submittedAt) >= Date.parse(prev.submittedAt)) latest.set(key, a);
  }
  const counted: ApprovalFact[] = [];
  const notCounted: ApprovalCount['notCounted'] = [];
  const excluded = new Set(
    stage.approvals.excludeAuthor ? [facts.author, facts.deployer].filter(Boolean).map((l) => l!.toLowerCase()) : [],
  );
  // Whoever wrote part of the release (a PR of it, or a commit in one) does not approve it.
  const contributors = new Set(stage.approvals.excludeAuthor ? (facts.contributors ?? []).map((l) => l.toLowerCase()) : []);
  const teamMembers = membersOf(facts, stage.approvals.fromTeams);
  for (const a of [...latest.values()].sort((x, y) => x.login.localeCompare(y.login))) {
    const reason =
      a.state === 'DISMISSED'
        ? 'review dismissed'
        : a.state !== 'APPROVED'
          ? `latest review is ${a.state.toLowerCase().replace('_', ' ')}`
          : a.contentMatches === false
            ? a.commitId
              ? `approved an older head (${a.commitId.slice(0, 7)}) whose content changed since`
              : 'the reviewed commit is unknown (GitHub no longer has it, e.g. after a force-push), so the review cannot be shown to cover this content'
            : excluded.has(a.login.toLowerCase())
              ? a.login.toLowerCase() === facts.author?.toLowerCase()
                ? 'author of the change'
                : 'deployer of the release'
              : contributors.has(a.login.toLowerCase())
                ? 'contributor to the release (authored a pull request or commits in it)'
                : teamMembers && !teamMembers.has(a.login.toLowerCase())
                  ? `not a member of ${stage.approvals.fromTeams.join(', ')}`
                  : null;
    if (reason) notCounted.push({ login: a.login, source: a.source, reason });
    else counted.push(a);
  }
  return { counted, notCounted };
}

function membersOf(facts: ReleaseFacts, teams: readonly string[]): Set<string> | null {
  if (teams.length === 0) return null;
  const set = new Set<string>();
  for (const t of teams) for (const m of facts.teams[t] ?? []) set.add(m.toLowerCase());
  return set;
}

function approvalsRule(stage: EnvironmentPolicy, approvals: ApprovalCount): RuleResult {
  const have = approvals.counted.length;
  const need = Math.max(stage.minApprovals, stage.approvals.fromTeams.length > 0 ? 1 : 0);
  const values = {
    required: need,
    counted: have,
    approvers: approvals.counted.map((a) => a.login),
    notCounted: approvals.notCounted,
    fromTeams: stage.approvals.fromTeams,
  };
  if (have >= need) {
    return {
      code: 'APPROVALS_OK',
      rule: 'approvals',
      ok: true,
      outcome: 'pass',
      message: `${have} of ${need} required approval(s): ${values.approvers.join(', ')}.`,
      values,
    };
  }
  const teams = stage.approvals.fromTeams.length > 0 ? ` from ${stage.approvals.fromTeams.join(', ')}` : '';
  return {
    code: 'APPROVAL_REQUIRED',
    rule: 'approvals',
    ok: false,
    outcome: 'wait',
    message: `Release requires ${need} approval(s)${teams} for ${stage.name}. Current: ${have}.`,
    values,
    clearsAt: null,
  };
}

function requiredReviewersRules(stage: EnvironmentPolicy, facts: ReleaseFacts, counted: ApprovalFact[]): RuleResult[] {
  return stage.requiredReviewers.map((req) => {
    const known = facts.changedFiles !== undefined;
    const touched = known ? facts.changedFiles!.filter((f) => matchAnyGlob(req.paths, f)) : [];
    const values = { paths: req.paths, teams: req.teams, changedFilesKnown: known, touched: touched.slice(0, 20) };
    if (known && touched.length === 0) {
      return {
        code: 'REVIEW_NOT_TRIGGERED',
        rule: 'approvals',
        ok: true,
        outcome: 'pass',
        message: `No changed file matches ${req.paths.join(', ')}: no review from ${req.teams.join(', ')} is needed.`,
        values,
      };
    }
    const members = membersOf(facts, req.teams)!;
    const reviewer = counted.find((a) => members.has(a.login.toLowerCase()));
    const why = known
      ? `${touched.length} changed file(s) match ${req.paths.join(', ')} (${touched.slice(0, 3).join(', ')}${touched.length > 3 ? ', ...' : ''})`
      : `the changed files are unknown, so ${req.paths.join(', ')} may be touched`;
    if (reviewer) {
      return {
        code: 'REVIEW_OK',
        rule: 'approvals',
        ok: true,
        outcome: 'pass',
        message: `${why}; reviewed by ${reviewer.login} (${req.teams.join(', ')}).`,
        values: { ...values, reviewer: reviewer.login },
      };
    }
    return {
      code: 'REVIEW_REQUIRED',
      rule: 'approvals',
      ok: false,
      outcome: 'wait',
      message: `${why}: an approval from a member of ${req.teams.join(', ')} is required.`,
      values,
      clearsAt: null,
    };
  });
}

function scoreRule(policy: Policy, stage: EnvironmentPolicy, facts: ReleaseFacts, counted: ApprovalFact[]): RuleResult {
  const min = stage.minScore!;
  const score = facts.evidence.score;
  const warn = policy.scoring.warnScore;
  const values: Record<string, unknown> = { score, minScore: min, warnScore: warn };
  if (score === null) {
    return {
      code: 'EVIDENCE_MISSING',
      rule: 'score',
      ok: false,
      outcome: 'block',
      message: `No evidence was given, so there is no score; ${stage.name} requires a score of at least ${min}.`,
      values,
    };
  }
  if (score >= min) {
    return { code: 'SCORE_OK', rule: 'score', ok: true, outcome: 'pass', message: `Score ${score} >= minScore ${min}.`, values };
  }
  if (warn !== null && score >= warn) {
    const members = membersOf(facts, policy.overrides.teams) ?? new Set<string>();
    const approver = counted.find((a) => members.has(a.login.toLowerCase()));
    if (approver) {
      return {
        code: 'SCORE_WARNING_APPROVED',
        rule: 'score',
        ok: true,
        outcome: 'pass',
        message: `Score ${score} is in the warning band (${warn} to ${min - 1}); accepted by ${approver.login} (${policy.overrides.teams.join(', ')}).`,
        values: { ...values, approvedBy: approver.login },
      };
    }
    return {
      code: 'SCORE_NEEDS_APPROVAL',
      rule: 'score',
      ok: false,
      outcome: 'wait',
      message: `Score ${score} < minScore ${min} but within the warning band (>= ${warn}): an approval from a member of ${policy.overrides.teams.join(', ') || 'the override teams'} is required.`,
      values,
      clearsAt: null,
    };
  }
  return {
    code: 'SCORE_TOO_LOW',
    rule: 'score',
    ok: false,
    outcome: 'block',
    message: `Score ${score} < minScore ${min} required for ${stage.name}.`,
    values,
  };
}

function evidenceRule(stage: EnvironmentPolicy, facts: ReleaseFacts): RuleResult {
  const present = new Set(facts.evidence.present);
  const missing = stage.requiredEvidence.filter((k) => !present.has(k));
  const values = { required: stage.requiredEvidence, present: [...present], missing };
  if (missing.length === 0) {
    return {
      code: 'EVIDENCE_OK',
      rule: 'evidence',
      ok: true,
      outcome: 'pass',
      message: `All required evidence is present: ${stage.requiredEvidence.join(', ')}.`,
      values,
    };
  }
  return {
    code: 'EVIDENCE_MISSING',
    rule: 'evidence',
    ok: false,
    outcome: 'block',
    message: `Required evidence missing for ${stage.name}: ${missing.join(', ')}.`,
    values,
  };
}

function soakRule(stage: EnvironmentPolicy, predecessor: EnvironmentPolicy, facts: ReleaseFacts, now: Date): RuleResult {
  const successes = facts.deployments
    .filter((d) => d.state === 'success' && inStage(predecessor, d.environment) && sameRelease(facts, d))
    .map((d) => Date.parse(d.at))
    .filter((t) => Number.isFinite(t));
  const minutes = stage.soakMinutes;
  if (successes.length === 0) {
    return {
      code: 'SOAK_INCOMPLETE',
      rule: 'soak',
      ok: false,
      outcome: 'block',
      message: `The release has not run in ${predecessor.name} yet; it must run there for ${minutes} minute(s) first.`,
      values: { predecessor: predecessor.name, minutes, since: null },
    };
  }
  // The soak clock starts at the first successful deployment of the release there.
  const since = Math.min(...successes);
  const ends = since + minutes * 60_000;
  const values = { predecessor: predecessor.name, minutes, since: new Date(since).toISOString(), ends: new Date(ends).toISOString() };
  if (now.getTime() >= ends) {
    return {
      code: 'SOAK_OK',
      rule: 'soak',
      ok: true,
      outcome: 'pass',
      message: `The release has run in ${predecessor.name} since ${values.since} (at least ${minutes} minute(s)).`,
      values,
    };
  }
  const left = Math.ceil((ends - now.getTime()) / 60_000);
  return {
    code: 'SOAK_INCOMPLETE',
    rule: 'soak',
    ok: false,
    outcome: 'wait',
    message: `The release must run in ${predecessor.name} for ${minutes} minute(s); ${left} minute(s) left, until ${values.ends}.`,
    values,
    clearsAt: values.ends,
  };
}

function freezeRule(stage: EnvironmentPolicy, now: Date): RuleResult {
  const windows = stage.freezeWindows;
  const describe = (names: readonly string[]) => names.join(', ');
  const values: Record<string, unknown> = {
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

function checksRule(stage: EnvironmentPolicy, facts: ReleaseFacts): RuleResult {
  const failed: string[] = [];
  const pending: string[] = [];
  const passed: string[] = [];
  for (const name of stage.requiredChecks) {
    const runs = facts.checks.filter((c) => c.name === name);
    if (runs.length === 0) {
      pending.push(`${name} (not reported)`);
      continue;
    }
    // The last report of a check is its current state (a re-run replaces a failure).
    const c = runs[runs.length - 1]!;
    if (c.status !== 'completed') pending.push(`${name} (${c.status.replace('_', ' ')})`);
    else if (PASSING_CONCLUSIONS.has(c.conclusion ?? '')) passed.push(name);
    else failed.push(`${name} (${c.conclusion ?? 'no conclusion'})`);
  }
  const values = { required: stage.requiredChecks, passed, pending, failed };
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

/** Valid overrides for this release and stage at `now`, and why the others are not. */
export function usableOverrides(
  policy: Policy,
  stage: EnvironmentPolicy,
  facts: ReleaseFacts,
  now: Date,
): { usable: OverrideFact[]; unusable: Array<{ override: OverrideFact; reason: string }> } {
  const members = membersOf(facts, policy.overrides.teams) ?? new Set<string>();
  const usable: OverrideFact[] = [];
  const unusable: Array<{ override: OverrideFact; reason: string }> = [];
  for (const o of facts.overrides) {
    if (o.sha !== facts.sha || !inStage(stage, o.environment)) continue;
    const reason = o.usedAt
      ? `already used at ${o.usedAt}`
      : Date.parse(o.expiresAt) <= now.getTime()
        ? `expired at ${o.expiresAt}`
        : !members.has(o.grantedBy.toLowerCase())
          ? `${o.grantedBy} is not a member of ${policy.overrides.teams.join(', ') || 'an override team'}`
          : policy.overrides.secondApprover && !o.confirmedBy
            ? 'awaits confirmation by a second member'
            : policy.overrides.secondApprover &&
                (o.confirmedBy!.toLowerCase() === o.grantedBy.toLowerCase() || !members.has(o.confirmedBy!.toLowerCase()))
              ? `confirmation by ${o.confirmedBy} does not count (the grantor or not a member)`
              : null;
    if (reason) unusable.push({ override: o, reason });
    else usable.push(o);
  }
  return { usable, unusable };
}

function applyOverrides(policy: Policy, stage: EnvironmentPolicy, facts: ReleaseFacts, rules: RuleResult[], now: Date): string[] {
  const { usable, unusable } = usableOverrides(policy, stage, facts, now);
  const used = new Set<string>();
  for (const rule of rules) {
    if (rule.ok || NOT_OVERRIDABLE.has(rule.code)) continue;
    const o = usable.find((x) => x.rules.length === 0 || x.rules.includes(rule.code));
    if (o) {
      rule.overriddenBy = { id: o.id, grantedBy: o.grantedBy, reason: o.reason, risk: o.risk };
      rule.message = `${rule.message} Overridden by ${o.grantedBy}${o.confirmedBy ? ` (confirmed by ${o.confirmedBy})` : ''}: "${o.reason}" (risk: ${o.risk}).`;
      rule.ok = true;
      rule.outcome = 'pass';
      used.add(o.id ?? `${o.grantedBy}@${o.grantedAt}`);
      continue;
    }
    const pending = unusable.find((x) => x.override.rules.length === 0 || x.override.rules.includes(rule.code));
    if (pending) rule.values = { ...rule.values, override: { grantedBy: pending.override.grantedBy, notApplied: pending.reason } };
  }
  return [...used];
}

function decide(stage: EnvironmentPolicy, rules: RuleResult[], facts: ReleaseFacts, overridesUsed: string[]): Decision {
  if (stage.onBlocked === 'reject') {
    for (const r of rules) {
      if (r.outcome === 'wait') {
        r.outcome = 'block';
        r.values = { ...r.values, onBlocked: 'reject' };
      }
    }
  }
  const blocked = rules.some((r) => r.outcome === 'block');
  const waiting = rules.filter((r) => r.outcome === 'wait');
  const clock = waiting.map((r) => r.clearsAt).filter((t): t is string => typeof t === 'string');
  const decision = blocked ? 'block' : waiting.length > 0 ? 'wait' : 'allow';
  const allByClock = decision === 'wait' && clock.length === waiting.length;
  return {
    decision,
    environment: stage.name,
    ungated: false,
    rules,
    score: facts.evidence.score,
    breakdown: facts.evidence.breakdown,
    clearsAt: allByClock ? latest(clock) : null,
    recheckAt: decision === 'wait' && clock.length > 0 ? earliest(clock) : null,
    // An override is spent only when it lets the release through.
    overridesUsed: decision === 'allow' ? overridesUsed : [],
  };
}

function latest(times: string[]): string {
  return times.reduce((a, b) => (Date.parse(a) >= Date.parse(b) ? a : b));
}

function earliest(times: string[]): string {
  return times.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b));
}
