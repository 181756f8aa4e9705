import { POLICY_PATH } from '../core/policy-source.js';
import { findStageIndex } from '../core/evaluate.js';
import { gateTitle, renderGateSummary } from '../core/render-gate-summary.js';
import type { PolicyFileInfo } from '../core/render-gate-summary.js';
import { renderDecisionText } from '../core/render-text.js';
import { compareRules, recordedInputs, Replayer } from '../core/replay.js';
import type { StoredEvaluation } from '../core/replay.js';
import type { Decision, DecisionKind, EnvironmentPolicy, RuleResult } from '../core/types.js';
import type { AuditStore } from '../store/audit.js';
import type { EvaluationStore } from '../store/evaluations.js';
import type { ReleaseStore } from '../store/releases.js';
import { EXIT, UsageError, parseFlags, writeLine } from './io.js';
import { decisionJson } from './evaluate-flags.js';
import { FORMAT_FLAGS, formatHelp, outputFormat } from './output-format.js';
import { DATABASE_HELP, openRecord, RECORD_FLAGS, storedEvaluation } from './replay.js';
import type { RecordCommand } from './replay.js';

/** A stored evaluation explained: the decision as its check run showed it, and how it was told. */
export interface Explanation {
  title: string;
  /** The check run's summary (Markdown). */
  summary: string;
  decision: Decision;
  /** How the record gave the decision: replayed (identical), or the stored rules and why. */
  source: string;
}

/** The decision a record keeps, when it cannot be replayed: its stored rules and score. */
function storedDecision(record: StoredEvaluation, score: number | null): Decision {
  const { facts } = recordedInputs(record.inputs);
  const rules = Array.isArray(record.rules) ? (record.rules as RuleResult[]) : [];
  return {
    decision: record.decision as DecisionKind,
    environment: record.stage ?? record.environment,
    ungated: record.stage === null,
    rules,
    score,
    breakdown: facts?.evidence.breakdown ?? {},
    clearsAt: null,
    recheckAt: null,
    overridesUsed: [],
  };
}

/**
 * Explains evaluation `id` from the record alone: its decision replayed from the stored
 * policy texts, facts and instant (or, when it cannot be, its stored rules), rendered by
 * the renderer of the `Release gate / <STAGE>` check run with the release's timeline up to
 * the decision.
 */
