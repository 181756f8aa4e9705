import type { Octokit } from '@octokit/rest';
import { httpStatus } from './types.js';
import type { RepoRef } from './types.js';

/** The part of an Octokit client a trace needs (satisfied by Probot's and the Action's). */
export type TraceClient = Pick<Octokit, 'request'>;

/** What a trace is checked against: the release commit, and the branch whose workflow files are trusted. */
export interface TraceRelease {
  sha: string;
  defaultBranch?: string | null;
}

export type Trace = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Traces a GitHub Actions workflow run: it must be a run of one of the `allowed` workflow
 * files, of the release commit, in this repository (not a fork's), and the workflow file at
 * the release commit must be the default branch's (the release cannot have changed what the
 * run did). GitHub's Actions API answers it, which no workflow's token can write.
 */
export async function traceWorkflowRun(
  octokit: TraceClient,
  where: RepoRef,
  runId: number,
  release: TraceRelease,
  allowed: readonly string[],
): Promise<Trace> {
  let run;
  try {
    ({ data: run } = await octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
      ...where,
      run_id: runId,
    }));
  } catch (error) {
    if (httpStatus(error) === 404) return { ok: false, reason: `GitHub knows no workflow run ${runId} here.` };
    throw error;
  }
  const full = `${where.owner}/${where.repo}`.toLowerCase();
  if (run.repository.full_name.toLowerCase() !== full)
    return { ok: false, reason: `workflow run ${runId} is of ${run.repository.full_name}, not of this repository.` };
  if (run.head_repository && run.head_repository.full_name.toLowerCase() !== full)
    return {
      ok: false,
      reason: `workflow run ${runId} ran the code of the fork ${run.head_repository.full_name}, not this repository's.`,
    };
  if (run.head_sha !== release.sha)
    return { ok: false, reason: `workflow run ${runId} is of ${run.head_sha.slice(0, 7)}, not of the release.` };
  const path = run.path.replace(/@.*$/, '');
  if (!allowed.includes(path))
    return {
      ok: false,
      reason: `workflow run ${runId} is of ${path}, which the policy does not name (${allowed.join(', ')}).`,
    };
  const [atRelease, atDefault] = await Promise.all([
    fileBlob(octokit, where, path, release.sha),
    fileBlob(octokit, where, path, release.defaultBranch ?? null),
  ]);
  if (!atRelease || atRelease !== atDefault)
    return {
      ok: false,
      reason: `${path} at the release commit is not the default branch's (${atRelease?.slice(0, 7) ?? 'missing'} vs ${atDefault?.slice(0, 7) ?? 'missing'}), so the release could have changed what its run did.`,
    };
  return { ok: true, path };
}

/**
 * The workflow run a check run is a job of, or null when it is no job: a check run a step
 * created through the API (any workflow's token can) is not one, whatever its name and
 * whichever check suite GitHub filed it under.
 */
export async function jobRunOf(octokit: TraceClient, where: RepoRef, checkRunId: number): Promise<number | null> {
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}', {
      ...where,
      job_id: checkRunId,
    });
    return Number(data.run_id);
  } catch (error) {
    if (httpStatus(error) === 404) return null;
    throw error;
  }
}

/** The blob SHA of a file at a ref (the default branch when null), or null when it is missing. */
export async function fileBlob(
  octokit: TraceClient,
  where: RepoRef,
  path: string,
  ref: string | null,
): Promise<string | null> {
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      ...where,
      path,
      ...(ref ? { ref } : {}),
    });
    return Array.isArray(data) ? null : data.sha;
  } catch (error) {
    if (httpStatus(error) === 404) return null;
    throw error;
  }
}
