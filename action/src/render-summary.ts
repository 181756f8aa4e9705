import type { EvidenceBundle, TestFailure } from '../../src/core/evidence-types.js';
import {
  DECISION_HEADLINE,
  cell,
  code,
  renderBreakdownTable,
  renderRolesSection,
  renderRulesTable,
  truncateMarkdown,
} from '../../src/core/render-markdown.js';
import { failingRules } from '../../src/core/rule-results.js';
import type { Decision } from '../../src/core/types.js';

/** GitHub's limit on a check run's `output.summary` and `output.text` (characters). */
export const CHECK_RUN_TEXT_LIMIT = 65_535;

export interface SummaryInput {
  decision: Decision;
  bundle: EvidenceBundle;
  mode: 'enforce' | 'report';
  policyPath: string;
  sha: string;
  shaSource: string;
  ref: string | undefined;
  /** Where each fact came from (one line each). */
  sources: string[];
}

export interface SummaryLimits {
  /** Failing tests listed; the rest are counted. */
  failures: number;
  /** Characters of a failure's message shown. */
  messageChars: number;
  /** The whole text's bound, in characters. */
  chars: number;
  /** The whole text's bound, in UTF-8 bytes. */
  bytes: number;
}

/** Bounds for the job summary (under GitHub's 1 MiB per step, with room for other steps' text). */
export const JOB_SUMMARY_LIMITS: SummaryLimits = { failures: 200, messageChars: 500, chars: 900_000, bytes: 900_000 };
/** Bounds for a check run's summary. */
export const CHECK_RUN_LIMITS: SummaryLimits = { failures: 50, messageChars: 300, chars: 60_000, bytes: Infinity };

/**
 * The Markdown summary of a decision: the decision first, the rules with their values,
 * the evidence breakdown, failing tests (bounded), where the facts came from, and what
 * to do next. Never longer than `limits.chars` characters or `limits.bytes` UTF-8 bytes.
 */
export function renderSummary(input: SummaryInput, limits: SummaryLimits): string {
  const d = input.decision;
  const parts: string[] = [];
  parts.push(`## Release gate: ${cell(d.environment)}`, '', DECISION_HEADLINE[d.decision]);
  if (d.decision === 'wait')
    parts.push(
      '',
      d.clearsAt
        ? `It clears by itself at **${d.clearsAt}**.`
        : 'It clears when an expected event arrives (an approval, a check, a deployment).',
    );
  parts.push(
    '',
    input.mode === 'enforce'
      ? `Mode \`enforce\`: this step ${d.decision === 'allow' ? 'passes' : 'fails'} (it passes only on allow).`
      : 'Mode `report`: this step reports the decision and does not fail on it.',
    '',
    `Commit ${code(input.sha)} (${input.shaSource})${input.ref ? `, ref ${code(input.ref)}` : ''}; policy ${code(input.policyPath)}.`,
  );
  parts.push('', '### Rules', '', renderRulesTable(d.rules));
  const roles = renderRolesSection(d.rules);
  if (roles) parts.push('', roles);
  parts.push('', '### Evidence', '', renderBreakdownTable(d.score, d.breakdown));
  const failing = renderFailures(input.bundle, limits);
  if (failing) parts.push('', failing);
  const sarif = renderSecurityErrors(input.bundle);
  if (sarif) parts.push('', sarif);
  if (input.sources.length > 0)
    parts.push('', '### Where the facts came from', '', ...input.sources.map((s) => `- ${s}`));
  parts.push('', '### What to do next', '', ...nextSteps(d, input.mode).map((s) => `- ${s}`));
  return bound(parts.join('\n') + '\n', limits);
}

/**
 * A Markdown text for a run that could not decide: a broken input (bad policy file,
 * unreadable report...) or a failure reaching GitHub.
 */
