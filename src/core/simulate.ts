/**
 * What a policy change would have done: recorded decisions evaluated again, with their
 * stored facts at their stored instants, under another policy, and compared with what was
 * decided. Pure: the caller reads the record and the new policy texts.
 */
import { evaluate, policyInvalidDecision } from './evaluate.js';
import type { PolicyText } from './policy-source.js';
import { cell, code, truncateMarkdown } from './render-markdown.js';
import { failingRules } from './rule-results.js';
import { loadRecordedPolicy, recordedInputs } from './replay.js';
import type { RecordedPolicy, StoredEvaluation } from './replay.js';
import type { Decision, DecisionKind, RuleResult } from './types.js';

/**
 * The policy to simulate: a new repository file and/or a new org default. A side left
 * null is taken from each decision's record (so a new org default is merged with each
 * repository's recorded file, and a new repository file that extends the org default with
 * the org default each decision was made under).
 */
export interface SimulatedPolicy {
  repository: PolicyText | null;
  org: PolicyText | null;
}

/** One decision that would have gone differently. */
export interface SimulatedChange {
  id: number;
  repo: string;
  sha: string;
  environment: string;
  /** The stage the decision was for (the GitHub environment when ungated). */
  stage: string;
  at: string;
  from: string;
  to: DecisionKind;
  /** Rule codes that would hold the release (wait or block) and did not. */
  appeared: string[];
  /** Rule codes that held the release and would not. */
  disappeared: string[];
}

export interface SimulationReport {
  /** Decisions looked at. */
  considered: number;
  /** Decisions evaluated under the new policy. */
  simulated: number;
  /** Of those, the ones that would change, most important first. */
  changed: SimulatedChange[];
  /** Decisions that could not be simulated, and why. */
  skipped: Array<{ id: number; reason: string }>;
  /** Per stage: decisions simulated, how many would change, and into what. */
  byStage: Array<{ stage: string; decisions: number; changed: number; transitions: Record<string, number> }>;
  /** Per rule code: in how many decisions it would appear or disappear. */
  byRule: Array<{ code: string; appeared: number; disappeared: number }>;
}

/** How much a change matters to the people who release: stopping a release that went through first. */
const IMPORTANCE: Record<string, number> = {
  'allow -> block': 0,
  'allow -> wait': 1,
  'wait -> block': 2,
  'block -> allow': 3,
  'wait -> allow': 4,
  'block -> wait': 5,
};

/** A change's weight for ordering (lower first). */
export function importanceOf(change: Pick<SimulatedChange, 'from' | 'to'>): number {
  return IMPORTANCE[`${change.from} -> ${change.to}`] ?? 6;
}

function holding(rules: readonly RuleResult[]): Set<string> {
  return new Set(failingRules(rules).map((r) => r.code));
}

/** Accumulates simulated decisions into a {@link SimulationReport}. */
export class Simulator {
  private readonly policies = new Map<string, RecordedPolicy>();
  private considered = 0;
  private simulated = 0;
  private readonly changed: SimulatedChange[] = [];
  private readonly skipped: Array<{ id: number; reason: string }> = [];
  private readonly stages = new Map<
    string,
    { decisions: number; changed: number; transitions: Record<string, number> }
  >();
  private readonly rules = new Map<string, { appeared: number; disappeared: number }>();

  /** `texts` gives a recorded policy text by its sha256. */
  constructor(
    private readonly next: SimulatedPolicy,
    private readonly texts: (sha256: string) => string | undefined,
  ) {}

  private recorded(record: StoredEvaluation, role: 'repository' | 'org default'): PolicyText | null | undefined {
    const file = record.policyFiles?.find((f) => f.role === role);
    if (!file) return null;
    const text = this.texts(file.sha256);
    return text === undefined ? undefined : { text, source: file.source };
  }

