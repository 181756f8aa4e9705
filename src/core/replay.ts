/**
 * Replaying recorded decisions. A gate decision is a pure function of the policy text(s),
 * the facts and the instant, all kept in the record; replay parses the stored texts the
 * way the App does, evaluates the stored facts at the stored instant and compares the
 * result with what was decided. Pure: the caller reads the record.
 */
import { evaluate, findStageIndex, policyInvalidDecision } from './evaluate.js';
import { formatPolicyProblem, readPolicyDocument } from './policy-load.js';
import { loadPolicyFiles } from './policy-source.js';
import type { PolicyText } from './policy-source.js';
import { judgeRollback, rollbackDecision } from './rollback.js';
import type { RecordedRollback } from './rollback.js';
import type { Decision, DecisionKind, Outcome, Policy, ReleaseFacts, RuleResult } from './types.js';

export type PolicyFileRole = 'repository' | 'org default';

/** One policy file an evaluation used, as the record keeps it: its text by content hash, and its role. */
export interface RecordedPolicyFile {
  role: PolicyFileRole;
  /** sha256 (hex) of the UTF-8 text: the key of its stored blob. */
  sha256: string;
  /** The name the loader gave the file in its messages (`.github/release-policy.yml`). */
  source: string;
  /** `owner/name` of the repository the file was read from. */
  repository: string;
  path: string;
  /** The branch read; empty for the default branch of the org's `.github` repository. */
  ref: string;
  /** Git's blob SHA of the file, as GitHub gave it. */
  blobSha: string | null;
  /** The commit that last changed the file, when GitHub said. */
  commitSha?: string | null;
}

/** What replay and simulation read of a stored evaluation. */
export interface StoredEvaluation {
  id: number;
  repo: string;
  sha: string;
  environment: string;
  stage: string | null;
  decision: string;
  rules: RuleResult[];
  inputs: unknown;
  at: Date;
  policyFiles: readonly RecordedPolicyFile[] | null;
  engineVersion: string | null;
  notReplayable: string | null;
}

/**
 * The policy a set of texts gives: a policy; the problems the gate failed closed on; or
 * `recorded problems` when the decision rested on a file the App could not read (a missing
 * file, an unreadable org default), whose problems the record keeps as an input.
 */
export type RecordedPolicy =
  | { kind: 'policy'; policy: Policy }
  | { kind: 'invalid'; problems: string[] }
  | { kind: 'recorded problems'; why: string };

/**
 * Loads a policy from its repository file and org default as the App does: a repository
 * file alone when it does not extend the org default, merged onto it when it does, the org
 * default alone when the repository has no file.
 */
export function loadRecordedPolicy(repo: PolicyText | null, org: PolicyText | null): RecordedPolicy {
  if (repo === null && org === null) return { kind: 'recorded problems', why: 'no policy file was read' };
  if (repo !== null && org === null) {
    const read = readPolicyDocument(repo.text, repo.source);
    if (read.ok && read.document.extendsOrg)
      return { kind: 'recorded problems', why: `${repo.source} extends the org default, which was not read` };
  }
  const result = loadPolicyFiles(repo, org);
  return result.ok
    ? { kind: 'policy', policy: result.policy }
    : { kind: 'invalid', problems: result.errors.map(formatPolicyProblem) };
}

/** The facts and problems an evaluation recorded (`inputs`), and the rollback it judged. */
export function recordedInputs(inputs: unknown): {
  facts: ReleaseFacts | null;
  problems: string[] | null;
  rollback: RecordedRollback | null;
} {
  if (typeof inputs !== 'object' || inputs === null) return { facts: null, problems: null, rollback: null };
  const o = inputs as { facts?: unknown; problems?: unknown; rollback?: Partial<RecordedRollback> | null };
  const facts = typeof o.facts === 'object' && o.facts !== null ? upgradeFacts(o.facts as ReleaseFacts) : null;
  const problems =
    Array.isArray(o.problems) && o.problems.every((p) => typeof p === 'string') ? (o.problems as string[]) : null;
  const r = o.rollback;
  const rollback =
    typeof r === 'object' &&
    r !== null &&
    typeof r.failedDeployment === 'number' &&
    typeof r.verifiedBefore === 'boolean'
      ? { failedDeployment: r.failedDeployment, verifiedBefore: r.verifiedBefore }
      : null;
  return { facts, problems, rollback };
}

