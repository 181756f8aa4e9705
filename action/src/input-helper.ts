import { readFileSync } from 'node:fs';
import * as core from '@actions/core';
import { POLICY_PATH } from '../../src/core/policy-source.js';
import { parseIsoInstant } from '../../src/core/time-values.js';

/** A pull request as the event payload gives it (the fields the Action reads). */
export interface PullRequestInfo {
  number: number;
  headSha: string;
  author: string | null;
  title: string;
  body: string;
}

/** Everything the Action reads from its inputs and the runner's environment, read once. */
export interface ActionSettings {
  /** The stage to gate: a policy stage name or a GitHub environment name. */
  environment: string;
  /** Policy file, relative to the workspace. */
  policy: string;
  junit: string[];
  coverage: string[];
  sarif: string[];
  /** Where the checklist comes from: the PR body, a file, or nowhere. */
  checklist: { from: 'pr-body'; explicit: boolean } | { from: 'file'; path: string } | { from: 'none' };
  evidenceUrl: string | undefined;
  rollbackPlan: string | undefined;
  backup: { takenAt: string; location: string | null } | undefined;
  migrations: string | undefined;
  mode: 'enforce' | 'report';
  token: string;
  checkName: string;
  /** How many times a GitHub request that failed with a 5xx, a network error or a rate limit is tried again. */
  githubRetries: number;
  github: GitHubContext;
}

/** The runner's description of the run (the `GITHUB_*` variables and the event payload). */
export interface GitHubContext {
  apiUrl: string;
  serverUrl: string;
  owner: string;
  repo: string;
  /** The commit under judgement: the PR head on pull request events, else `GITHUB_SHA`. */
  sha: string;
  /** Where `sha` came from, for the summary. */
  shaSource: 'pull request head' | 'GITHUB_SHA';
  ref: string | undefined;
  eventName: string;
  /** Who started the run (`GITHUB_ACTOR`). */
  actor: string | undefined;
  runId: number | undefined;
  /** `GITHUB_RUN_ATTEMPT`: which attempt of the run this is. */
  runAttempt: number | undefined;
  workspace: string;
  pullRequest: PullRequestInfo | null;
  /** The author of the pushed head commit on push events. */
  headCommitAuthor: string | null;
  /** The repository's default branch (the event's `repository.default_branch`), when the event says. */
  defaultBranch: string | null;
}

/** An input or runner variable the Action cannot work with; the message names it. */
export class InputError extends Error {
  override name = 'InputError';
}

const MODES = ['enforce', 'report'] as const;

/**
 * Read and validate every input and runner variable into one typed object. The only
 * place that calls `core.getInput`; throws {@link InputError} naming the input at fault.
 */
export function getSettings(env: NodeJS.ProcessEnv = process.env): ActionSettings {
  const github = readGitHubContext(env);
  const environment = core.getInput('environment');
  if (environment === '')
    throw new InputError('Input environment is required: the stage to gate, e.g. environment: PROD.');

  const mode = core.getInput('mode') || 'enforce';
  if (!(MODES as readonly string[]).includes(mode))
    throw new InputError(`Input mode must be enforce or report, got "${mode}"`);

  const token = core.getInput('token');
  if (token === '')
    throw new InputError('Input token is empty: pass token: ${{ github.token }} or a token that can write checks.');

  const checkName = core.getInput('check-name') || 'Release evidence';
  if (checkName.length > 255)
    throw new InputError(`Input check-name is ${checkName.length} characters long; GitHub takes at most 255.`);

  const retries = core.getInput('github-retries') || '3';
  if (!/^\d+$/.test(retries) || Number(retries) > 10) {
    throw new InputError(`Input github-retries must be a whole number from 0 to 10, got "${retries}"`);
  }

  return {
    environment,
    policy: core.getInput('policy') || POLICY_PATH,
    junit: core.getMultilineInput('junit'),
    coverage: core.getMultilineInput('coverage'),
    sarif: core.getMultilineInput('sarif'),
    checklist: readChecklist(core.getInput('checklist'), github),
    evidenceUrl: core.getInput('evidence-url') || undefined,
    rollbackPlan: core.getInput('rollback-plan') || undefined,
    backup: readBackup(core.getInput('backup')),
    migrations: core.getInput('migrations') || undefined,
    mode: mode as ActionSettings['mode'],
    token,
    checkName,
    githubRetries: Number(retries),
    github,
  };
}

