import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { evaluate, findStageIndex, policyInvalidDecision } from '../../src/core/evaluate.js';
import { evidenceFacts } from '../../src/core/evidence-facts.js';
import { evidenceCounts, renderEvidenceBlock } from '../../src/core/evidence-block.js';
import type { EvidenceBundle } from '../../src/core/evidence-types.js';
import { failingRules } from '../../src/core/rule-results.js';
import type { Decision, EvidenceKind, Policy, ReleaseFacts } from '../../src/core/types.js';
import { PolicyFileError, readPolicyFile } from '../../src/local/policy-file.js';
import { collectEvidence, EvidenceError, type EvidenceInputs } from '../../src/evidence/index.js';
import { buildAnnotations } from './annotations.js';
import { publishCheckRun } from './check-run.js';
import { loadCiFacts, type ActionClient } from './ci-facts.js';
import { loadCiTeams } from './ci-teams.js';
import { digestInputs } from './evidence-digests.js';
import { getSettings, InputError, type ActionSettings } from './input-helper.js';
import { CHECK_RUN_LIMITS, JOB_SUMMARY_LIMITS, renderInputErrorSummary, renderSummary } from './render-summary.js';

const INPUT_OF_KIND: Record<EvidenceError['kind'], string> = {
  junit: 'junit',
  coverage: 'coverage',
  sarif: 'sarif',
  checklist: 'checklist',
  input: 'junit, coverage or sarif',
};

/** An input the gate cannot decide from: the step fails in both modes. */
class BrokenInputError extends Error {
  override name = 'BrokenInputError';
}

/**
 * The Action: read the inputs, decide with the same core as the CLI and the App, publish
 * the evidence check run and the job summary, set the outputs, and fail the step when
 * the mode says so. Never throws: every failure ends in `core.setFailed`.
 */
export async function run(): Promise<void> {
  let settings: ActionSettings;
  try {
    settings = getSettings();
  } catch (error) {
    core.setFailed(
      error instanceof InputError ? error.message : `Release gate: cannot read the inputs: ${describe(error)}`,
    );
    return;
  }
  const octokit = githubClient(settings);
  const now = new Date();
  try {
    await gate(settings, octokit, now);
  } catch (error) {
    const message =
      error instanceof BrokenInputError
        ? error.message
        : `Release gate: the gate could not decide, so it does not let the release through: ${describe(error)}`;
    core.setOutput('decision', 'block');
    const summary = renderInputErrorSummary(settings.environment, message, error instanceof BrokenInputError);
    try {
      await writeJobSummary(summary);
      await publishSafely(octokit, settings, {
        conclusion: 'failure',
        title: `${settings.environment}: the gate could not decide`,
        summary,
        text: '',
        annotations: [],
      });
    } catch (reportError) {
      core.warning(`Could not report the failure on the commit: ${describe(reportError)}`);
    }
    core.setFailed(message);
  }
}

async function gate(settings: ActionSettings, octokit: ActionClient, now: Date): Promise<void> {
  const gh = settings.github;
  const cwd = gh.workspace;
  let policy: Policy;
  let policyText: string;
  try {
    ({ policy, text: policyText } = await readPolicyFile(settings.policy, cwd));
  } catch (error) {
    if (!(error instanceof PolicyFileError)) throw error;
    // Fail closed: the decision of a gate without a valid policy is a block, in both modes.
    const decision = policyInvalidDecision(settings.environment, error.problems);
    await report(
      settings,
      octokit,
      decision,
      {},
      ['Policy: could not be loaded, so GitHub was not asked for anything.'],
      {},
      [],
    );
    core.setFailed(`Input policy: ${error.problems.join('\n')}`);
    return;
  }

  const inputs = evidenceInputs(settings);
  let bundle: EvidenceBundle;
  try {
    bundle = await collectEvidence(inputs);
  } catch (error) {
    if (error instanceof EvidenceError)
      throw new BrokenInputError(`Input ${INPUT_OF_KIND[error.kind]}: ${error.message}`);
    throw error;
  }
  const digests = await digestInputs(
    {
      policyText,
      junit: inputs.junit ?? [],
      coverage: inputs.coverage ?? [],
      sarif: inputs.sarif ?? [],
      checklistFile: inputs.checklist,
      checklistText: inputs.checklistText,
    },
    cwd,
  );
  const evidence = evidenceFacts(bundle, policy.scoring, now);
  const ci = await loadCiFacts(octokit, policy, settings.environment, gh, now);
  const facts: ReleaseFacts = {
    environment: settings.environment,
    sha: gh.sha,
    ref: gh.ref,
    author: gh.pullRequest?.author ?? gh.headCommitAuthor ?? undefined,
    deployer: gh.actor,
    evidence,
    teams: {},
    overrides: [],
    ...ci.facts,
  };
  const teams = await loadCiTeams(octokit, policy, facts, gh.owner);
  facts.teams = teams.teams;
  if (Object.keys(teams.teamErrors).length > 0) facts.teamErrors = teams.teamErrors;
  const decision = evaluate(policy, facts, now);
  const sources = [
    `Commit: ${gh.sha.slice(0, 7)} from the ${gh.shaSource}${gh.ref ? `, ref ${gh.ref} (GITHUB_REF)` : ''}; author ${facts.author ?? 'unknown'}, started by ${facts.deployer ?? 'unknown'}.`,
    `Evidence: ${evidence.present.length > 0 ? evidence.present.join(', ') : 'none'} from the Action's inputs${settings.checklist.from === 'pr-body' ? ' (the checklist from the pull request body)' : ''}.`,
    ...ci.sources,
    ...teams.sources,
    ...changedFilesNote(policy, settings.environment),
  ];
  await report(settings, octokit, decision, bundle, sources, digests, evidence.present);
  if (settings.mode === 'enforce' && decision.decision !== 'allow') core.setFailed(failureMessage(decision));
  else if (decision.decision !== 'allow')
    core.notice(`${failureMessage(decision)} (mode report: the step does not fail)`);
}

