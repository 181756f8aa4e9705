import { answerSetupRoute } from './setup-routes.js';
import { gitBlobSha, hashId, paginate, teamJson } from './json.js';
import type { GitHubModel } from './model.js';
import type { FakeCheckRun, FakePull, FakeRepo, ProtectionAnswer } from './types.js';

/** The REST routes of the repository model: contents, commits, pulls, reviews, checks, statuses, deployments, Actions. */
export function answerRepoRoute(
  gh: GitHubModel,
  method: string,
  path: string,
  q: URLSearchParams,
  body: unknown,
  authorization = '',
): { status: number; body?: unknown; headers?: Record<string, string> } {
  const b = (body ?? {}) as Record<string, unknown>;
  const setup = answerSetupRoute(gh, method, path, b, /\bghs_/.test(authorization));
  if (setup) return setup;
  let m: RegExpMatchArray | null;
  if (method === 'POST' && (m = path.match(/^\/app\/installations\/(\d+)\/access_tokens$/))) {
    return {
      status: 201,
      body: {
        token: `ghs_test${m[1]}`,
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        permissions: {},
        repository_selection: 'all',
      },
    };
  }
  if ((m = path.match(/^\/orgs\/([^/]+)\/teams\/([^/]+)\/memberships\/([^/]+)$/)) && method === 'GET') {
    const members = gh.teams.get(m[1]!.toLowerCase())?.[m[2]!] ?? [];
    return members.some((l) => l.toLowerCase() === m![3]!.toLowerCase())
      ? { status: 200, body: { url: '', role: 'member', state: 'active' } }
      : { status: 404, body: { message: 'Not Found' } };
  }
  if ((m = path.match(/^\/orgs\/([^/]+)\/teams\/([^/]+)$/)) && method === 'GET') {
    const [org, slug] = [m[1]!.toLowerCase(), m[2]!];
    const members = gh.teams.get(org)?.[slug];
    return members
      ? { status: 200, body: teamJson(org, slug, members.length) }
      : { status: 404, body: { message: 'Not Found' } };
  }
  m = path.match(/^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/);
  if (!m) return { status: 404, body: { message: 'Not Found' } };
  if (gh.deniedRepos.has(`${m[1]}/${m[2]}`.toLowerCase())) {
    return {
      status: 403,
      body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' },
    };
  }
  const repo = gh.repos.get(`${m[1]}/${m[2]}`.toLowerCase());
  if (!repo) return { status: 404, body: { message: 'Not Found' } };
  const rest = m[3] ?? '';
  const user = (login: string) => ({ login, id: hashId(login), type: 'User' });
  const head = pullRequestHeadRoute(gh, repo, method, rest, q);
  if (head) return head;

  if (method === 'GET' && rest === '') {
    return {
      status: 200,
      body: {
        id: repo.id,
        name: repo.name,
        full_name: `${repo.owner}/${repo.name}`,
        default_branch: repo.defaultBranch,
        owner: user(repo.owner),
        private: true,
      },
    };
  }
  if (method === 'GET' && (m = rest.match(/^\/contents\/(.+)$/))) {
    const ref = q.get('ref') ?? repo.defaultBranch;
    const text = ref === repo.defaultBranch ? repo.files[m[1]!] : repo.filesAt[`${m[1]!}@${ref}`];
    if (text === undefined) return { status: 404, body: { message: 'Not Found' } };
    return {
      status: 200,
      body: {
        type: 'file',
        encoding: 'base64',
        size: text.length,
        name: m[1]!.split('/').pop(),
        path: m[1],
        content: Buffer.from(text).toString('base64'),
        sha: gitBlobSha(text),
      },
    };
  }
  if (method === 'GET' && rest === '/commits') {
    const file = q.get('path') ?? '';
    const sha = repo.fileCommits[file];
    return { status: 200, body: sha ? [{ sha, commit: { message: `change ${file}` } }] : [] };
  }
  if (method === 'GET' && (m = rest.match(/^\/commits\/([^/]+)\/pulls$/))) {
    const sha = m[1]!;
    // GitHub: the merged PR that introduced a default-branch commit; else open PRs containing it.
    const pulls = repo.pulls.filter((p) => p.commits.includes(sha) || p.headSha === sha || p.mergeCommitSha === sha);
    return { status: 200, body: pulls.map((p) => pullJson(gh, repo, p)) };
  }
  if (method === 'GET' && (m = rest.match(/^\/pulls\/(\d+)$/))) {
    const p = repo.pulls.find((x) => x.number === Number(m![1]));
    return p ? { status: 200, body: pullJson(gh, repo, p) } : { status: 404, body: { message: 'Not Found' } };
  }
  if (method === 'GET' && (m = rest.match(/^\/pulls\/(\d+)\/commits$/))) {
    const p = repo.pulls.find((x) => x.number === Number(m![1]));
    if (!p) return { status: 404, body: { message: 'Not Found' } };
    const list = p.commits.map((sha) => {
      const login = p.commitAuthors?.[sha] ?? p.user;
      return {
        sha,
        commit: {
          message: 'commit',
          author: { name: login, email: `${login}@example.com`, date: p.commitDates?.[sha] ?? '2026-01-01T00:00:00Z' },
        },
        author: user(login),
        committer: user('web-flow'),
        parents: [],
      };
    });
    return paginate(list, q, `${gh.baseUrl}/repos/${repo.owner}/${repo.name}${rest}`);
  }
  if (method === 'GET' && (m = rest.match(/^\/git\/ref\/(.+)$/))) {
    const sha = repo.refs[m[1]!];
    return sha
      ? {
          status: 200,
          body: { ref: `refs/${m[1]}`, node_id: 'R', url: '', object: { sha, type: 'commit', url: '' } },
        }
      : { status: 404, body: { message: 'Not Found' } };
  }
  if (method === 'GET' && rest === '/actions/runs') {
    const suite = Number(q.get('check_suite_id'));
    const run = repo.workflowRuns[suite];
    return {
      status: 200,
      body: {
        total_count: run ? 1 : 0,
        workflow_runs: run
          ? [{ id: run.id, path: run.path, head_sha: run.head_sha, check_suite_id: suite, name: run.path }]
          : [],
      },
    };
  }
  if (method === 'GET' && (m = rest.match(/^\/actions\/runs\/(\d+)$/))) {
    const id = Number(m[1]);
    const run = repo.runs[id];
    if (!run) return { status: 404, body: { message: 'Not Found' } };
    const full = `${repo.owner}/${repo.name}`;
    const repository = { id: repo.id, name: repo.name, full_name: full, owner: user(repo.owner), private: false };
    const head = run.headRepository ?? full;
    return {
      status: 200,
      body: {
        id,
        name: run.path,
        node_id: 'WR',
        head_branch: 'main',
        head_sha: run.head_sha,
        path: run.path,
        run_number: 1,
        run_attempt: 1,
        event: 'push',
        status: run.status ?? 'completed',
        conclusion: run.conclusion === undefined ? 'success' : run.conclusion,
        workflow_id: 1,
        check_suite_id: id * 10,
        url: `${gh.baseUrl}/repos/${full}/actions/runs/${id}`,
        html_url: `https://github.example/${full}/actions/runs/${id}`,
        created_at: '2026-03-10T00:00:00Z',
        updated_at: '2026-03-10T00:00:00Z',
        repository,
        head_repository: {
          ...repository,
          full_name: head,
          name: head.split('/')[1],
          owner: user(head.split('/')[0]!),
        },
      },
    };
  }
  if (method === 'GET' && (m = rest.match(/^\/commits\/([^/]+)\/statuses$/))) {
    const list = repo.statuses
      .filter((s) => s.sha === m![1])
      .map((s, i) => ({
        id: i + 1,
        node_id: 'S',
        url: '',
        avatar_url: null,
        context: s.context,
        state: s.state,
        description: null,
        target_url: null,
        created_at: '2026-03-10T00:00:00Z',
        updated_at: '2026-03-10T00:00:00Z',
        creator: s.creator ? user(s.creator) : null,
      }))
      .reverse();
    return paginate(list, q, `${gh.baseUrl}/repos/${repo.owner}/${repo.name}${rest}`);
  }
  if (method === 'GET' && (m = rest.match(/^\/actions\/jobs\/(\d+)$/))) {
    const id = Number(m[1]);
    const job = repo.workflowJobs[id];
    if (!job) return { status: 404, body: { message: 'Not Found' } };
    return {
      status: 200,
      body: {
        id,
        run_id: job.run_id,
        run_attempt: 1,
        node_id: 'J',
        head_sha: job.head_sha,
        url: `${gh.baseUrl}/repos/${repo.owner}/${repo.name}/actions/jobs/${id}`,
        html_url: `https://github.example/${repo.owner}/${repo.name}/actions/runs/${job.run_id}/job/${id}`,
        status: job.status,
        conclusion: job.conclusion,
        created_at: '2026-03-10T00:00:00Z',
        started_at: '2026-03-10T00:00:00Z',
        completed_at: job.status === 'completed' ? '2026-03-10T00:01:00Z' : null,
        name: job.name ?? 'deploy',
        steps: [],
        check_run_url: `${gh.baseUrl}/repos/${repo.owner}/${repo.name}/check-runs/${id}`,
        labels: ['ubuntu-latest'],
        runner_id: 1,
        runner_name: 'GitHub Actions 1',
        runner_group_id: 1,
        runner_group_name: 'GitHub Actions',
        workflow_name: 'deploy',
        head_branch: 'main',
      },
    };
  }
  if (method === 'GET' && (m = rest.match(/^\/pulls\/(\d+)\/reviews$/))) {
    const all = (repo.reviews[Number(m[1])] ?? []).map((r) => ({
      id: r.id,
      user: user(r.user),
      state: r.state,
      commit_id: r.commit_id,
      submitted_at: r.submitted_at,
      body: '',
    }));
    return paginate(all, q, `${gh.baseUrl}/repos/${repo.owner}/${repo.name}${rest}`);
  }
  if (method === 'GET' && (m = rest.match(/^\/git\/commits\/([^/]+)$/))) {
    const tree = repo.trees[m[1]!];
    return tree
      ? { status: 200, body: { sha: m[1], tree: { sha: tree }, message: 'commit', parents: [] } }
      : { status: 404, body: { message: 'Not Found' } };
  }
  if (method === 'GET' && (m = rest.match(/^\/commits\/([^/]+)\/check-runs$/))) {
    const name = q.get('check_name');
    const runs = repo.checkRuns.filter((c) => c.head_sha === m![1] && (!name || c.name === name)).reverse();
    const page = paginate(runs, q, `${gh.baseUrl}/repos/${repo.owner}/${repo.name}${rest}`);
    return { ...page, body: { total_count: runs.length, check_runs: page.body } };
  }
  if (method === 'GET' && (m = rest.match(/^\/commits\/([^/]+)\/status$/))) {
    const statuses = repo.statuses.filter((s) => s.sha === m![1]);
    const state = statuses.some((s) => s.state === 'failure' || s.state === 'error')
      ? 'failure'
      : statuses.some((s) => s.state === 'pending')
        ? 'pending'
        : 'success';
    return {
      status: 200,
      body: {
        state,
        sha: m[1],
        total_count: statuses.length,
        statuses: statuses.map((s) => ({ context: s.context, state: s.state })),
      },
    };
  }
  if (method === 'POST' && rest === '/check-runs') {
    const run: FakeCheckRun = {
      id: gh.newId(),
      name: String(b.name),
      head_sha: String(b.head_sha),
      status: String(b.status ?? 'queued'),
      conclusion: (b.conclusion as string | undefined) ?? null,
      app: { slug: 'release-gate' },
      output: (b.output as FakeCheckRun['output']) ?? {},
      external_id: b.external_id as string | undefined,
    };
    repo.checkRuns.push(run);
    return { status: 201, body: { ...run, html_url: `https://github.example/checks/${run.id}` } };
  }
  if (method === 'PATCH' && (m = rest.match(/^\/check-runs\/(\d+)$/))) {
    const run = repo.checkRuns.find((c) => c.id === Number(m![1]));
    if (!run) return { status: 404, body: { message: 'Not Found' } };
    if (b.status) run.status = String(b.status);
    if (b.conclusion !== undefined) run.conclusion = b.conclusion as string;
    if (b.output) run.output = b.output as FakeCheckRun['output'];
    return { status: 200, body: run };
  }
  if (method === 'GET' && (m = rest.match(/^\/compare\/([^.]+)\.\.\.(.+)$/))) {
    const files = repo.compare[`${m[1]}...${m[2]}`] ?? [];
    return {
      status: 200,
      body: {
        status: 'ahead',
        ahead_by: 1,
        behind_by: 0,
        total_commits: 1,
        commits: [],
        files: files.map((f) => ({ filename: f, status: 'modified' })),
      },
    };
  }
  if (method === 'POST' && (m = rest.match(/^\/actions\/runs\/(\d+)\/deployment_protection_rule$/))) {
    const runId = Number(m[1]);
    const env = String(b.environment_name);
    const key = `${runId}/${env}`;
    const answer: ProtectionAnswer = { runId, environment: env, status: 204 };
    if (b.state !== undefined) answer.state = b.state as 'approved' | 'rejected';
    if (b.comment !== undefined) answer.comment = String(b.comment);
    if (!repo.pendingRules.has(key)) {
      answer.status = 422;
      repo.answers.push(answer);
      return { status: 422, body: { message: 'No pending deployment protection rule' } };
    }
    if (answer.state) repo.pendingRules.delete(key);
    repo.answers.push(answer);
    return { status: 204 };
  }
  if (method === 'POST' && rest === '/deployments') {
    const d = {
      id: gh.newId(),
      sha: String(b.ref),
      ref: String(b.ref),
      environment: String(b.environment ?? 'production'),
      payload: b.payload ?? {},
      creator: 'release-gate[bot]',
      created_at: new Date().toISOString(),
      appId: gh.appId,
    };
    repo.deployments.push(d);
    return {
      status: 201,
      body: {
        url: '',
        id: d.id,
        node_id: 'D',
        sha: d.sha,
        ref: d.ref,
        task: 'deploy',
        payload: d.payload,
        environment: d.environment,
        creator: user('release-gate[bot]'),
        created_at: d.created_at,
        performed_via_github_app: { id: gh.appId, slug: 'release-gate' },
      },
    };
  }
  if (method === 'GET' && rest === '/deployments') {
    const sha = q.get('sha');
    const environment = q.get('environment');
    const list = repo.deployments
      .filter((d) => (!sha || d.sha === sha) && (!environment || d.environment === environment))
      .reverse();
    return {
      status: 200,
      body: list.map((d) => ({
        id: d.id,
        sha: d.sha,
        ref: d.ref,
        environment: d.environment,
        payload: d.payload,
        created_at: d.created_at,
        creator: user(d.creator),
        performed_via_github_app: d.appId ? { id: d.appId, slug: d.appId === gh.appId ? 'release-gate' : 'app' } : null,
      })),
    };
  }
  if (method === 'POST' && (m = rest.match(/^\/deployments\/(\d+)\/statuses$/))) {
    const s = {
      id: gh.newId(),
      deploymentId: Number(m[1]),
      state: String(b.state),
      description: b.description as string | undefined,
      creator: 'release-gate[bot]',
    };
    repo.deploymentStatuses.push(s);
    return { status: 201, body: { id: s.id, state: s.state, description: s.description ?? '' } };
  }
  if (method === 'GET' && (m = rest.match(/^\/deployments\/(\d+)\/statuses$/))) {
    return {
      status: 200,
      body: repo.deploymentStatuses
        .filter((s) => s.deploymentId === Number(m![1]))
        .reverse()
        .map((s) => ({
          id: s.id,
          state: s.state,
          created_at: new Date().toISOString(),
          ...(s.creator ? { creator: user(s.creator) } : {}),
        })),
    };
  }
  if (method === 'GET' && (m = rest.match(/^\/collaborators\/([^/]+)\/permission$/))) {
    const permission = repo.permissions[m[1]!] ?? 'read';
    return { status: 200, body: { permission, role_name: permission, user: user(m[1]!) } };
  }
  if (method === 'POST' && (m = rest.match(/^\/issues\/(\d+)\/comments$/))) {
    repo.comments.push({ issue: Number(m[1]), body: String(b.body) });
    return { status: 201, body: { id: gh.newId(), body: b.body } };
  }
  return { status: 404, body: { message: 'Not Found' } };
}

