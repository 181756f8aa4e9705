import type { ActionClient } from './ci-facts.js';
import { ANNOTATIONS_PER_REQUEST, type Annotation } from './annotations.js';
import { CHECK_RUN_TEXT_LIMIT } from './render-summary.js';

export interface CheckRunContent {
  owner: string;
  repo: string;
  name: string;
  headSha: string;
  conclusion: 'success' | 'failure' | 'neutral';
  title: string;
  summary: string;
  /** Holds the machine-readable evidence block. */
  text: string;
  annotations: Annotation[];
}

/**
 * Create the completed check run on the commit, the first 50 annotations with it and the
 * rest in further updates of 50 (GitHub's limit per request). Returns its id and URL.
 */
export async function publishCheckRun(
  octokit: ActionClient,
  c: CheckRunContent,
): Promise<{ id: number; url: string; requests: number }> {
  const title = c.title.slice(0, 255);
  const summary = c.summary.slice(0, CHECK_RUN_TEXT_LIMIT);
  const text = c.text.slice(0, CHECK_RUN_TEXT_LIMIT);
  const batches: Annotation[][] = [];
  for (let i = 0; i < c.annotations.length; i += ANNOTATIONS_PER_REQUEST)
    batches.push(c.annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
  const { data } = await octokit.request('POST /repos/{owner}/{repo}/check-runs', {
    owner: c.owner,
    repo: c.repo,
    name: c.name,
    head_sha: c.headSha,
    status: 'completed',
    conclusion: c.conclusion,
    output: { title, summary, text, ...(batches[0] ? { annotations: batches[0] } : {}) },
  });
  let requests = 1;
  for (const batch of batches.slice(1)) {
    // Annotations of an update are added to the run's; title and summary are required with them.
    await octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', {
      owner: c.owner,
      repo: c.repo,
      check_run_id: data.id,
      output: { title, summary, text, annotations: batch },
    });
    requests += 1;
  }
  return { id: Number(data.id), url: data.html_url ?? '', requests };
}