/**
 * Facts recorded before the gate kept its approval on deployments (and the source of checks)
 * carry deployments without an `approval` key: the loader of that time had already kept only the ones its rule took
 * (a success set by the creator, on a deployment the gate had not blocked). They are read
 * as what that engine decided on, so an older decision replays as it was made.
 */
function upgradeFacts(facts: ReleaseFacts): ReleaseFacts {
  const deployments = Array.isArray(facts.deployments) ? facts.deployments : [];
  const checks = Array.isArray(facts.checks) ? facts.checks : [];
  if (deployments.every((d) => 'approval' in d) && checks.every((c) => 'kind' in c)) return facts;
  return {
    ...facts,
    deployments: deployments.map((d) =>
      'approval' in d
        ? d
        : { ...d, approval: { via: 'reported', at: d.at }, provenAt: d.state === 'success' ? d.at : null },
    ),
    // Checks recorded before their source was: the loader of that time took check runs and
    // statuses alike for a name, as the policies of that time (names only) asked.
    checks: checks.map((c) => ('kind' in c ? c : { ...c, kind: 'check_run' as const })),
  };
}

/** One rule whose outcome differs: `null` where the rule is absent from one side. */
export interface RuleDifference {
  code: string;
  stored: Outcome | null;
  replayed: Outcome | null;
}

export type ReplayOutcome =
  | { kind: 'replayed'; id: number; stored: string; replayed: Decision; identical: boolean; rules: RuleDifference[] }
  | { kind: 'not replayable'; id: number; reason: string };

function storedRules(rules: unknown): Array<{ code: string; outcome: Outcome }> {
  if (!Array.isArray(rules)) return [];
  return rules
    .filter(
      (r): r is { code: string; outcome: Outcome } =>
        typeof r === 'object' && r !== null && typeof (r as { code?: unknown }).code === 'string',
    )
    .map((r) => ({ code: r.code, outcome: r.outcome }));
}

/**
 * The rules whose outcome differs between a stored and a replayed decision, matched by
 * code (the n-th rule of a code with the n-th of the same code: required reviewers may
 * give several), in the replayed order, then the stored rules that are gone.
 */
export function compareRules(stored: unknown, replayed: readonly RuleResult[]): RuleDifference[] {
  const left = new Map<string, Outcome[]>();
  for (const r of storedRules(stored)) left.set(r.code, [...(left.get(r.code) ?? []), r.outcome]);
  const out: RuleDifference[] = [];
  const seen = new Map<string, number>();
  for (const r of replayed) {
    const n = seen.get(r.code) ?? 0;
    seen.set(r.code, n + 1);
    const before = left.get(r.code)?.[n] ?? null;
    if (before !== r.outcome) out.push({ code: r.code, stored: before, replayed: r.outcome });
  }
  for (const [code, outcomes] of left) {
    for (let i = seen.get(code) ?? 0; i < outcomes.length; i++)
      out.push({ code, stored: outcomes[i]!, replayed: null });
  }
  return out;
}

/** The file of a role, with its text from `texts`; `undefined` when its text is not in the record. */
function textOf(
  files: readonly RecordedPolicyFile[],
  role: PolicyFileRole,
  texts: (sha256: string) => string | undefined,
): PolicyText | null | undefined {
  const file = files.find((f) => f.role === role);
  if (!file) return null;
  const text = texts(file.sha256);
  return text === undefined ? undefined : { text, source: file.source };
}

/**
 * Replays stored evaluations. Each distinct pair of policy texts is parsed once, so a
 * repository's thousands of decisions cost one parse. `texts` gives a stored policy text
 * by its sha256.
 */