export async function explainEvaluation(
  store: Pick<EvaluationStore, 'getEvaluation' | 'getPolicyTexts'> &
    Pick<ReleaseStore, 'getRelease'> &
    Pick<AuditStore, 'timeline'>,
  id: number,
): Promise<Explanation> {
  const row = await store.getEvaluation(id);
  if (row === null) throw new UsageError(`release-gate explain: there is no evaluation ${id} in the record.`);
  const record = storedEvaluation(row);
  const texts = await store.getPolicyTexts((row.policyFiles ?? []).map((f) => f.sha256));
  const replayer = new Replayer((h) => texts.get(h));
  const replayed = replayer.decide(record);
  let decision: Decision;
  let source: string;
  if ('reason' in replayed) {
    decision = storedDecision(record, row.score);
    source = `Shown from the rules stored with it: it cannot be replayed (${replayed.reason}).`;
  } else if (replayed.decision === row.decision && compareRules(row.rules, replayed.rules).length === 0) {
    decision = replayed;
    source = `Replayed from the record (policy texts, facts, instant): identical to the decision stored${row.engineVersion ? ` by engine ${row.engineVersion}` : ''}.`;
  } else {
    decision = storedDecision(record, row.score);
    source = `Shown from the rules stored with it: replaying the record gives ${replayed.decision}, not ${row.decision} (see release-gate replay --id ${id}).`;
  }
  const policy = replayer.policyOf(record);
  let stage: EnvironmentPolicy | null = null;
  if (policy.kind === 'policy' && !decision.ungated) {
    const index = findStageIndex(policy.policy, row.environment);
    stage = index >= 0 ? policy.policy.environments[index]! : null;
  }
  const files: PolicyFileInfo[] = (row.policyFiles ?? []).map((f) => ({
    repository: f.repository,
    path: f.path,
    ref: f.ref,
    blobSha: f.blobSha,
    commitSha: f.commitSha ?? null,
    role: f.role,
  }));
  const main = files.find((f) => f.role === 'repository') ?? files[0];
  const release = await store.getRelease(row.repo, row.sha);
  const timeline = (await store.timeline({ repo: row.repo, sha: row.sha })).filter(
    (e) => e.at.getTime() <= row.at.getTime(),
  );
  const { facts } = recordedInputs(row.inputs);
  const notes = Array.isArray((row.inputs as { notes?: unknown } | null)?.notes)
    ? ((row.inputs as { notes: unknown[] }).notes.filter((n) => typeof n === 'string') as string[])
    : [];
  const summary = renderGateSummary({
    decision,
    sha: row.sha,
    ref: release?.ref ?? null,
    githubEnvironment: row.environment,
    stage,
    policy: {
      path: main
        ? main.role === 'org default'
          ? `${main.repository}/${main.path}`
          : main.path
        : (row.policyPath ?? POLICY_PATH),
      ref: main?.ref ?? '',
      blobSha: main?.blobSha ?? row.policySha,
      commitSha: main?.commitSha ?? null,
      valid: !decision.rules.some((r) => r.code === 'POLICY_INVALID'),
      files,
    },
    overrides: facts?.overrides ?? [],
    timeline: timeline.map((e) => ({
      at: e.at.toISOString(),
      type: e.type,
      environment: e.environment,
      status: e.status,
      actor: e.actor,
      notes: e.notes,
    })),
    notes,
    at: row.at.toISOString(),
    ...(row.actor ? { trigger: `a request by ${row.actor}` } : {}),
  });
  return { title: gateTitle(decision), summary, decision, source };
}

export const EXPLAIN_COMMAND: RecordCommand = {
  help: `Usage: release-gate explain --id N [--database URL] [--format markdown|text|json]

Prints a recorded decision the way its "Release gate / <STAGE>" check run shows it: every
rule with its values, approvals counted and not, evidence, freeze windows, overrides, the
policy files and the release's timeline up to the decision. Built from the record alone
(the decision is replayed from the stored policy texts, facts and instant), without GitHub.

Options:
  --id N               the evaluation (release-gate replay and the audit export name them)
${DATABASE_HELP}
${formatHelp(['markdown', 'text', 'json'], {
  markdown: "the check run's summary",
  text: 'the rules in words',
  json: '{ id, title, source, decision } with the decision as evaluate prints it',
})}

Example:
  release-gate explain --id 1234 --database postgresql://gate@db:5432/gate`,
  async run(argv, io) {
    const { values } = parseFlags('explain', argv, {
      ...RECORD_FLAGS,
      id: { type: 'string' },
      ...FORMAT_FLAGS,
    });
    const format = outputFormat('explain', values, ['markdown', 'text', 'json']);
    if (values.id === undefined || !/^\d+$/.test(values.id) || Number(values.id) < 1) {
      throw new UsageError(
        `release-gate explain: --id N is required, the evaluation's id (a whole number from 1)${values.id === undefined ? '' : `, not "${values.id}"`}.`,
      );
    }
    const store = await openRecord('explain', values, io);
    let explanation: Explanation;
    try {
      explanation = await explainEvaluation(store, Number(values.id));
    } finally {
      await store.close();
    }
    if (format === 'json') {
      const { title, source, decision } = explanation;
      writeLine(
        io.stdout,
        JSON.stringify({ id: Number(values.id), title, source, decision: decisionJson(decision) }, null, 2),
      );
      return EXIT.ok;
    }
    if (format === 'text') {
      writeLine(io.stdout, renderDecisionText(explanation.decision));
    } else {
      writeLine(io.stdout, `# ${explanation.title}`);
      writeLine(io.stdout);
      writeLine(io.stdout, explanation.summary);
    }
    writeLine(io.stdout);
    writeLine(io.stdout, explanation.source);
    return EXIT.ok;
  },
};