function readChecklist(value: string, github: GitHubContext): ActionSettings['checklist'] {
  if (value === '') return github.pullRequest ? { from: 'pr-body', explicit: false } : { from: 'none' };
  if (value === 'pr-body') {
    if (!github.pullRequest) {
      throw new InputError(
        `Input checklist is pr-body, but the ${github.eventName} event has no pull request: give a Markdown file instead, or leave the input out.`,
      );
    }
    return { from: 'pr-body', explicit: true };
  }
  if (value === 'none') return { from: 'none' };
  return { from: 'file', path: value };
}

function readBackup(value: string): ActionSettings['backup'] {
  if (value === '') return undefined;
  const at = value.indexOf('@');
  const takenAt = at < 0 ? value : value.slice(0, at);
  const parsed = parseIsoInstant(takenAt);
  if (!parsed.ok)
    throw new InputError(
      `Input backup "${takenAt}" ${parsed.error} Write it as TIME or TIME@LOCATION, e.g. 2026-01-31T20:00:00Z@s3://backups/db.dump.`,
    );
  return { takenAt, location: at < 0 ? null : value.slice(at + 1) };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new InputError(`${name} is not set: the Action must run inside a GitHub Actions job.`);
  return value;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function readGitHubContext(env: NodeJS.ProcessEnv): GitHubContext {
  const repository = required(env, 'GITHUB_REPOSITORY');
  const [owner, repo, ...rest] = repository.split('/');
  if (!owner || !repo || rest.length > 0)
    throw new InputError(`GITHUB_REPOSITORY must be OWNER/REPO, got "${repository}".`);
  const eventName = required(env, 'GITHUB_EVENT_NAME');
  let payload: Json = {};
  const eventPath = env.GITHUB_EVENT_PATH;
  if (eventPath) {
    try {
      payload = obj(JSON.parse(readFileSync(eventPath, 'utf8'))) ?? {};
    } catch (error) {
      throw new InputError(
        `GITHUB_EVENT_PATH ${eventPath}: cannot read the event payload: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  const pr = obj(payload.pull_request);
  const head = obj(pr?.head);
  const pullRequest: PullRequestInfo | null =
    pr && typeof pr.number === 'number' && str(head?.sha)
      ? {
          number: pr.number,
          headSha: str(head?.sha)!,
          author: str(obj(pr.user)?.login),
          title: str(pr.title) ?? '',
          body: str(pr.body) ?? '',
        }
      : null;
  const headCommit = obj(payload.head_commit);
  const runId = env.GITHUB_RUN_ID && /^\d+$/.test(env.GITHUB_RUN_ID) ? Number(env.GITHUB_RUN_ID) : undefined;
  const runAttempt =
    env.GITHUB_RUN_ATTEMPT && /^\d+$/.test(env.GITHUB_RUN_ATTEMPT) ? Number(env.GITHUB_RUN_ATTEMPT) : undefined;
  return {
    apiUrl: (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, ''),
    serverUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
    owner,
    repo,
    sha: pullRequest ? pullRequest.headSha : required(env, 'GITHUB_SHA'),
    shaSource: pullRequest ? 'pull request head' : 'GITHUB_SHA',
    ref: env.GITHUB_REF || undefined,
    eventName,
    actor: env.GITHUB_ACTOR || undefined,
    runId,
    runAttempt,
    workspace: env.GITHUB_WORKSPACE || process.cwd(),
    pullRequest,
    headCommitAuthor: str(obj(headCommit?.author)?.username) ?? null,
    defaultBranch: str(obj(payload.repository)?.default_branch) ?? null,
  };
}