  /** The new policy for one decision, parsed once per distinct pair of texts. */
  private policyFor(record: StoredEvaluation): RecordedPolicy | { reason: string } {
    if (this.next.repository === null && record.policyFiles === null)
      return { reason: 'the record does not say which repository policy file it was decided under' };
    const repo = this.next.repository ?? this.recorded(record, 'repository');
    const org = this.next.org ?? this.recorded(record, 'org default');
    if (repo === undefined || org === undefined)
      return { reason: 'the recorded policy text it would be merged with is not in the record' };
    if (repo === null && org === null) return { reason: 'the record has no policy file to simulate with' };
    // The new side is the same for every decision: the recorded side's hash tells the pairs apart.
    const side = (given: PolicyText | null, role: 'repository' | 'org default') =>
      given ? 'new' : (record.policyFiles?.find((f) => f.role === role)?.sha256 ?? '-');
    const key = `${side(this.next.repository, 'repository')}|${side(this.next.org, 'org default')}`;
    let policy = this.policies.get(key);
    if (!policy) {
      policy = loadRecordedPolicy(repo, org);
      this.policies.set(key, policy);
    }
    return policy;
  }

  /** Evaluates one stored decision under the new policy. */
  decide(record: StoredEvaluation): Decision | { reason: string } {
    const { facts } = recordedInputs(record.inputs);
    if (facts === null)
      return { reason: 'the record keeps no facts for this decision (its policy could not be loaded then)' };
    const policy = this.policyFor(record);
    if ('reason' in policy) return policy;
    if (policy.kind === 'recorded problems')
      return {
        reason: 'the new policy extends the org default, and no org default was given or recorded for this decision',
      };
    if (policy.kind === 'invalid') return policyInvalidDecision(record.environment, policy.problems);
    return evaluate(policy.policy, facts, record.at);
  }

  /** Counts a decision as looked at and not simulated, for `reason`. */
  skip(record: Pick<StoredEvaluation, 'id'>, reason: string): void {
    this.considered += 1;
    this.skipped.push({ id: record.id, reason });
  }

  add(record: StoredEvaluation): SimulatedChange | null {
    this.considered += 1;
    const decision = this.decide(record);
    if ('reason' in decision) {
      this.skipped.push({ id: record.id, reason: decision.reason });
      return null;
    }
    this.simulated += 1;
    const stageName = record.stage ?? record.environment;
    let stage = this.stages.get(stageName);
    if (!stage) {
      stage = { decisions: 0, changed: 0, transitions: {} };
      this.stages.set(stageName, stage);
    }
    stage.decisions += 1;
    const before = holding(record.rules);
    const after = holding(decision.rules);
    const appeared = [...after].filter((c) => !before.has(c));
    const disappeared = [...before].filter((c) => !after.has(c));
    if (decision.decision === record.decision && appeared.length === 0 && disappeared.length === 0) return null;
    const change: SimulatedChange = {
      id: record.id,
      repo: record.repo,
      sha: record.sha,
      environment: record.environment,
      stage: stageName,
      at: record.at.toISOString(),
      from: record.decision,
      to: decision.decision,
      appeared,
      disappeared,
    };
    this.changed.push(change);
    stage.changed += 1;
    const transition = `${change.from} -> ${change.to}`;
    stage.transitions[transition] = (stage.transitions[transition] ?? 0) + 1;
    for (const c of appeared) this.rule(c).appeared += 1;
    for (const c of disappeared) this.rule(c).disappeared += 1;
    return change;
  }

  private rule(c: string): { appeared: number; disappeared: number } {
    let r = this.rules.get(c);
    if (!r) {
      r = { appeared: 0, disappeared: 0 };
      this.rules.set(c, r);
    }
    return r;
  }

  report(): SimulationReport {
    const changed = [...this.changed].sort(
      (a, b) => importanceOf(a) - importanceOf(b) || b.at.localeCompare(a.at) || b.id - a.id,
    );
    return {
      considered: this.considered,
      simulated: this.simulated,
      changed,
      skipped: [...this.skipped],
      byStage: [...this.stages].map(([stage, s]) => ({ stage, ...s, transitions: { ...s.transitions } })),
      byRule: [...this.rules]
        .map(([c, r]) => ({ code: c, ...r }))
        .sort((a, b) => b.appeared + b.disappeared - (a.appeared + a.disappeared) || a.code.localeCompare(b.code)),
    };
  }
}