function evidenceInputs(settings: ActionSettings): EvidenceInputs {
  const declared =
    settings.rollbackPlan !== undefined || settings.backup !== undefined || settings.migrations !== undefined
      ? {
          rollbackPlan: settings.rollbackPlan ?? null,
          backup: settings.backup ?? null,
          migrations: settings.migrations ?? null,
        }
      : undefined;
  const pr = settings.github.pullRequest;
  const fromBody = settings.checklist.from === 'pr-body' && pr !== null;
  // The PR body by default counts only when it holds a task list; named explicitly, it always counts.
  const useBody =
    fromBody &&
    (settings.checklist.from === 'pr-body' && settings.checklist.explicit ? true : /\[[ xX]\]/.test(pr.body));
  return {
    junit: settings.junit,
    coverage: settings.coverage,
    sarif: settings.sarif,
    checklist: settings.checklist.from === 'file' ? settings.checklist.path : undefined,
    checklistText: useBody ? pr.body : undefined,
    evidenceUrl: settings.evidenceUrl,
    declared,
    cwd: settings.github.workspace,
  };
}

/** The Action does not read the files changed since the last stage's deployment: it says so where a path rule needs them. */
function changedFilesNote(policy: Policy, environment: string): string[] {
  const index = findStageIndex(policy, environment);
  if (index < 0 || policy.environments[index]!.requiredReviewers.length === 0) return [];
  return [
    'Changed files: not read in CI, so every `requiredReviewers` path rule applies here, as for a first release; the App compares the release with its last deployment to the last stage.',
  ];
}

/** Outputs, check run and job summary for a decision. */
async function report(
  settings: ActionSettings,
  octokit: ActionClient,
  decision: Decision,
  bundle: EvidenceBundle,
  sources: string[],
  digests: Record<string, string>,
  present: EvidenceKind[],
): Promise<void> {
  const gh = settings.github;

  const summaryInput = {
    decision,
    bundle,
    mode: settings.mode,
    policyPath: settings.policy,
    sha: gh.sha,
    shaSource: gh.shaSource,
    ref: gh.ref,
    sources,
  };
  const { annotations, omitted } = buildAnnotations(bundle, gh.workspace);
  const note =
    omitted > 0
      ? `\n_${omitted} further annotation${omitted === 1 ? ' was' : 's were'} left out (at most ${annotations.length} are sent)._\n`
      : '';
  const checkSummary =
    renderSummary(summaryInput, { ...CHECK_RUN_LIMITS, chars: CHECK_RUN_LIMITS.chars - note.length }) + note;
  const block = renderEvidenceBlock({
    version: 1,
    environment: decision.environment,
    score: decision.score,
    breakdown: decision.breakdown,
    present,
    digests,
    decision: decision.decision,
    counts: evidenceCounts(bundle),
    // The run that wrote it: the App traces the evidence to this run (path, commit, repository).
    ...(gh.runId !== undefined ? { run: { id: gh.runId, ...(gh.runAttempt ? { attempt: gh.runAttempt } : {}) } } : {}),
  });
  const conclusion =
    decision.decision === 'allow'
      ? 'success'
      : settings.mode === 'enforce' || decision.rules.some((r) => r.code === 'POLICY_INVALID')
        ? 'failure'
        : 'neutral';
  const published = await publishSafely(octokit, settings, {
    conclusion,
    title: checkTitle(decision),
    summary: checkSummary,
    text: block,
    annotations,
  });
  const link = published
    ? `\n[The evidence check run](${published.url}) holds the same summary and the annotations.\n`
    : '';
  await writeJobSummary(
    renderSummary(summaryInput, { ...JOB_SUMMARY_LIMITS, chars: JOB_SUMMARY_LIMITS.chars - 2_000 }) + note + link,
  );
  // Outputs last: a run that fails to report above ends as "could not decide" with decision block.
  const failing = failingRules(decision.rules);
  core.setOutput('decision', decision.decision);
  core.setOutput('score', decision.score === null ? '' : String(decision.score));
  core.setOutput('breakdown', JSON.stringify(decision.breakdown));
  core.setOutput('blocked-by', failing.map((r) => r.code).join(','));
  core.setOutput('clears-at', decision.clearsAt ?? '');
}

