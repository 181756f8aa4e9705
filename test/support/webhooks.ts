import { createHmac, randomUUID } from 'node:crypto';
/* eslint-disable @typescript-eslint/no-explicit-any -- webhook example payloads are loose JSON adapted field by field */
import { createRequire } from 'node:module';

/**
 * Signed webhook deliveries and payloads built from `@octokit/webhooks-examples` (GitHub's
 * real payload shapes), adapted to a test's repository, commit and people.
 */

interface Example {
  name: string;
  actions: string[];
  examples: Array<Record<string, unknown>>;
}

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples/api.github.com/index.json') as Example[];

/** A deep copy of the first example of `event` (with `action`, when given): a real payload from `@octokit/webhooks-examples`. */
export function webhookExample(event: string, action?: string): Record<string, any> {
  const found = examples
    .find((e) => e.name === event)
    ?.examples.find((e) => action === undefined || e.action === action);
  if (!found) throw new Error(`no ${event}${action ? `.${action}` : ''} example in @octokit/webhooks-examples`);
  return structuredClone(found) as Record<string, any>;
}

/** The `X-Hub-Signature-256` of a body. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface Delivery {
  id: string;
  event: string;
  payload: unknown;
}

/** POSTs a signed delivery to the App's webhook path; returns the HTTP status. */
export async function sendWebhook(
  baseUrl: string,
  secret: string,
  delivery: Delivery,
  path = '/api/github/webhooks',
): Promise<number> {
  const body = JSON.stringify(delivery.payload);
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': delivery.event,
      'x-github-delivery': delivery.id,
      'x-hub-signature-256': signature(secret, body),
      'user-agent': 'GitHub-Hookshot/test',
    },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

export interface RepoContext {
  owner: string;
  name: string;
  id: number;
  installationId: number;
  defaultBranch: string;
  apiBase: string;
  /** A private repository (public unless said). */
  private?: boolean;
}

function user(login: string): Record<string, unknown> {
  const u = webhookExample('deployment').sender as Record<string, unknown>;
  return { ...u, login, id: Math.abs(hash(login)), type: login.endsWith('[bot]') ? 'Bot' : 'User' };
}

function hash(s: string): number {
  let h = 7;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return h || 1;
}

function repository(repo: RepoContext): Record<string, unknown> {
  const base = webhookExample('deployment').repository as Record<string, unknown>;
  return {
    ...base,
    id: repo.id,
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    default_branch: repo.defaultBranch,
    private: repo.private ?? false,
    visibility: repo.private ? 'private' : 'public',
    owner: { ...(base.owner as object), login: repo.owner, type: 'Organization' },
  };
}

