import { environmentResults } from './evaluation-results.js';
import { freezeStatus } from './freeze-windows.js';
import { approvalsRule, isResultOf } from './rules/index.js';
import {
  DECISION_HEADLINE,
  cell,
  code,
  renderBreakdownTable,
  renderRolesSection,
  renderRulesTable,
  truncateMarkdown,
} from './render-markdown.js';
import { neutralizeMentions } from './markdown-escape.js';
import { failingRules } from './rule-results.js';
import type { Decision, EnvironmentPolicy, OverrideFact, RuleResult } from './types.js';

/** GitHub refuses check run summaries longer than this. */
export const CHECK_RUN_SUMMARY_LIMIT = 65_535;

export interface TimelineEntry {
  at: string;
  type: string;
  environment: string | null;
  status: string | null;
  actor: string | null;
  notes: string | null;
}

export interface GateSummaryInput {
  decision: Decision;
  sha: string;
  ref?: string | null;
  /** The GitHub environment asked for. */
  githubEnvironment: string;
  /** The stage's policy, when the policy loaded and names the environment. */
  stage?: EnvironmentPolicy | null;
  policy: {
    path: string;
    ref: string;
    blobSha: string | null;
    commitSha: string | null;
    valid: boolean;
    /** Every file the policy came from, when the org default is one of them. */
    files?: readonly PolicyFileInfo[];
  };
  overrides: OverrideFact[];
  timeline: TimelineEntry[];
  /** Where the evidence came from. */
  evidence?: { checkRunId: number; appSlug: string } | null;
  notes?: string[];
  /** The decision's instant (ISO-8601). */
  at: string;
  /** Who or what asked (`deployment_protection_rule by alice`). */
  trigger?: string;
  apiCalls?: number;
}

/** One file a policy came from: the repository's own or the org default (`<owner>/.github`). */
export interface PolicyFileInfo {
  /** `owner/name`. */
  repository: string;
  path: string;
  /** The branch read; empty for "its default branch". */
  ref: string;
  blobSha: string | null;
  commitSha: string | null;
  role: 'repository' | 'org default';
}

/** The check run's conclusion for a decision. */
export function gateConclusion(decision: Decision['decision']): 'success' | 'failure' | 'neutral' {
  return decision === 'allow' ? 'success' : decision === 'block' ? 'failure' : 'neutral';
}

/** `Release gate / PROD: allowed` and the like, for the check run's title (under 256 characters). */
export function gateTitle(decision: Decision): string {
  const failing = failingRules(decision.rules).map((r) => r.code);
  const word = decision.decision === 'allow' ? 'Allowed' : decision.decision === 'wait' ? 'Waiting' : 'Blocked';
  const detail = failing.length > 0 ? `: ${failing.join(', ')}` : '';
  const title = `${word} for ${decision.environment}${detail}`;
  return title.length > 250 ? `${title.slice(0, 249)}…` : title;
}

