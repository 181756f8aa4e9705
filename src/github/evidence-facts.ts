import { parseEvidenceBlock } from '../core/evidence-block.js';
import type { EvidenceBlockData } from '../core/evidence-block.js';
import { evidenceFacts } from '../core/evidence-facts.js';
import type { Policy, ReleaseFacts } from '../core/types.js';
import type { GitHubClient, RepoRef } from './types.js';
import { traceWorkflowRun } from './workflow-trace.js';

/** The name of the check run the Action writes with the evidence block. */
export const EVIDENCE_CHECK_NAME = 'Release evidence';
/** Only evidence written by GitHub Actions is trusted (SECURITY.md). */
export const TRUSTED_EVIDENCE_APP = 'github-actions';

/** What the evidence loader fills in: the facts' evidence, the check run it came from, notes for the reader. */
export interface EvidenceResult {
  facts: ReleaseFacts;
  evidenceCheck: {
    id: number;
    appSlug: string;
    trusted: boolean;
    workflow?: string;
    actionScore?: number | null;
  } | null;
  notes: string[];
}

const runKey = (run: NonNullable<EvidenceBlockData['run']>) => `${run.id}#${run.attempt ?? 1}`;

/**
 * The release's evidence: the newest `Release evidence` check run created by GitHub Actions
 * on the release commit, scored here from its raw counts under the default branch's policy
 * (the Action's own score is never used). When the policy names `evidence.workflows`, the
 * evidence is traced to the workflow run that wrote it: the run its block names
 * (`GITHUB_RUN_ID`) must be one of those workflows, of the release commit, in this repository
 * (not a fork), with the default branch's file; two blocks claiming one run are both refused
 * (a workflow wrote another run's id). The check suite GitHub filed the check run under is
 * not taken for its origin: GitHub files check runs made with `GITHUB_TOKEN` under the
 * first workflow run of the commit, whichever made them.
 */
export async function loadEvidence(
  octokit: GitHubClient,
  where: RepoRef,
  policy: Policy,
  request: { sha: string; defaultBranch?: string },
  now: Date,
  result: EvidenceResult,
): Promise<void> {
  const { notes } = result;
  const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', {
    ...where,
    ref: request.sha,
    check_name: EVIDENCE_CHECK_NAME,
    per_page: 20,
  });
  const runs = data.check_runs.filter((c) => c.head_sha === request.sha);
  const trusted = runs.filter((c) => c.app?.slug === TRUSTED_EVIDENCE_APP);
  if (runs.length > trusted.length)
    notes.push(
      `Ignored ${runs.length - trusted.length} "${EVIDENCE_CHECK_NAME}" check run(s) not created by GitHub Actions.`,
    );
  const workflows = policy.evidence.workflows;
  if (workflows.length === 0 && trusted.length > 0)
    notes.push(
      'Any workflow of the repository may publish evidence: name the allowed ones in `evidence.workflows` of the policy.',
    );
  const blocks = trusted.map((run) => ({
    run,
    block: parseEvidenceBlock(run.output?.text ?? run.output?.summary ?? null),
  }));
  const claims = new Map<string, number>();
  for (const { block } of blocks)
    if (block?.run) claims.set(runKey(block.run), (claims.get(runKey(block.run)) ?? 0) + 1);
  // Newest first (GitHub lists them so); the first with a readable, allowed block wins.
  for (const { run, block } of blocks) {
    if (!block) continue;
    let workflow: string | undefined;
    if (workflows.length > 0) {
      const verdict = await evidenceRun(octokit, where, block, request, workflows, claims);
      if (!verdict.ok) {
        notes.push(`Ignored the "${EVIDENCE_CHECK_NAME}" check run ${run.id}: ${verdict.reason}`);
        continue;
      }
      workflow = verdict.path;
    }
    if (!block.counts) {
      notes.push(
        `The "${EVIDENCE_CHECK_NAME}" check run ${run.id} carries no raw counts (an older Action): the App does not take a score computed elsewhere, so there is no evidence. Update the Action.`,
      );
      continue;
    }
    result.facts.evidence = evidenceFacts(block.counts, policy.scoring, now);
    result.evidenceCheck = {
      id: Number(run.id),
      appSlug: run.app?.slug ?? '',
      trusted: true,
      actionScore: block.score,
      ...(workflow ? { workflow } : {}),
    };
    if (block.score !== result.facts.evidence.score)
      notes.push(
        `The Action reported a score of ${block.score ?? 'none'}; under the default branch's policy the evidence scores ${result.facts.evidence.score ?? 'none'}, which is what counts.`,
      );
    return;
  }
  if (
    !result.evidenceCheck &&
    trusted.length > 0 &&
    !notes.some((n) => n.startsWith('Ignored the') || n.includes('carries no raw counts'))
  )
    notes.push(`The "${EVIDENCE_CHECK_NAME}" check run has no readable evidence block.`);
}

/** The workflow run an evidence block names, traced on GitHub: whether it may publish evidence for this release. */
async function evidenceRun(
  octokit: GitHubClient,
  where: RepoRef,
  block: EvidenceBlockData,
  request: { sha: string; defaultBranch?: string },
  allowed: string[],
  claims: ReadonlyMap<string, number>,
): Promise<{ ok: true; path: string } | { ok: false; reason: string }> {
  if (!block.run)
    return {
      ok: false,
      reason:
        'its evidence names no workflow run (an Action older than the run id in the evidence), so where it was made cannot be traced. Update the Action.',
    };
  if ((claims.get(runKey(block.run)) ?? 0) > 1)
    return {
      ok: false,
      reason: `more than one evidence check run claims workflow run ${block.run.id}: a workflow wrote another run's id, so none of them counts.`,
    };
  const trace = await traceWorkflowRun(
    octokit as never,
    where,
    block.run.id,
    { sha: request.sha, defaultBranch: request.defaultBranch ?? null },
    allowed,
  );
  return trace.ok ? trace : { ok: false, reason: trace.reason };
}
