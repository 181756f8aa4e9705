import type { Policy } from '../core/types.js';
import { httpStatus, repoKey } from '../github/types.js';
import type { GitHubClient } from '../github/types.js';
import { administrationAdvice, isMissingAppPermission, setupFailure } from './setup-permission.js';
import type { SetupActor } from './setup-permission.js';

/**
 * Makes a repository's GitHub environments match the policy's stages, opt-in and additive:
 * creates the missing environment of each stage (`PUT /repos/{o}/{r}/environments/{env}`),
 * enables the App's custom deployment protection rule on every environment of a stage
 * (`POST .../deployment_protection_rules` with the App's integration id, after listing the
 * rules already there and the integrations offered), and gives environments it creates a
 * deployment ref policy from the stage's `refs`. It never deletes or loosens what a person
 * configured. Used by the App (`sync: environments`, `/release-gate setup`) and the CLI
 * (`release-gate setup`, a dry run unless `--apply`).
 */

/** What the setup calls: Octokit's `request` (an installation's, or a token's). */
export type SetupClient = Pick<GitHubClient, 'request'>;

export type SetupStatus = 'done' | 'would' | 'ok' | 'kept' | 'failed';

export interface SetupLine {
  status: SetupStatus;
  environment: string;
  message: string;
}

export interface SetupReport {
  repo: string;
  apply: boolean;
  lines: SetupLine[];
  /** True when nothing failed. */
  ok: boolean;
  /** The App's id given, for the advice. */
  appId: number | null;
  /** A write was refused because the App's installation lacks Administration: write. */
  administrationMissing: boolean;
}

export interface SetupOptions {
  owner: string;
  repo: string;
  policy: Pick<Policy, 'environments'>;
  /** The App's id (its integration id): the protection rule to enable. Null: environments and ref policies only. */
  appId: number | null;
  /** Write to GitHub (true) or only say what would change (false). */
  apply: boolean;
  /** Whose requests these are: the App's installation (default) or a person's token (the CLI). */
  actor?: SetupActor;
}

interface GitHubEnvironment {
  name: string;
  deployment_branch_policy: { protected_branches: boolean; custom_branch_policies: boolean } | null;
}

const PLAN_HINT =
  'GitHub does not offer custom deployment protection rules here: they need a public repository, or GitHub Enterprise for private and internal ones (the App must also be installed on the repository). Without them, use the Action as a required check';

/** A ref pattern of the policy as a GitHub deployment ref policy, or null when GitHub cannot express it. */
export function refPolicyOf(pattern: string): { name: string; type: 'branch' | 'tag' } | null {
  if (pattern.startsWith('refs/tags/') && pattern.length > 'refs/tags/'.length)
    return { name: pattern.slice('refs/tags/'.length), type: 'tag' };
  if (pattern.startsWith('refs/heads/') && pattern.length > 'refs/heads/'.length)
    return { name: pattern.slice('refs/heads/'.length), type: 'branch' };
  return null;
}