/** A one-paragraph answer for the protection rule callback: the decision and every failing rule. */
export function gateComment(decision: Decision, limit = 1024): string {
  const failing = failingRules(decision.rules);
  const head =
    decision.decision === 'allow'
      ? `Release gate: allowed for ${decision.environment}${decision.ungated ? ' (not gated by the policy)' : ''}.`
      : decision.decision === 'wait'
        ? `Release gate: waiting for ${decision.environment}${decision.clearsAt ? ` until ${decision.clearsAt}` : ''}.`
        : `Release gate: rejected for ${decision.environment}.`;
  const overridden = decision.rules
    .filter((r) => r.overriddenBy)
    .map((r) => `${r.code} overridden by ${r.overriddenBy!.grantedBy}`);
  const parts = [
    head,
    ...failing.map(
      (r) => `${r.code}: ${r.message}${r.outcome === 'wait' && r.clearsAt ? ` (clears ${r.clearsAt})` : ''}`,
    ),
    ...overridden,
  ];
  // Messages may quote people (an environment name, a reason): the answer mentions nobody.
  const text = neutralizeMentions(parts.join(' '));
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function approvalsSection(rules: readonly RuleResult[]): string | null {
  const rule = rules.find((r) => isResultOf(approvalsRule, r));
  if (!rule) return null;
  const approvers = rule.values.approvers;
  const notCounted = rule.values.notCounted ?? [];
  const lines = [
    '### Approvals',
    '',
    `Counted (${approvers.length} of ${String(rule.values.required)} required): ${approvers.length > 0 ? approvers.map((a) => cell(a)).join(', ') : 'none'}`,
  ];
  if (notCounted.length > 0) {
    lines.push('', '| Not counted | Source | Why |', '|---|---|---|');
    for (const n of notCounted.slice(0, 100))
      lines.push(`| ${cell(n.login)} | ${cell(n.source)} | ${cell(n.reason)} |`);
    if (notCounted.length > 100) lines.push(`| … | | ${notCounted.length - 100} more |`);
  }
  return lines.join('\n');
}

function freezeSection(stage: EnvironmentPolicy, at: Date): string {
  const lines = ['### Freeze windows', ''];
  lines.push('| Window | Rule | Time zone |', '|---|---|---|');
  for (const w of stage.freezeWindows.slice(0, 50)) {
    const rule =
      w.kind === 'daily'
        ? `${w.days.join(', ')} ${w.start}–${w.end}`
        : w.kind === 'range'
          ? `${w.from} – ${w.to}`
          : `${w.rrule} for ${Math.round(w.durationMs / 60_000)} min`;
    lines.push(`| ${cell(w.name)} | ${cell(rule)} | ${cell(w.timezone)} |`);
  }
  try {
    const status = freezeStatus(stage.freezeWindows, at);
    if (status.frozen)
      lines.push(
        '',
        `Frozen now by ${cell(status.window ?? '')}${status.until ? ` until ${status.until.toISOString()}` : ''}.`,
      );
    if (status.next)
      lines.push(
        '',
        `Next window: ${cell(status.next.window)} from ${status.next.start.toISOString()} to ${status.next.end.toISOString()}.`,
      );
  } catch (error) {
    lines.push('', `_Could not compute the windows: ${cell(error instanceof Error ? error.message : String(error))}_`);
  }
  return lines.join('\n');
}

function overridesSection(overrides: readonly OverrideFact[], decision: Decision): string | null {
  if (overrides.length === 0) return null;
  const used = new Set(decision.overridesUsed);
  const lines = [
    '### Overrides',
    '',
    '| By | Confirmed by | Reason | Risk | Rules | Expires | State |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const o of overrides.slice(-50)) {
    const state = o.usedAt ? `used ${o.usedAt}` : used.has(o.id ?? '') ? 'used by this decision' : 'not used';
    lines.push(
      `| ${cell(o.grantedBy)} | ${cell(o.confirmedBy ?? '')} | ${cell(o.reason)} | ${cell(o.risk)} | ${cell(o.rules.join(', ') || 'all')} | ${cell(o.expiresAt)} | ${cell(state)} |`,
    );
  }
  return lines.join('\n');
}

function timelineSection(timeline: readonly TimelineEntry[]): string | null {
  if (timeline.length === 0) return null;
  const shown = timeline.slice(-60);
  const lines = [
    '### Timeline of the release',
    '',
    '| At | Event | Environment | Status | By | Notes |',
    '|---|---|---|---|---|---|',
  ];
  if (shown.length < timeline.length) lines.push(`| … | ${timeline.length - shown.length} earlier events | | | | |`);
  for (const e of shown)
    lines.push(
      `| ${cell(e.at)} | ${cell(e.type)} | ${cell(e.environment ?? '')} | ${cell(e.status ?? '')} | ${cell(e.actor ?? '')} | ${cell((e.notes ?? '').slice(0, 200))} |`,
    );
  return lines.join('\n');
}

const shortSha = (label: string, sha: string | null): string => (sha ? `, ${label} ${code(sha.slice(0, 12))}` : '');

function policySection(p: GateSummaryInput['policy']): string {
  const invalid = p.valid ? '' : ' — **invalid: the gate fails closed**';
  const files = p.files ?? [];
  if (!files.some((f) => f.role === 'org default')) {
    return `### Policy\n\n${code(p.path)} on ${code(p.ref || '(unknown branch)')}${shortSha('blob', p.blobSha)}${shortSha('commit', p.commitSha)}${invalid}.`;
  }
  const own = files.some((f) => f.role === 'repository');
  const head = own
    ? `The repository's file extends the org default (\`extends: org\`)${invalid}:`
    : `The repository has no policy file of its own: the org default applies${invalid}.`;
  const lines = files.map(
    (f) =>
      `- ${code(f.path)} in ${code(f.repository)} on ${f.ref ? code(f.ref) : 'its default branch'}${shortSha('blob', f.blobSha)}${shortSha('commit', f.commitSha)} (${f.role === 'org default' ? 'org default' : 'this repository'})`,
  );
  return `### Policy\n\n${head}\n\n${lines.join('\n')}`;
}

/**
 * The audit summary of one gate decision, for the `Release gate / <STAGE>` check run:
 * decision first, then every rule, approvals counted and not, evidence, freeze windows,
 * overrides, the policy file and its commit, and the release's timeline. Never longer
 * than GitHub's 65,535 characters, whatever the input.
 */
export function renderGateSummary(input: GateSummaryInput, limit = CHECK_RUN_SUMMARY_LIMIT): string {
  const d = input.decision;
  const parts: string[] = [];
  parts.push(`## ${DECISION_HEADLINE[d.decision]}`);
  const where = `${code(input.sha.slice(0, 12))}${input.ref ? ` (${cell(input.ref)})` : ''} → **${cell(d.environment)}**${input.githubEnvironment.toLowerCase() !== d.environment.toLowerCase() ? ` (GitHub environment ${code(input.githubEnvironment)})` : ''}`;
  parts.push(`${where} at ${cell(input.at)}${input.trigger ? `, on ${cell(input.trigger)}` : ''}.`);
  if (d.decision === 'wait')
    parts.push(
      d.clearsAt
        ? `Clears by itself at **${d.clearsAt}** if nothing else changes.`
        : `Waits for an event (an approval, a check, a deployment)${d.recheckAt ? `; looks again at ${d.recheckAt}` : ''}.`,
    );
  if (d.ungated) parts.push('_This environment is not named by the policy: it is not gated._');
  const lookalike = d.rules
    .filter((r) => isResultOf(environmentResults, r))
    .find((r) => r.code === 'ENVIRONMENT_LOOKALIKE');
  if (lookalike) {
    parts.push(
      `> [!WARNING]\n> The environment ${code(lookalike.values.environment)} (${cell(lookalike.values.codePoints)}) looks like ${code(lookalike.values.resembles)} of stage ${cell(lookalike.values.stage)} but is another environment: the gate does not approve it as ungated.`,
    );
  }
  parts.push(renderRulesTable(d.rules));
  const roles = renderRolesSection(d.rules);
  if (roles) parts.push(roles);
  const approvals = approvalsSection(d.rules);
  if (approvals) parts.push(approvals);
  parts.push(
    `### Evidence\n\n${renderBreakdownTable(d.score, d.breakdown)}${input.evidence ? `\n\nFrom check run ${input.evidence.checkRunId} by ${code(input.evidence.appSlug)}.` : ''}`,
  );
  if (input.stage && input.stage.freezeWindows.length > 0) parts.push(freezeSection(input.stage, new Date(input.at)));
  const overrides = overridesSection(input.overrides, d);
  if (overrides) parts.push(overrides);
  parts.push(policySection(input.policy));
  if (input.notes && input.notes.length > 0)
    parts.push(
      input.notes
        .slice(0, 20)
        .map((n) => `> ${cell(n)}`)
        .join('\n'),
    );
  const timeline = timelineSection(input.timeline);
  if (timeline) parts.push(timeline);
  if (input.apiCalls !== undefined) parts.push(`<sub>${input.apiCalls} GitHub API call(s) for this decision.</sub>`);
  return truncateMarkdown(parts.join('\n\n'), limit);
}
