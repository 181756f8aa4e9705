import { formatPolicyProblem, readPolicyDocument } from '../core/policy-load.js';
import type { PolicyDocumentResult } from '../core/policy-load.js';
import type { PolicyProblem } from '../core/policy/problems.js';
import { unknownSourceProblems } from '../core/policy/verify-sources.js';
import { loadPolicyFiles, ORG_POLICY_REPO, orgPolicySource, POLICY_PATH } from '../core/policy-source.js';
import type { PolicyFileInfo } from '../core/render-gate-summary.js';
import type { Policy } from '../core/types.js';
import { httpStatus, describeError, repoKey } from './types.js';
import type { GitHubClient, RepoRef } from './types.js';

export { ORG_POLICY_REPO, orgPolicySource, POLICY_PATH } from '../core/policy-source.js';

/** One file a policy came from, for the summary and the record. */
export interface PolicyFileRef extends PolicyFileInfo {
  /** The file's text as read: the record keeps it so the decision can be replayed. */
  text: string;
  /** The file's name in the loader's messages. */
  source: string;
}

/**
 * The policy that judges a repository, or why there is none. `path`, `ref`, `blobSha` and
 * `commitSha` describe the main file (the repository's own, or the org default when the
 * repository has none); `files` lists every file used, the org default included.
 */
export type RepoPolicy =
  | {
      ok: true;
      policy: Policy;
      path: string;
      ref: string;
      blobSha: string;
      commitSha: string | null;
      files: PolicyFileRef[];
    }
  | {
      ok: false;
      problems: string[];
      path: string;
      ref: string;
      blobSha: string | null;
      commitSha: string | null;
      files: PolicyFileRef[];
    };

interface CachedDocument {
  read: PolicyDocumentResult;
  commitSha: string | null;
  /** Its verify checks' unknown data sources, for the last set of configured sources asked about. */
  sources?: { known: ReadonlySet<string>; problems: PolicyProblem[] };
}

/** Parsed files by repository and blob SHA: the same content is parsed and its commit looked up once. */
const byBlob = new Map<string, CachedDocument>();
const CACHE_LIMIT = 500;

type Fetched =
  | { kind: 'file'; text: string; blobSha: string }
  | { kind: 'not a file' }
  | { kind: 'missing'; status: 404 | 403; reason: string };

/**
 * One GET of the file. 404 (and, for another repository, a 403 that is not a rate limit)
 * is an answer; any other failure is thrown so the request is retried, not decided.
 */
async function fetchFile(
  octokit: GitHubClient,
  owner: string,
  repo: string,
  ref: string | null,
  forbiddenIsAnswer: boolean,
): Promise<Fetched> {
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', {
      owner,
      repo,
      path: POLICY_PATH,
      ...(ref ? { ref } : {}),
    });
    if (Array.isArray(data) || data.type !== 'file' || !('content' in data)) return { kind: 'not a file' };
    return { kind: 'file', text: Buffer.from(data.content, 'base64').toString('utf8'), blobSha: data.sha };
  } catch (error) {
    const status = httpStatus(error);
    if (status === 404) return { kind: 'missing', status, reason: describeError(error) };
    if (status === 403 && forbiddenIsAnswer && !/rate limit/i.test(describeError(error)))
      return { kind: 'missing', status, reason: describeError(error) };
    throw error;
  }
}