export async function setupEnvironments(client: SetupClient, options: SetupOptions): Promise<SetupReport> {
  const { owner, repo, apply, appId } = options;
  const actor = options.actor ?? 'app';
  const lines: SetupLine[] = [];
  let administrationMissing = false;
  const add = (status: SetupStatus, environment: string, message: string) =>
    lines.push({ status, environment, message });
  const explain = (error: unknown): string => {
    if (isMissingAppPermission(error)) administrationMissing = true;
    return setupFailure(error, actor);
  };
  const report = (): SetupReport => ({
    repo: repoKey({ owner, repo }),
    apply,
    lines,
    ok: !lines.some((l) => l.status === 'failed'),
    appId,
    administrationMissing,
  });

  let existing: GitHubEnvironment[];
  try {
    existing = await listEnvironments(client, owner, repo);
  } catch (error) {
    add(
      'failed',
      '-',
      `cannot list the environments of ${repoKey({ owner, repo })}: ${explain(error)}; nothing was changed`,
    );
    return report();
  }

  for (const stage of options.policy.environments) {
    const names = stage.github.length > 0 ? stage.github : [stage.name];
    const present = existing.filter((e) => names.some((n) => n.toLowerCase() === e.name.toLowerCase()));
    const refPolicies = stage.refs.map((r) => ({ pattern: r, policy: refPolicyOf(r) }));
    let targets = present.map((e) => ({ env: e, created: false }));

    if (present.length === 0) {
      const name = names[0]!;
      const convertible = refPolicies.filter((r) => r.policy !== null);
      const body =
        convertible.length > 0
          ? { deployment_branch_policy: { protected_branches: false, custom_branch_policies: true } }
          : {};
      if (!apply) {
        add('would', name, `create environment ${name} for stage ${stage.name}`);
        for (const r of convertible)
          add('would', name, `allow deployments from ${r.policy!.type} ${r.policy!.name} only`);
        if (appId !== null) add('would', name, 'enable the Release Gate protection rule');
        for (const r of refPolicies.filter((x) => x.policy === null))
          add(
            'kept',
            name,
            `ref pattern ${r.pattern} has no GitHub equivalent (use refs/tags/... or refs/heads/...); the gate still enforces it`,
          );
        continue;
      }
      try {
        await client.request('PUT /repos/{owner}/{repo}/environments/{environment_name}', {
          owner,
          repo,
          environment_name: name,
          ...body,
        });
        add('done', name, `created environment ${name} for stage ${stage.name}`);
      } catch (error) {
        add('failed', name, `could not create environment ${name}: ${explain(error)}`);
        continue;
      }
      for (const r of convertible) {
        try {
          await client.request(
            'POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies',
            { owner, repo, environment_name: name, name: r.policy!.name, type: r.policy!.type },
          );
          add('done', name, `allowed deployments from ${r.policy!.type} ${r.policy!.name} only`);
        } catch (error) {
          add(
            'failed',
            name,
            `could not add the deployment ${r.policy!.type} policy ${r.policy!.name}: ${explain(error)}`,
          );
        }
      }
      for (const r of refPolicies.filter((x) => x.policy === null))
        add(
          'kept',
          name,
          `ref pattern ${r.pattern} has no GitHub equivalent (use refs/tags/... or refs/heads/...); the gate still enforces it`,
        );
      targets = [
        {
          env: {
            name,
            deployment_branch_policy:
              convertible.length > 0 ? { protected_branches: false, custom_branch_policies: true } : null,
          },
          created: true,
        },
      ];
    } else {
      for (const { env } of targets) {
        add('ok', env.name, `environment ${env.name} exists (stage ${stage.name})`);
        if (refPolicies.length === 0) continue;
        if (env.deployment_branch_policy === null) {
          add(
            'kept',
            env.name,
            `deployment branch policy left as a person set it (any ref); the gate enforces ${stage.refs.join(', ')}`,
          );
        } else if (env.deployment_branch_policy.protected_branches) {
          add(
            'kept',
            env.name,
            `deployment branch policy left as a person set it (protected branches); the gate enforces ${stage.refs.join(', ')}`,
          );
        } else {
          await addMissingRefPolicies(client, { owner, repo, env: env.name, apply, refPolicies, add, explain });
        }
      }
    }

    if (appId === null) continue;
    for (const { env } of targets) await enableRule(client, { owner, repo, env: env.name, appId, apply, add, explain });
  }
  return report();
}

async function listEnvironments(client: SetupClient, owner: string, repo: string): Promise<GitHubEnvironment[]> {
  const all: GitHubEnvironment[] = [];
  for (let page = 1; page <= 20; page++) {
    const { data } = await client.request('GET /repos/{owner}/{repo}/environments', {
      owner,
      repo,
      per_page: 100,
      page,
    });
    const list = (data as { environments?: GitHubEnvironment[] }).environments ?? [];
    all.push(...list);
    if (list.length < 100) break;
  }
  return all;
}

async function addMissingRefPolicies(
  client: SetupClient,
  o: {
    owner: string;
    repo: string;
    env: string;
    apply: boolean;
    refPolicies: Array<{ pattern: string; policy: { name: string; type: 'branch' | 'tag' } | null }>;
    add: (s: SetupStatus, e: string, m: string) => void;
    explain: (error: unknown) => string;
  },
): Promise<void> {
  const explain = o.explain;
  let have: Array<{ name: string; type?: string }>;
  try {
    const { data } = await client.request(
      'GET /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies',
      { owner: o.owner, repo: o.repo, environment_name: o.env, per_page: 100 },
    );
    have = (data as { branch_policies?: Array<{ name: string; type?: string }> }).branch_policies ?? [];
  } catch (error) {
    o.add('failed', o.env, `could not read the deployment ref policies: ${explain(error)}`);
    return;
  }
  for (const r of o.refPolicies) {
    if (!r.policy) {
      o.add(
        'kept',
        o.env,
        `ref pattern ${r.pattern} has no GitHub equivalent (use refs/tags/... or refs/heads/...); the gate still enforces it`,
      );
      continue;
    }
    const p = r.policy;
    if (have.some((h) => h.name === p.name && (h.type ?? 'branch') === p.type)) {
      o.add('ok', o.env, `deployments from ${p.type} ${p.name} are already allowed`);
      continue;
    }
    if (!o.apply) {
      o.add('would', o.env, `allow deployments from ${p.type} ${p.name}`);
      continue;
    }
    try {
      await client.request('POST /repos/{owner}/{repo}/environments/{environment_name}/deployment-branch-policies', {
        owner: o.owner,
        repo: o.repo,
        environment_name: o.env,
        name: p.name,
        type: p.type,
      });
      o.add('done', o.env, `allowed deployments from ${p.type} ${p.name}`);
    } catch (error) {
      o.add('failed', o.env, `could not add the deployment ${p.type} policy ${p.name}: ${explain(error)}`);
    }
  }
}