export class Replayer {
  private readonly policies = new Map<string, RecordedPolicy>();

  constructor(private readonly texts: (sha256: string) => string | undefined) {}

  /** The policy a stored evaluation was decided under, or why it cannot be told. */
  policyOf(
    record: Pick<StoredEvaluation, 'policyFiles' | 'notReplayable' | 'inputs'>,
  ): RecordedPolicy | { kind: 'not replayable'; reason: string } {
    if (record.notReplayable !== null) return { kind: 'not replayable', reason: record.notReplayable };
    const files = record.policyFiles;
    if (files === null)
      return { kind: 'not replayable', reason: 'the record does not say which policy texts the decision used' };
    const key = `${files.find((f) => f.role === 'repository')?.sha256 ?? '-'}|${files.find((f) => f.role === 'org default')?.sha256 ?? '-'}`;
    let policy = this.policies.get(key);
    if (!policy) {
      const repo = textOf(files, 'repository', this.texts);
      const org = textOf(files, 'org default', this.texts);
      if (repo === undefined || org === undefined) {
        const missing = files
          .filter((f) => this.texts(f.sha256) === undefined)
          .map((f) => `${f.source} (sha256 ${f.sha256})`);
        return {
          kind: 'not replayable',
          reason: `the policy text of ${missing.join(', ')} is missing from the record or no longer matches its sha256`,
        };
      }
      policy = loadRecordedPolicy(repo, org);
      this.policies.set(key, policy);
    }
    return policy;
  }

  /** Decides a stored evaluation again from the record alone and compares it with what was decided. */
  replay(record: StoredEvaluation): ReplayOutcome {
    const replayed = this.decide(record);
    if ('reason' in replayed) return { kind: 'not replayable', id: record.id, reason: replayed.reason };
    const rules = compareRules(record.rules, replayed.rules);
    return {
      kind: 'replayed',
      id: record.id,
      stored: record.decision,
      replayed,
      identical: rules.length === 0 && replayed.decision === record.decision,
      rules,
    };
  }

  /** The decision the record gives again, or why it cannot be given. */
  decide(record: StoredEvaluation): Decision | { reason: string } {
    const policy = this.policyOf(record);
    if (policy.kind === 'not replayable') return { reason: policy.reason };
    const { facts, problems, rollback } = recordedInputs(record.inputs);
    if (policy.kind === 'recorded problems') {
      if (problems === null) return { reason: `${policy.why}, and the record keeps no problems to decide on` };
      return policyInvalidDecision(record.environment, problems);
    }
    if (policy.kind === 'invalid') return policyInvalidDecision(record.environment, policy.problems);
    if (rollback) {
      const stage = policy.policy.environments[findStageIndex(policy.policy, record.environment)];
      const judged = stage ? judgeRollback(stage, rollback, record.at) : null;
      if (stage && judged?.allow) return rollbackDecision(stage.name, { ...judged, ...rollback });
      return {
        reason: `the App's rollback was judged by the rules${judged ? ` (${judged.reason})` : ''}, and the record keeps no facts for them`,
      };
    }
    if (facts === null) return { reason: 'the record keeps no facts for this decision' };
    return evaluate(policy.policy, facts, record.at);
  }
}

/** A replay's totals in the shape of `release-gate replay --json`. */
export interface ReplaySummary {
  replayed: number;
  identical: number;
  different: Array<{ id: number; stored: string; replayed: DecisionKind; rules: RuleDifference[] }>;
  notReplayable: Array<{ id: number; reason: string }>;
}

/** Adds one outcome to a summary. */
export function addToSummary(summary: ReplaySummary, outcome: ReplayOutcome): void {
  if (outcome.kind === 'not replayable') {
    summary.notReplayable.push({ id: outcome.id, reason: outcome.reason });
    return;
  }
  summary.replayed += 1;
  if (outcome.identical) summary.identical += 1;
  else
    summary.different.push({
      id: outcome.id,
      stored: outcome.stored,
      replayed: outcome.replayed.decision,
      rules: outcome.rules,
    });
}