/** Options of {@link renderSimulationMarkdown}. */
export interface RenderSimulationOptions {
  /** How many changed decisions to list (the most important first). */
  maxChanges?: number;
  /** The longest text to return (GitHub's check run summary takes 65,535 characters). */
  limit?: number;
  /**
   * The changes that may be listed (all by default); the others are counted in the headline
   * and the tables, never listed, and `unlisted` says why.
   */
  listable?: (change: SimulatedChange) => boolean;
  /** Why some changes are not listed, when `listable` leaves some out. */
  unlisted?: string;
}

const sameDecision = (transition: string): boolean => transition.split(' -> ')[0] === transition.split(' -> ')[1];

function transitionsText(transitions: Record<string, number>): string {
  const entries = Object.entries(transitions).sort(
    (a, b) => (IMPORTANCE[a[0]] ?? 6) - (IMPORTANCE[b[0]] ?? 6) || a[0].localeCompare(b[0]),
  );
  return entries.length === 0
    ? ''
    : entries
        .map(([k, n]) => `${sameDecision(k) ? `${k.split(' -> ')[0]!}, other rules` : k.replace(' -> ', ' → ')}: ${n}`)
        .join(', ');
}

/** The summary line: how many decisions would change out of how many. */
export function simulationHeadline(report: SimulationReport): string {
  if (report.simulated === 0) return `No recorded decision could be simulated (${report.considered} looked at).`;
  const n = report.changed.length;
  return n === 0
    ? `None of the ${report.simulated} recorded decision(s) would change.`
    : `${n} of ${report.simulated} recorded decision(s) would change.`;
}

/** The report as Markdown: headline, the summary tables by stage and by rule, then the changes. */
export function renderSimulationMarkdown(report: SimulationReport, options: RenderSimulationOptions = {}): string {
  const max = options.maxChanges ?? 50;
  const parts: string[] = [`**${simulationHeadline(report)}**`];
  if (report.byStage.length > 0) {
    const rows = report.byStage.map(
      (s) => `| ${cell(s.stage)} | ${s.decisions} | ${s.changed} | ${cell(transitionsText(s.transitions))} |`,
    );
    parts.push(
      ['### By stage', '', '| Stage | Decisions | Would change | How |', '| --- | ---: | ---: | --- |', ...rows].join(
        '\n',
      ),
    );
  }
  if (report.byRule.length > 0) {
    const rows = report.byRule.map((r) => `| ${code(r.code)} | ${r.appeared} | ${r.disappeared} |`);
    parts.push(
      ['### By rule', '', '| Rule | Would hold (new) | Would no longer hold |', '| --- | ---: | ---: |', ...rows].join(
        '\n',
      ),
    );
  }
  const listable = options.listable ? report.changed.filter(options.listable) : report.changed;
  const unlisted = report.changed.length - listable.length;
  if (unlisted > 0)
    parts.push(
      `_${unlisted} change(s) counted above are not listed${options.unlisted ? `: ${options.unlisted}` : ''}._`,
    );
  if (listable.length > 0) {
    const shown = listable.slice(0, max);
    const rows = shown.map(
      (c) =>
        `| ${c.id} | ${cell(c.repo)} | ${code(c.sha.slice(0, 7))} | ${cell(c.stage)} | ${cell(c.at)} | ${c.from} → **${c.to}** | ${c.appeared.map(code).join(' ')} | ${c.disappeared.map(code).join(' ')} |`,
    );
    const more =
      listable.length > shown.length ? `\n\n_${listable.length - shown.length} more change(s) not listed._` : '';
    parts.push(
      [
        '### Changes, most important first',
        '',
        '| Evaluation | Repository | Commit | Stage | At | Decision | Would hold | Would no longer hold |',
        '| ---: | --- | --- | --- | --- | --- | --- | --- |',
        ...rows,
      ].join('\n') + more,
    );
  }
  if (report.skipped.length > 0) {
    const reasons = new Map<string, number>();
    for (const s of report.skipped) reasons.set(s.reason, (reasons.get(s.reason) ?? 0) + 1);
    parts.push(
      `${report.skipped.length} decision(s) not simulated: ${[...reasons].map(([r, n]) => `${n} because ${r}`).join('; ')}.`,
    );
  }
  return truncateMarkdown(parts.join('\n\n'), options.limit ?? 65_535);
}