async function enableRule(
  client: SetupClient,
  o: {
    owner: string;
    repo: string;
    env: string;
    appId: number;
    apply: boolean;
    add: (s: SetupStatus, e: string, m: string) => void;
    explain: (error: unknown) => string;
  },
): Promise<void> {
  const explain = o.explain;
  const base = { owner: o.owner, repo: o.repo, environment_name: o.env };
  try {
    const { data } = await client.request(
      'GET /repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules',
      base,
    );
    const rules =
      (data as { custom_deployment_protection_rules?: Array<{ enabled: boolean; app?: { id: number } }> })
        .custom_deployment_protection_rules ?? [];
    if (rules.some((r) => r.app?.id === o.appId && r.enabled)) {
      o.add('ok', o.env, 'the Release Gate protection rule is already enabled');
      return;
    }
    const offered = await client.request(
      'GET /repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules/apps',
      base,
    );
    const apps =
      (offered.data as { available_custom_deployment_protection_rule_integrations?: Array<{ id: number }> })
        .available_custom_deployment_protection_rule_integrations ?? [];
    if (!apps.some((a) => a.id === o.appId)) {
      o.add('failed', o.env, `cannot enable the Release Gate protection rule: ${PLAN_HINT}`);
      return;
    }
  } catch (error) {
    o.add('failed', o.env, `cannot read the protection rules: ${explain(error)}`);
    return;
  }
  if (!o.apply) {
    o.add('would', o.env, 'enable the Release Gate protection rule');
    return;
  }
  try {
    await client.request('POST /repos/{owner}/{repo}/environments/{environment_name}/deployment_protection_rules', {
      ...base,
      integration_id: o.appId,
    });
    o.add('done', o.env, 'enabled the Release Gate protection rule');
  } catch (error) {
    o.add(
      'failed',
      o.env,
      `could not enable the Release Gate protection rule: ${httpStatus(error) === 422 ? PLAN_HINT : explain(error)}`,
    );
  }
}

const MARK: Record<SetupStatus, string> = { done: 'changed', would: 'would', ok: 'ok', kept: 'kept', failed: 'FAILED' };

/** The report as plain text, one line per finding (the CLI). */
export function renderSetupText(report: SetupReport): string {
  const head = report.apply
    ? `Setup of ${report.repo}:`
    : `Dry run for ${report.repo} (nothing written; run again with --apply to make these changes):`;
  const width = Math.max(...report.lines.map((l) => l.environment.length), 1);
  const body = report.lines.map((l) => `  ${MARK[l.status].padEnd(7)} ${l.environment.padEnd(width)}  ${l.message}`);
  const failed = report.lines.filter((l) => l.status === 'failed').length;
  const tail =
    failed > 0
      ? `${failed} thing(s) could not be set up; see FAILED above.`
      : report.apply
        ? 'GitHub matches the policy.'
        : 'Nothing failed.';
  const advice = report.administrationMissing ? ['', administrationAdvice(report.repo, report.appId)] : [];
  return [head, ...body, tail, ...advice].join('\n');
}

/** The report as Markdown for a check run summary (the App). */
export function renderSetupMarkdown(report: SetupReport): string {
  const rows = report.lines.map(
    (l) => `| ${MARK[l.status]} | ${l.environment.replace(/\|/g, '\\|')} | ${l.message.replace(/\|/g, '\\|')} |`,
  );
  const table = ['| | Environment | |', '|---|---|---|', ...rows].join('\n');
  return report.administrationMissing ? `${table}\n\n${administrationAdvice(report.repo, report.appId)}` : table;
}