export function renderInputErrorSummary(environment: string, message: string, brokenInput = true): string {
  const shown = message.length > 20_000 ? `${message.slice(0, 20_000)}…` : message;
  return [
    `## Release gate: ${cell(environment)}`,
    '',
    '❌ **The gate could not decide**, so it does not let the release through.',
    '',
    '```',
    shown.replace(/```/g, "'''"),
    '```',
    '',
    '### What to do next',
    '',
    brokenInput
      ? '- Fix the input named above and run the workflow again.'
      : "- The gate could not read the facts it needs from GitHub (above). Check that the `token` input has the permissions the README lists and that GitHub's API is reachable, then re-run the job.",
    '',
  ].join('\n');
}

function bound(text: string, limits: SummaryLimits): string {
  let out = truncateMarkdown(text, limits.chars);
  let chars = limits.chars;
  while (Buffer.byteLength(out, 'utf8') > limits.bytes) {
    chars = Math.floor(chars * 0.9);
    out = truncateMarkdown(text, chars);
  }
  return out;
}

function testName(f: TestFailure): string {
  return [f.classname, f.name].filter(Boolean).join(' › ') || f.suite || '(unnamed test)';
}

function renderFailures(bundle: EvidenceBundle, limits: SummaryLimits): string | null {
  const t = bundle.tests;
  if (!t || t.failures.length === 0) return null;
  const total = t.failures.length + t.failuresOmitted;
  const shown = t.failures.slice(0, limits.failures);
  const rows = shown.map((f) => {
    const where = f.file ? `${f.file}${f.line !== null ? `:${f.line}` : ''}` : '';
    const message = f.message ?? f.output.split('\n')[0] ?? '';
    const short = message.length > limits.messageChars ? `${message.slice(0, limits.messageChars - 1)}…` : message;
    return `| ${f.kind} | ${cell(testName(f))} | ${cell(where)} | ${cell(short)} |`;
  });
  const more = total - shown.length;
  return [
    `### Failing tests (${total})`,
    '',
    '| | Test | File | Message |',
    '|---|---|---|---|',
    ...rows,
    ...(more > 0 ? ['', `_… and ${more} more failing test${more === 1 ? '' : 's'} not listed here._`] : []),
  ].join('\n');
}

function renderSecurityErrors(bundle: EvidenceBundle): string | null {
  const s = bundle.security;
  if (!s || s.results.error === 0) return null;
  // Where each rule's error-level results are, from the findings (not its results at other levels).
  const where = new Map<string, string[]>();
  for (const f of s.findings ?? []) {
    if (f.level !== 'error' || f.file === null) continue;
    const key = f.ruleId ?? '(no rule)';
    const list = where.get(key) ?? [];
    const loc = f.startLine === null ? f.file : `${f.file}:${f.startLine}`;
    if (list.length < 3 && !list.includes(loc)) list.push(loc);
    where.set(key, list);
  }
  const rules = Object.entries(s.byRule).filter(([, r]) => r.results.error > 0);
  const shown = rules.slice(0, 30);
  const rows = shown.map(
    ([id, r]) => `| ${code(id)} | ${r.results.error} | ${cell((where.get(id) ?? []).join(', '))} |`,
  );
  return [
    `### Security results at level error (${s.results.error})`,
    '',
    '| Rule | Results | Where |',
    '|---|---|---|',
    ...rows,
    ...(rules.length > shown.length ? ['', `_… and ${rules.length - shown.length} more rules not listed here._`] : []),
  ].join('\n');
}

const ADVICE: Record<string, string> = {
  POLICY_INVALID: 'Fix the policy file (the problems are listed above) and run again.',
  PROMOTION_ORDER: 'Deploy this commit to the previous stage first and let it succeed.',
  REF_NOT_ALLOWED: 'Release from a ref the stage allows (see the patterns above), e.g. push a version tag.',
  APPROVAL_REQUIRED: 'Ask reviewers who may approve (not the author) to approve the pull request or the deployment.',
  SCORE_TOO_LOW:
    'Raise the evidence score: fix failing tests, add coverage, resolve error-level security results, complete the checklist.',
  SCORE_NEEDS_APPROVAL: 'A member of an override team must approve this release, or raise the score.',
  TEAMS_UNREADABLE:
    "Give the Action's `token` input a GitHub App installation token with the organization permission Members: read (a workflow's GITHUB_TOKEN cannot read teams), or run this stage's step with `mode: report` and let the App decide it.",
  REVIEW_REQUIRED: 'Ask a member of the named review team to approve: the change touches paths that need their review.',
  EVIDENCE_MISSING: 'Give the missing evidence to the Action (the inputs are named after the kinds).',
  SOAK_INCOMPLETE: 'Wait for the soak time in the previous stage to pass, then run again.',
  FREEZE_WINDOW_ACTIVE: 'Wait for the freeze window to end, or ask for an override through the App.',
  CHECKS_PENDING: 'Wait for the required checks to finish (or make this job depend on them), then run again.',
  CHECKS_FAILED: 'Fix the failing required checks and run again.',
  ENVIRONMENT_NOT_IN_POLICY: 'Use an environment the policy names, or add it to the policy.',
};

function nextSteps(d: Decision, mode: 'enforce' | 'report'): string[] {
  const failing = failingRules(d.rules);
  if (d.decision === 'allow' || failing.length === 0) return ['Nothing: the release may go on.'];
  const steps = failing.map((r) => `${code(r.code)}: ${ADVICE[r.code] ?? r.message}`);
  if (mode === 'report')
    steps.push('This run is in `report` mode: set `mode: enforce` to make it a required check that stops the release.');
  return [...new Set(steps)];
}