function pullRequestHeadRoute(
  gh: GitHubModel,
  repo: FakeRepo,
  method: string,
  rest: string,
  q: URLSearchParams,
): { status: number; body?: unknown; headers?: Record<string, string> } | null {
  const full = `${repo.owner}/${repo.name}`.toLowerCase();
  let m: RegExpMatchArray | null;
  if (method === 'GET' && (m = rest.match(/^\/pulls\/(\d+)\/files$/))) {
    const files = (gh.pullFiles.get(`${full}#${m[1]}`) ?? []).map((f) => ({
      sha: gitBlobSha(f.filename),
      filename: f.filename,
      status: f.status,
      additions: 1,
      deletions: 0,
      changes: 1,
      blob_url: `https://github.example/${full}/blob/${f.filename}`,
      raw_url: `https://github.example/${full}/raw/${f.filename}`,
      contents_url: `${gh.baseUrl}/repos/${full}/contents/${f.filename}`,
      ...(f.previous_filename ? { previous_filename: f.previous_filename } : {}),
    }));
    return paginate(files, q, `${gh.baseUrl}/repos/${repo.owner}/${repo.name}${rest}`);
  }
  return null;
}

function pullJson(gh: GitHubModel, repo: FakeRepo, p: FakePull): unknown {
  return {
    number: p.number,
    state: p.state ?? 'open',
    user: { login: p.user, id: hashId(p.user), type: 'User' },
    body: p.body ?? '',
    head: { sha: p.headSha, ref: p.headRef },
    base: { ref: repo.defaultBranch, sha: '0'.repeat(40) },
    merged_at: p.mergedAt ?? null,
    merge_commit_sha: p.mergeCommitSha ?? null,
  };
}