function common(repo: RepoContext, sender: string): Record<string, unknown> {
  return {
    repository: repository(repo),
    installation: { id: repo.installationId, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==' },
    organization: {
      login: repo.owner,
      id: 1,
      node_id: 'O',
      url: '',
      repos_url: '',
      events_url: '',
      hooks_url: '',
      issues_url: '',
      members_url: '',
      public_members_url: '',
      avatar_url: '',
      description: null,
    },
    sender: user(sender),
  };
}

export interface DeploymentSpec {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  creator: string;
  createdAt: string;
  payload?: Record<string, unknown>;
  /** The GitHub App that created it (`performed_via_github_app`), when one did; {@link GITHUB_ACTIONS_APP_ID} for GitHub Actions. */
  appId?: number | null;
  /** The workflow run that created it (the `deployment` event's `workflow_run`), when a workflow did. */
  workflowRunId?: number;
}

/** GitHub Actions' App id on github.com: its slug is `github-actions`. */
export const GITHUB_ACTIONS_APP_ID = 15368;

/** The example's `workflow_run` (deployment webhooks) as run `id` of `sha`. */
function workflowRunObject(repo: RepoContext, id: number, sha: string): Record<string, unknown> {
  const example = examples.find((e) => e.name === 'deployment_status')!.examples.find((e) => 'workflow_run' in e)!
    .workflow_run as Record<string, unknown>;
  return {
    ...structuredClone(example),
    id,
    head_sha: sha,
    check_suite_id: id * 10,
    url: `${repo.apiBase}/repos/${repo.owner}/${repo.name}/actions/runs/${id}`,
    html_url: `https://github.example/${repo.owner}/${repo.name}/actions/runs/${id}`,
  };
}

/** The example's `check_run` (the job of a workflow run a deployment status was set in) as job `id` of `sha`. */
function jobCheckRunObject(id: number, sha: string): Record<string, unknown> {
  const example = examples.find((e) => e.name === 'deployment_status')!.examples.find((e) => 'check_run' in e)!
    .check_run as Record<string, unknown>;
  return { ...structuredClone(example), id, head_sha: sha };
}

function deploymentObject(repo: RepoContext, d: DeploymentSpec): Record<string, unknown> {
  const base = webhookExample('deployment').deployment as Record<string, unknown>;
  return {
    ...base,
    url: `${repo.apiBase}/repos/${repo.owner}/${repo.name}/deployments/${d.id}`,
    id: d.id,
    sha: d.sha,
    ref: d.ref,
    environment: d.environment,
    original_environment: d.environment,
    payload: d.payload ?? {},
    creator: user(d.creator),
    created_at: d.createdAt,
    updated_at: d.createdAt,
    performed_via_github_app: d.appId ? appObject(d.appId) : null,
  };
}

function appObject(id: number): Record<string, unknown> {
  return {
    id,
    slug: id === 15368 ? 'github-actions' : `app-${id}`,
    node_id: 'A',
    name: `App ${id}`,
    owner: user('acme'),
    description: '',
    external_url: '',
    html_url: '',
    created_at: '2020-01-01T00:00:00Z',
    updated_at: '2020-01-01T00:00:00Z',
    permissions: {},
    events: [],
  };
}

let seq = 0;
/** A fresh delivery id. */
export function deliveryId(): string {
  seq++;
  return `${randomUUID()}-${seq}`;
}

/**
 * `deployment_protection_rule.requested`: webhooks-examples has none, so it is built from
 * the schema of `webhook-deployment-protection-rule-requested` (environment, event,
 * deployment_callback_url, deployment, pull_requests, repository, installation, sender)
 * around the example deployment object.
 */
export function protectionRuleRequested(repo: RepoContext, d: DeploymentSpec & { runId: number }): Delivery {
  return {
    id: deliveryId(),
    event: 'deployment_protection_rule',
    payload: {
      action: 'requested',
      environment: d.environment,
      event: 'push',
      deployment_callback_url: `${repo.apiBase}/repos/${repo.owner}/${repo.name}/actions/runs/${d.runId}/deployment_protection_rule`,
      deployment: deploymentObject(repo, d),
      pull_requests: [],
      ...common(repo, d.creator),
    },
  };
}

/** A delivery of `event.action` about `repo` sent by `sender`: the example payload with `fields` (made from it) over it. */
function exampleDelivery(
  repo: RepoContext,
  event: string,
  action: string,
  sender: string,
  fields: (example: Record<string, any>) => Record<string, unknown>,
): Delivery {
  const p = webhookExample(event, action);
  return { id: deliveryId(), event, payload: { ...p, action, ...fields(p), ...common(repo, sender) } };
}

export function deploymentCreated(repo: RepoContext, d: DeploymentSpec): Delivery {
  return exampleDelivery(repo, 'deployment', 'created', d.creator, () => ({
    deployment: deploymentObject(repo, d),
    workflow_run: d.workflowRunId === undefined ? null : workflowRunObject(repo, d.workflowRunId, d.sha),
  }));
}

/**
 * `deployment_status.created`; the status is set by the deployment's creator unless `creator`
 * (and `appId`) say who else. `workflowRunId` and `jobId` are the workflow run and job GitHub
 * ties the status to (`workflow_run`, `check_run`), when GitHub Actions set it in one.
 */
export function deploymentStatusCreated(
  repo: RepoContext,
  d: DeploymentSpec,
  status: {
    id: number;
    state: string;
    at: string;
    description?: string;
    creator?: string;
    appId?: number | null;
    workflowRunId?: number;
    jobId?: number;
  },
): Delivery {
  const appId = status.appId === undefined ? d.appId : status.appId;
  return exampleDelivery(repo, 'deployment_status', 'created', status.creator ?? d.creator, (p) => ({
    ...(status.workflowRunId === undefined
      ? {}
      : { workflow_run: workflowRunObject(repo, status.workflowRunId, d.sha) }),
    ...(status.jobId === undefined ? {} : { check_run: jobCheckRunObject(status.jobId, d.sha) }),
    deployment_status: {
      ...p.deployment_status,
      id: status.id,
      state: status.state,
      description: status.description ?? '',
      environment: d.environment,
      created_at: status.at,
      updated_at: status.at,
      creator: user(status.creator ?? d.creator),
      performed_via_github_app: appId ? appObject(appId) : null,
    },
    deployment: deploymentObject(repo, d),
  }));
}

export function pullRequestReviewSubmitted(
  repo: RepoContext,
  r: {
    pull: number;
    headSha: string;
    author: string;
    reviewer: string;
    state: 'approved' | 'changes_requested' | 'commented';
    at: string;
    reviewId: number;
    commitId?: string | null;
    mergeCommitSha?: string;
    mergedAt?: string;
  },
): Delivery {
  return exampleDelivery(repo, 'pull_request_review', 'submitted', r.reviewer, (p) => ({
    review: {
      ...p.review,
      id: r.reviewId,
      user: user(r.reviewer),
      state: r.state,
      commit_id: r.commitId === undefined ? r.headSha : r.commitId,
      submitted_at: r.at,
    },
    pull_request: {
      ...p.pull_request,
      number: r.pull,
      user: user(r.author),
      head: { ...p.pull_request.head, sha: r.headSha },
      ...(r.mergeCommitSha
        ? { merged_at: r.mergedAt ?? r.at, merge_commit_sha: r.mergeCommitSha, state: 'closed' }
        : {}),
    },
  }));
}

export function issueCommentCreated(
  repo: RepoContext,
  c: { issue: number; body: string; author: string; commentId: number },
): Delivery {
  return exampleDelivery(repo, 'issue_comment', 'created', c.author, (p) => ({
    issue: {
      ...p.issue,
      number: c.issue,
      pull_request: {
        url: `${repo.apiBase}/repos/${repo.owner}/${repo.name}/pulls/${c.issue}`,
        html_url: '',
        diff_url: '',
        patch_url: '',
      },
    },
    comment: { ...p.comment, id: c.commentId, body: c.body, user: user(c.author) },
  }));
}

export function checkRunEvent(
  repo: RepoContext,
  c: {
    action: 'completed' | 'rerequested';
    name: string;
    headSha: string;
    appSlug: string;
    id: number;
    sender: string;
    conclusion?: string;
  },
): Delivery {
  return exampleDelivery(repo, 'check_run', c.action, c.sender, (p) => ({
    check_run: {
      ...p.check_run,
      id: c.id,
      name: c.name,
      head_sha: c.headSha,
      status: 'completed',
      conclusion: c.conclusion ?? 'success',
      app: { ...(p.check_run.app ?? {}), slug: c.appSlug },
    },
  }));
}

export function checkSuiteRerequested(repo: RepoContext, c: { headSha: string; sender: string }): Delivery {
  return exampleDelivery(repo, 'check_suite', 'rerequested', c.sender, (p) => ({
    check_suite: { ...p.check_suite, head_sha: c.headSha },
  }));
}

/**
 * `pull_request` (opened, synchronize, reopened) from the webhooks-examples payload, with
 * its head in `headRepo` (a fork, when it is not the repository) and its base on the
 * default branch unless `baseRef` says otherwise.
 */
export function pullRequestEvent(
  repo: RepoContext,
  pr: {
    action: 'opened' | 'synchronize' | 'reopened';
    number: number;
    headSha: string;
    headRef?: string;
    headRepo?: string;
    baseRef?: string;
    author: string;
  },
): Delivery {
  const base = repository(repo);
  const headFull = pr.headRepo ?? `${repo.owner}/${repo.name}`;
  const [headOwner, headName] = headFull.split('/') as [string, string];
  const headRepo =
    headFull === `${repo.owner}/${repo.name}`
      ? base
      : {
          ...base,
          id: Math.abs(hash(headFull)),
          name: headName,
          full_name: headFull,
          fork: true,
          owner: { ...(base.owner as object), login: headOwner, type: 'User' },
        };
  return exampleDelivery(repo, 'pull_request', pr.action, pr.author, (p) => ({
    number: pr.number,
    pull_request: {
      ...p.pull_request,
      number: pr.number,
      state: 'open',
      user: user(pr.author),
      head: {
        ...p.pull_request.head,
        sha: pr.headSha,
        ref: pr.headRef ?? 'policy-change',
        label: `${headOwner}:${pr.headRef ?? 'policy-change'}`,
        repo: headRepo,
        user: user(headOwner),
      },
      base: {
        ...p.pull_request.base,
        ref: pr.baseRef ?? repo.defaultBranch,
        label: `${repo.owner}:${pr.baseRef ?? repo.defaultBranch}`,
        repo: base,
        user: user(repo.owner),
      },
    },
  }));
}
