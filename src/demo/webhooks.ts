import { createHmac, randomUUID } from 'node:crypto';
import templates from './webhook-templates.json' with { type: 'json' };

/**
 * Objects of GitHub's example webhook payloads the demo's deliveries are built from, written by
 * `npm run demo:webhooks` (scripts/write-demo-webhooks.ts) from @octokit/webhooks-examples.
 */
export const WEBHOOK_TEMPLATES: Record<string, Record<string, unknown>> = templates;

/**
 * The deliveries of the demo's history, as GitHub sends them: payloads built from GitHub's
 * example payloads (src/demo/webhook-templates.json) for the demo's repositories, commits and
 * people, signed with the App's webhook secret and posted to its webhook path.
 */

export interface Delivery {
  id: string;
  event: string;
  payload: Record<string, unknown>;
}

/** A repository of the demo, as its deliveries name it. */
export interface DemoRepoContext {
  owner: string;
  name: string;
  id: number;
  installationId: number;
  /** The App's GitHub API root (its `/api/v3`): the URLs in payloads point there. */
  apiBase: string;
}

export interface DemoDeployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  creator: string;
  createdAt: string;
}

const template = (key: string): Record<string, unknown> => structuredClone(WEBHOOK_TEMPLATES[key]!);

/** A stable numeric id of a login. */
function idOf(login: string): number {
  let h = 7;
  for (const c of login) h = (h * 31 + c.charCodeAt(0)) % 100_000_000;
  return h + 1;
}

function user(login: string): Record<string, unknown> {
  return {
    ...template('sender'),
    login,
    id: idOf(login),
    node_id: `U_${idOf(login)}`,
    type: login.endsWith('[bot]') ? 'Bot' : 'User',
  };
}

function repository(repo: DemoRepoContext): Record<string, unknown> {
  const base = template('repository');
  return {
    ...base,
    id: repo.id,
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    default_branch: 'main',
    private: true,
    visibility: 'private',
    has_discussions: false,
    topics: [],
    owner: { ...(base.owner as object), login: repo.owner, type: 'Organization' },
  };
}

function common(repo: DemoRepoContext, sender: string): Record<string, unknown> {
  return {
    repository: repository(repo),
    installation: { id: repo.installationId, node_id: `I_${repo.installationId}` },
    sender: user(sender),
  };
}

function deploymentObject(repo: DemoRepoContext, d: DemoDeployment): Record<string, unknown> {
  return {
    ...template('deployment'),
    url: `${repo.apiBase}/repos/${repo.owner}/${repo.name}/deployments/${d.id}`,
    id: d.id,
    sha: d.sha,
    ref: d.ref,
    environment: d.environment,
    original_environment: d.environment,
    payload: {},
    creator: user(d.creator),
    created_at: d.createdAt,
    updated_at: d.createdAt,
    performed_via_github_app: null,
  };
}

/** `deployment_protection_rule.requested`: GitHub asks the App about a deployment waiting in workflow run `runId`. */
export function protectionRuleRequested(repo: DemoRepoContext, d: DemoDeployment & { runId: number }): Delivery {
  return {
    id: randomUUID(),
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

/** `deployment_status.created`, set by the deployment's creator. */
export function deploymentStatusCreated(
  repo: DemoRepoContext,
  d: DemoDeployment,
  status: { id: number; state: 'success' | 'failure'; at: string },
): Delivery {
  return {
    id: randomUUID(),
    event: 'deployment_status',
    payload: {
      action: 'created',
      deployment_status: {
        ...template('deployment_status'),
        id: status.id,
        state: status.state,
        description: '',
        environment: d.environment,
        created_at: status.at,
        updated_at: status.at,
        creator: user(d.creator),
        performed_via_github_app: null,
      },
      deployment: deploymentObject(repo, d),
      ...common(repo, d.creator),
    },
  };
}

/** `pull_request_review.submitted`: `reviewer` approves pull request `pull` at its head. */
export function reviewSubmitted(
  repo: DemoRepoContext,
  r: { pull: number; headSha: string; author: string; reviewer: string; at: string; reviewId: number },
): Delivery {
  const pull = template('pull_request');
  return {
    id: randomUUID(),
    event: 'pull_request_review',
    payload: {
      action: 'submitted',
      review: {
        ...template('review'),
        id: r.reviewId,
        user: user(r.reviewer),
        state: 'approved',
        commit_id: r.headSha,
        submitted_at: r.at,
      },
      pull_request: {
        ...pull,
        number: r.pull,
        user: user(r.author),
        draft: false,
        auto_merge: null,
        active_lock_reason: null,
        head: { ...(pull.head as object), sha: r.headSha, ref: `pull-${r.pull}`, repo: repository(repo) },
        base: { ...(pull.base as object), ref: 'main', repo: repository(repo) },
      },
      ...common(repo, r.reviewer),
    },
  };
}

/** No reactions yet. */
function reactions(url: string): Record<string, unknown> {
  const none = { '+1': 0, '-1': 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 };
  return { url, total_count: 0, ...none };
}

/** `issue_comment.created` on pull request `issue` (a `/release-gate` command). */
export function commentCreated(
  repo: DemoRepoContext,
  c: { issue: number; body: string; author: string; commentId: number },
): Delivery {
  const web = `https://github.example/${repo.owner}/${repo.name}`;
  return {
    id: randomUUID(),
    event: 'issue_comment',
    payload: {
      action: 'created',
      issue: {
        ...template('issue'),
        number: c.issue,
        labels: [],
        active_lock_reason: null,
        reactions: reactions(`${web}/issues/${c.issue}/reactions`),
        pull_request: {
          url: `${repo.apiBase}/repos/${repo.owner}/${repo.name}/pulls/${c.issue}`,
          html_url: `${web}/pull/${c.issue}`,
          diff_url: `${web}/pull/${c.issue}.diff`,
          patch_url: `${web}/pull/${c.issue}.patch`,
        },
      },
      comment: {
        ...template('comment'),
        id: c.commentId,
        body: c.body,
        user: user(c.author),
        performed_via_github_app: null,
        reactions: reactions(`${web}/issues/comments/${c.commentId}/reactions`),
      },
      ...common(repo, c.author),
    },
  };
}

/** POSTs a delivery to the App's webhook path, signed as GitHub signs it; returns the HTTP status. */
export async function deliver(appUrl: string, secret: string, delivery: Delivery): Promise<number> {
  const body = JSON.stringify(delivery.payload);
  const res = await fetch(`${appUrl}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': delivery.event,
      'x-github-delivery': delivery.id,
      'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      'user-agent': 'GitHub-Hookshot/release-gate-demo',
    },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}
