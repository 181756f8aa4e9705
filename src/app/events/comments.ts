import type { Context } from 'probot';
import { COMMAND_USAGE, parseGateCommand } from '../../core/commands-parse.js';
import { findStageIndex } from '../../core/evaluate.js';
import { escapeMarkdown, inlineCode } from '../../core/markdown-escape.js';
import { failingRules } from '../../core/rule-results.js';
import { getPull, replyOnIssue } from '../../github/pull-commands.js';
import { loadRepoPolicy } from '../../github/policy-source.js';
import { repoKey } from '../../github/types.js';
import { createReleaseActions, githubPeople } from '../actions/index.js';
import type { ActionAnswer, ActionScope } from '../actions/index.js';
import { handleOnce } from '../deliveries.js';
import type { AppDeps } from '../gate.js';
import { runSetupCommand } from '../setup-command.js';
import { defaultBranchOf, repositoryOf } from './repository.js';

/**
 * `issue_comment.created` on a pull request: `/release-gate status | promote | approve | reject |
 * override | setup`. The actions are the App's one action module (src/app/actions), as in the
 * console; they act on the pull request's head.
 */
export async function onIssueComment(deps: AppDeps, context: Context<'issue_comment.created'>): Promise<void> {
  const p = context.payload;
  // A comment without an author (a deleted account) can be authorised for nothing.
  const author = p.comment.user;
  if (!author || author.type === 'Bot') return;
  const parsed = parseGateCommand(p.comment.body);
  if (!parsed) return;
  // On an issue (an incident), only a rollback means something.
  if (!p.issue.pull_request && !(parsed.ok && parsed.command.kind === 'rollback')) return;
  await handleOnce(deps, context, async () => {
    const octokit = context.octokit;
    const where = repositoryOf(p);
    const login = author.login;
    const reply = (body: string) => replyOnIssue(octokit, { ...where, issueNumber: p.issue.number, body });
    if (!parsed.ok) {
      await reply(`@${login} ${parsed.error}\n\nCommands:\n${COMMAND_USAGE}`);
      return 'replied: malformed';
    }
    const command = parsed.command;
    if (command.kind === 'help') {
      await reply(`Commands:\n${COMMAND_USAGE}`);
      return 'replied: help';
    }
    if (command.kind === 'rollback') {
      const defaultBranch = p.repository.default_branch;
      const answer = await createReleaseActions(deps).rollback(
        {
          repo: { ...where, installationId: p.installation?.id ?? 0, ...defaultBranchOf(p) },
          octokit,
          people: githubPeople(octokit, where),
          policy: () => loadRepoPolicy(octokit, { ...where, ...(defaultBranch ? { defaultBranch } : {}) }),
          actor: { login, via: 'command', deliveryId: context.id },
        },
        { environment: command.environment },
      );
      await reply(replyTo(login, answer));
      return answer.outcome === 'refused' ? `replied: rollback refused (${answer.code})` : `rollback ${answer.outcome}`;
    }
    const pull = await getPull(octokit, { ...where, pullNumber: p.issue.number });
    const fullName = repoKey(where);
    const defaultBranch = p.repository.default_branch;
    if (command.kind === 'setup')
      return runSetupCommand(deps, octokit, {
        ...where,
        login,
        issueNumber: p.issue.number,
        headSha: pull.headSha,
        defaultBranch,
        deliveryId: context.id,
      });
    if (command.kind === 'status') {
      const evaluations = await deps.store.listEvaluations({ repo: fullName, sha: pull.headSha });
      const latest = new Map<string, (typeof evaluations)[number]>();
      for (const e of evaluations) latest.set(e.stage ?? e.environment, e);
      const gates = await deps.store.listPendingGates({ repo: fullName, sha: pull.headSha, status: 'pending' });
      const lines = [...latest.entries()].map(([env, e]) => {
        const failing = failingRules(e.rules).map((r) => r.code);
        return `| ${escapeMarkdown(env)} | ${e.decision} | ${failing.join(', ') || '-'} | ${e.at.toISOString()} |`;
      });
      const body =
        lines.length === 0
          ? `No gate decision recorded yet for ${pull.headSha.slice(0, 7)}.`
          : [
              `Release gate for ${pull.headSha.slice(0, 7)}:`,
              '',
              '| Environment | Decision | Failing rules | At |',
              '|---|---|---|---|',
              ...lines,
              '',
              `${gates.length} request(s) waiting.`,
            ].join('\n');
      await reply(body);
      return 'replied: status';
    }
    const policy = await loadRepoPolicy(octokit, { ...where, ...(defaultBranch ? { defaultBranch } : {}) });
    if (!policy.ok) {
      await reply(
        `@${login} the release policy is invalid, so the gate cannot act: ${escapeMarkdown(policy.problems.slice(0, 3).join('; '))}`,
      );
      return 'replied: policy invalid';
    }
    const environment = command.environment;
    if (environment !== null && findStageIndex(policy.policy, environment) < 0) {
      await reply(
        `@${login} ${inlineCode(environment)} is not an environment of the policy (stages: ${escapeMarkdown(policy.policy.environments.map((e) => e.name).join(', '))}).`,
      );
      return 'replied: unknown environment';
    }
    const scope: ActionScope = {
      repo: { ...where, installationId: p.installation?.id ?? 0, ...defaultBranchOf(p) },
      octokit,
      people: githubPeople(octokit, where),
      policy: () => Promise.resolve(policy),
      actor: { login, via: 'command', deliveryId: context.id },
    };
    const actions = createReleaseActions(deps);
    const sha = pull.headSha;
    const answer =
      command.kind === 'promote'
        ? await actions.promote(scope, { sha, stage: command.environment, ref: pull.headRef })
        : command.kind === 'approve'
          ? await actions.approve(scope, { sha, ...(environment ? { environment } : {}) })
          : command.kind === 'reject'
            ? await actions.reject(scope, { sha, reason: command.reason, ...(environment ? { environment } : {}) })
            : await actions.override(scope, {
                sha,
                stage: command.environment,
                reason: command.reason,
                risk: command.risk,
                rules: command.rules,
              });
    await reply(replyTo(login, answer));
    if (answer.outcome === 'refused') return `replied: ${command.kind} refused (${answer.code})`;
    // What the action looked at again, as the delivery's outcome (the facts it changed).
    const again = answer.result as { gates?: unknown[]; promotions?: number };
    const looked =
      answer.outcome === 'done' && again.gates
        ? `; re-evaluated ${again.gates.length} gate(s)${again.promotions ? `; re-examined ${again.promotions} held promotion(s)` : ''}`
        : '';
    return `${command.kind} ${answer.outcome === 'done' ? 'recorded' : 'unchanged'}${looked}`;
  });
}

/** The reply to an action: its sentence, inert (text from people is data), and the rules that blocked it. */
function replyTo(login: string, answer: ActionAnswer<unknown>): string {
  const rules =
    answer.outcome === 'refused'
      ? ((answer.details as { rules?: Array<{ code: string; message: string }> } | undefined)?.rules ?? [])
      : [];
  const list = rules.map((r) => `- ${inlineCode(r.code)}: ${escapeMarkdown(r.message)}`).join('\n');
  return `@${login} ${escapeMarkdown(answer.message)}${list ? `\n\n${list}` : ''}`;
}
