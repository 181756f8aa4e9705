/**
 * The records of the simulated GitHub (src/demo/github/simulated-github.ts): its repositories,
 * pull requests, check runs, deployments and environments, and the requests it answered.
 */

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  template: string | null;
  body: unknown;
  status: number;
  at: number;
  /** The `METHOD /template` of the route given to `on` that answered, or null. */
  route: string | null;
  /** The path parameters of that route. */
  params: Record<string, string>;
}

/** A request as a route given to `on` sees it: the query as a plain object. */
export interface RecordedRequest {
  method: string;
  /** The path without the query, e.g. `/repos/o/r/check-runs`. */
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body, or undefined without one. */
  body: unknown;
  /** The path parameters of the route that answered. */
  params: Record<string, string>;
}

/** What a route answers: a reply, or (anything else) the JSON body of a 200. */
export type Reply = { status?: number; body?: unknown; headers?: Record<string, string> };
export type Result = { status: number; body?: unknown; headers?: Record<string, string> };

export type Handler = (req: RecordedRequest) => Reply | unknown;

export interface FakeCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  app: { slug: string };
  output: { title?: string; summary?: string; text?: string };
  started_at?: string;
  completed_at?: string | null;
  details_url?: string;
  external_id?: string;
  /** The check suite it belongs to (a workflow run's suite, for GitHub Actions). */
  check_suite?: { id: number };
}

export interface FakePull {
  number: number;
  user: string;
  headSha: string;
  headRef: string;
  body?: string;
  /** Every commit sha the PR contains (its head included): `commits/{sha}/pulls` finds it by any. */
  commits: string[];
  state?: 'open' | 'closed';
  /** Set when merged: the commit it became on the default branch (merge, squash or rebase). */
  mergeCommitSha?: string;
  mergedAt?: string;
  /** Commit sha -> its author's login (for `pulls/{n}/commits`); the PR's user when left out. */
  commitAuthors?: Record<string, string>;
  /** Commit sha -> its author date (for `pulls/{n}/commits`); 2026-01-01 when left out. */
  commitDates?: Record<string, string>;
}

export interface FakeReview {
  id: number;
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED';
  /** Null when GitHub no longer has the reviewed commit (after a force-push). */
  commit_id: string | null;
  submitted_at: string;
}

export interface ProtectionAnswer {
  runId: number;
  environment: string;
  state?: 'approved' | 'rejected';
  comment?: string;
  status: number;
}

/** A job of a GitHub Actions workflow run. */
export interface FakeJob {
  run_id: number;
  head_sha: string;
  status: 'queued' | 'in_progress' | 'completed' | 'waiting';
  conclusion: 'success' | 'failure' | 'cancelled' | null;
  name?: string;
}

export interface FakeRepo {
  owner: string;
  name: string;
  id: number;
  defaultBranch: string;
  files: Record<string, string>;
  /** Commits on the default branch that last touched each file (newest first). */
  fileCommits: Record<string, string>;
  trees: Record<string, string>;
  pulls: FakePull[];
  reviews: Record<number, FakeReview[]>;
  checkRuns: FakeCheckRun[];
  /** Commit statuses, oldest first; `creator` is who posted it (the login). */
  statuses: Array<{ context: string; state: string; sha: string; creator?: string }>;
  permissions: Record<string, 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none'>;
  deployments: Array<{
    id: number;
    sha: string;
    ref: string;
    environment: string;
    payload: unknown;
    creator: string;
    created_at: string;
    appId?: number;
  }>;
  deploymentStatuses: Array<{
    id: number;
    deploymentId: number;
    state: string;
    description?: string;
    creator?: string;
  }>;
  /** `tags/<name>` or `heads/<name>` -> the commit it points at. */
  refs: Record<string, string>;
  /** Check suite id -> the workflow run that made it (for `actions/runs?check_suite_id=`). */
  workflowRuns: Record<number, { id: number; path: string; head_sha: string }>;
  /** Job id -> the job of a workflow run, as GitHub Actions reports it (`actions/jobs/{job_id}`). */
  workflowJobs: Record<number, FakeJob>;
  /** Run id -> a workflow run (`actions/runs/{run_id}`); `headRepository` is `owner/name` of a fork's. */
  runs: Record<
    number,
    { path: string; head_sha: string; headRepository?: string; status?: string; conclusion?: string | null }
  >;
  /** `<path>@<ref>` -> file text at a commit or branch other than the default branch (see `serveFileAt`). */
  filesAt: Record<string, string>;
  compare: Record<string, string[]>;
  comments: Array<{ issue: number; body: string }>;
  /** `${runId}/${environment}` of protection rules GitHub still waits on. */
  pendingRules: Set<string>;
  answers: ProtectionAnswer[];
}

/** A GitHub environment of a repository, with its custom protection rules and deployment ref policies. */
export interface FakeEnvironment {
  id: number;
  name: string;
  rules: Array<{ id: number; appId: number; slug: string }>;
  branchPolicy: { protected_branches: boolean; custom_branch_policies: boolean } | null;
  refPolicies: Array<{ id: number; name: string; type: 'branch' | 'tag' }>;
}

/** An App created from a manifest on the fake's "new GitHub App" page. */
export interface ManifestApp {
  id: number;
  slug: string;
  name: string;
  clientId: string;
  clientSecret: string;
  webhookSecret: string;
  manifest: Record<string, unknown>;
  /** The `callback_urls` of the manifest: GitHub sends a signed-in user back only under one of them. */
  callbackUrls: string[];
}

/** What GitHub does instead of answering: 500, 502, 429 (rate limit), 403 (secondary limit) or nothing (hang). */
export type Fault = 500 | 502 | 429 | 'secondary-limit' | 'hang';