/** The file parsed on its own, and the commit that last changed it (shown on the summary): once per blob. */
async function readCached(
  octokit: GitHubClient,
  owner: string,
  repo: string,
  ref: string | null,
  file: { text: string; blobSha: string },
  source: string,
): Promise<CachedDocument> {
  const key = `${repoKey({ owner, repo })}@${file.blobSha}`.toLowerCase();
  let cached = byBlob.get(key);
  if (cached) return cached;
  const read = readPolicyDocument(file.text, source);
  let commitSha: string | null = null;
  try {
    const { data } = await octokit.request('GET /repos/{owner}/{repo}/commits', {
      owner,
      repo,
      path: POLICY_PATH,
      ...(ref ? { sha: ref } : {}),
      per_page: 1,
    });
    commitSha = data[0]?.sha ?? null;
  } catch (error) {
    // The commit is shown on the summary only; the decision does not depend on it.
    if (httpStatus(error) === 0) throw error;
  }
  cached = { read, commitSha };
  if (byBlob.size >= CACHE_LIMIT) byBlob.delete(byBlob.keys().next().value!);
  byBlob.set(key, cached);
  return cached;
}

/** What to do when the org default cannot be read: create it, or let the App read the repository. */
function orgMissingAdvice(owner: string, missing: { status: 404 | 403 }): string {
  const repo = `${owner}/${ORG_POLICY_REPO}`;
  return missing.status === 403
    ? `The App may not read ${repo}: give its installation access to the ${repo} repository (Repository access) with the Contents: read permission.`
    : `Create ${POLICY_PATH} on the default branch of the ${repo} repository, or, if it is there, give the App's installation access to ${repo} (Repository access; Contents: read).`;
}

/**
 * Reads the policy from the repository's DEFAULT branch (never the branch under review, so
 * a pull request cannot weaken the gate that judges it). A file that says `extends: org` is
 * merged onto the org default, `.github/release-policy.yml` in the owner's `.github`
 * repository (its default branch, with the same installation token); a repository without
 * a file uses the org default as it is. A missing, unreadable or invalid file comes back as
 * `ok: false` with the problems: the gate then fails closed. One GET per file per decision,
 * and one commit lookup per file per change (blob SHA).
 */
export async function loadRepoPolicy(
  octokit: GitHubClient,
  where: RepoRef & { defaultBranch?: string; sources?: ReadonlySet<string> },
): Promise<RepoPolicy> {
  const policy = await readRepoPolicy(octokit, where);
  if (!policy.ok || where.sources === undefined) return policy;
  // Verify checks may name only the operator's data sources (never a URL of the repository's).
  const known = where.sources;
  const problems = policy.files.flatMap((f) => sourceProblemsOf(f, known));
  return problems.length === 0 ? policy : { ...policy, ok: false, problems: problems.map(formatPolicyProblem) };
}

/** A file's verify checks naming unknown data sources: parsed once per blob (and set of configured sources). */
function sourceProblemsOf(file: PolicyFileRef, known: ReadonlySet<string>): PolicyProblem[] {
  const cached = file.blobSha ? byBlob.get(`${file.repository}@${file.blobSha}`.toLowerCase()) : undefined;
  if (cached?.sources?.known === known) return cached.sources.problems;
  const problems = unknownSourceProblems(file.text, file.source, known);
  if (cached) cached.sources = { known, problems };
  return problems;
}