function checkTitle(d: Decision): string {
  const word = { allow: 'Allowed', wait: 'Waiting', block: 'Blocked' }[d.decision];
  const score = d.score === null ? 'no evidence score' : `score ${d.score}`;
  const codes = failingRules(d.rules).map((r) => r.code);
  return `${word} for ${d.environment}: ${score}${codes.length > 0 ? ` (${codes.join(', ')})` : ''}`;
}

function failureMessage(d: Decision): string {
  const failing = failingRules(d.rules);
  const word = d.decision === 'wait' ? 'waits' : 'blocks';
  const clears =
    d.decision === 'wait'
      ? d.clearsAt
        ? ` It clears at ${d.clearsAt}.`
        : ' It clears when an expected event arrives.'
      : '';
  return `Release gate ${word} ${d.environment}: ${failing.map((r) => `${r.code}: ${r.message}`).join(' ')}${clears}`;
}

async function publishSafely(
  octokit: ActionClient,
  settings: ActionSettings,
  c: {
    conclusion: 'success' | 'failure' | 'neutral';
    title: string;
    summary: string;
    text: string;
    annotations: ReturnType<typeof buildAnnotations>['annotations'];
  },
): Promise<{ url: string } | null> {
  try {
    return await publishCheckRun(octokit, {
      owner: settings.github.owner,
      repo: settings.github.repo,
      name: settings.checkName,
      headSha: settings.github.sha,
      ...c,
    });
  } catch (error) {
    const status = (error as { status?: unknown } | null)?.status;
    if (status === 403 || status === 404) {
      // A pull request from a fork gets a read-only token: report in the job summary only.
      core.warning(
        `Could not create the check run "${settings.checkName}" (GitHub answered ${status}): give the workflow permissions: checks: write. The App reads the evidence from that check run.`,
      );
      return null;
    }
    throw error;
  }
}

async function writeJobSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.info(markdown);
    return;
  }
  await core.summary.addRaw(markdown).write();
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The GitHub client: GitHub's 5xx answers and network errors are retried with backoff
 * (1 s, 4 s, 9 s...), and rate limits are waited out when GitHub says how long (at most a
 * minute each), `github-retries` times. 4xx answers other than rate limits are not retried.
 */
function githubClient(settings: ActionSettings): ActionClient {
  const retries = settings.githubRetries;
  const onLimit =
    (kind: string) =>
    (retryAfter: number, options: { method?: string; url?: string }, _octokit: unknown, retryCount: number) => {
      const again = retryCount < retries && retryAfter <= 60;
      core.warning(
        `GitHub ${kind} on ${options.method ?? ''} ${options.url ?? ''}: ${again ? `retrying in ${retryAfter} s` : 'giving up'}.`,
      );
      return again;
    };
  return getOctokit(
    settings.token,
    {
      baseUrl: settings.github.apiUrl,
      retry: { enabled: retries > 0, retries },
      throttle: {
        enabled: retries > 0,
        onRateLimit: onLimit('rate limit'),
        onSecondaryRateLimit: onLimit('secondary rate limit'),
      },
    },
    retry,
    throttling,
  ) as unknown as ActionClient;
}