async function readRepoPolicy(octokit: GitHubClient, where: RepoRef & { defaultBranch?: string }): Promise<RepoPolicy> {
  let ref = where.defaultBranch;
  try {
    if (!ref) {
      const { data } = await octokit.request('GET /repos/{owner}/{repo}', { owner: where.owner, repo: where.repo });
      ref = data.default_branch;
    }
  } catch (error) {
    if (httpStatus(error) !== 404) throw error; // transient: the caller retries rather than deciding
    return {
      ok: false,
      problems: [`Could not read the repository to find its default branch: ${describeError(error)}`],
      path: POLICY_PATH,
      ref: '',
      blobSha: null,
      commitSha: null,
      files: [],
    };
  }
  const own = await fetchFile(octokit, where.owner, where.repo, ref, false);
  if (own.kind === 'not a file') {
    return {
      ok: false,
      problems: [`${POLICY_PATH} on ${ref} is not a file.`],
      path: POLICY_PATH,
      ref,
      blobSha: null,
      commitSha: null,
      files: [],
    };
  }

  const orgSource = orgPolicySource(where.owner);
  const orgRef = (blobSha: string | null, commitSha: string | null, text: string): PolicyFileRef => ({
    repository: `${where.owner}/${ORG_POLICY_REPO}`,
    path: POLICY_PATH,
    ref: '',
    blobSha,
    commitSha,
    role: 'org default',
    text,
    source: orgSource,
  });

  if (own.kind === 'missing') {
    // No file of its own: the org default, when there is one, judges the repository.
    const org = await fetchFile(octokit, where.owner, ORG_POLICY_REPO, null, true);
    if (org.kind !== 'file') {
      const orgWhy =
        org.kind === 'missing' && org.status === 403
          ? ` The org default ${orgSource} could not be read (403). ${orgMissingAdvice(where.owner, org)}`
          : ` Nor is there an org default (${orgSource}).`;
      const problem = `${POLICY_PATH} was not found on the default branch (${ref}). Add the release policy there; until then the gate does not approve anything.${orgWhy}`;
      return { ok: false, problems: [problem], path: POLICY_PATH, ref, blobSha: null, commitSha: null, files: [] };
    }
    const cached = await readCached(octokit, where.owner, ORG_POLICY_REPO, null, org, orgSource);
    const files = [orgRef(org.blobSha, cached.commitSha, org.text)];
    const result = loadPolicyFiles(null, { text: org.text, source: orgSource }, undefined, () => cached.read);
    const base = { path: orgSource, ref: '', blobSha: org.blobSha, commitSha: cached.commitSha, files };
    return result.ok
      ? { ok: true, policy: structuredClone(result.policy), ...base }
      : { ok: false, problems: result.errors.map(formatPolicyProblem), ...base };
  }

  const cached = await readCached(octokit, where.owner, where.repo, ref, own, POLICY_PATH);
  const mine: PolicyFileRef = {
    repository: repoKey(where),
    path: POLICY_PATH,
    ref,
    blobSha: own.blobSha,
    commitSha: cached.commitSha,
    role: 'repository',
    text: own.text,
    source: POLICY_PATH,
  };
  const base = { path: POLICY_PATH, ref, blobSha: own.blobSha, commitSha: cached.commitSha };
  const repoText = { text: own.text, source: POLICY_PATH };
  if (!cached.read.ok || !cached.read.document.extendsOrg) {
    const result = loadPolicyFiles(repoText, null, undefined, () => cached.read);
    return result.ok
      ? { ok: true, policy: structuredClone(result.policy), ...base, files: [mine] }
      : { ok: false, problems: result.errors.map(formatPolicyProblem), ...base, files: [mine] };
  }

  const org = await fetchFile(octokit, where.owner, ORG_POLICY_REPO, null, true);
  if (org.kind !== 'file') {
    const what =
      org.kind === 'missing' && org.status === 404
        ? `${orgSource} was not found`
        : org.kind === 'missing'
          ? `${orgSource} could not be read (${org.status})`
          : `${orgSource} is not a file`;
    const problem = `${POLICY_PATH} says "extends: org", but ${what}. ${orgMissingAdvice(where.owner, org.kind === 'missing' ? org : { status: 404 })} Until then the gate does not approve anything.`;
    return { ok: false, problems: [problem], ...base, files: [mine] };
  }
  const orgCached = await readCached(octokit, where.owner, ORG_POLICY_REPO, null, org, orgSource);
  const files = [mine, orgRef(org.blobSha, orgCached.commitSha, org.text)];
  const merged = loadPolicyFiles(repoText, { text: org.text, source: orgSource }, undefined, (_text, source) =>
    source === orgSource ? orgCached.read : cached.read,
  );
  return merged.ok
    ? { ok: true, policy: merged.policy, ...base, files }
    : { ok: false, problems: merged.errors.map(formatPolicyProblem), ...base, files };
}
