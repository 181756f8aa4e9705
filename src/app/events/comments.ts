import type { Context } from 'probot';
import { COMMAND_USAGE, parseGateCommand } from '../../core/commands-parse.js';
import { findStageIndex } from '../../core/evaluate.js';
import { escapeMarkdown, inlineCode } from '../../core/markdown-escape.js';
import { failingRules } from '../../core/rule-results.js';
import { createDeployment } from '../../github/deployment-api.js';
import { getPull, replyOnIssue, repositoryPermission } from '../../github/pull-commands.js';
import { teamMembership } from '../../github/facts.js';
import { loadRepoPolicy } from '../../github/policy-source.js';
import { repoKey } from '../../github/types.js';
import { handleOnce } from '../deliveries.js';
import { factsChanged } from '../facts-changed.js';
import { runGate } from '../gate.js';
import type { GateDeps, GateRequest } from '../gate.js';
import { PROMOTION_PAYLOAD_KEY } from '../promotions.js';
import { runSetupCommand } from '../setup-command.js';
import { defaultBranchOf, repositoryOf } from './repository.js';

type CommentPayload = Context<'issue_comment.created'>['payload'];

const WRITE_PERMISSIONS = new Set(['admin', 'maintain', 'write']);

/** The gate `/release-gate promote` asks for: the pull request's head, deployed to `environment` by the commenter. */
export function toGateRequest(
  p: CommentPayload,
  login: string,
  pull: { headSha: string; headRef: string },
  environment: string,
  deliveryId: string,
): GateRequest {
  return {
    ...repositoryOf(p),
    installationId: p.installation?.id ?? 0,
    sha: pull.headSha,
    ref: pull.headRef,
    environment,
    deployer: login,
    trigger: 'promote command',
    actor: login,
    deliveryId,
    ...defaultBranchOf(p),
  };
}

/** `issue_comment.created` on a pull request: `/release-gate status | promote <env> | override <env> ...`. */
export async function onIssueComment(deps: GateDeps, context: Context<'issue_comment.created'>): Promise<void> {
  const p = context.payload;
  // A comment without an author (a deleted account) can be authorised for nothing.
  const author = p.comment.user;
  if (!p.issue.pull_request || !author || author.type === 'Bot') return;
  const parsed = parseGateCommand(p.comment.body);
  if (!parsed) return;
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
    const index = findStageIndex(policy.policy, command.environment);
    if (index < 0) {
      await reply(
        `@${login} ${inlineCode(command.environment)} is not an environment of the policy (stages: ${escapeMarkdown(policy.policy.environments.map((e) => e.name).join(', '))}).`,
      );
      return 'replied: unknown environment';
    }
    const stage = policy.policy.environments[index]!;
    if (command.kind === 'promote') {
      const permission = await repositoryPermission(octokit, { ...where, username: login });
      if (!WRITE_PERMISSIONS.has(permission)) {
        await reply(
          `@${login} refused: promoting needs write permission on ${fullName}; you have ${inlineCode(permission)}.`,
        );
        return 'replied: promote refused';
      }
      const target = stage.github[0] ?? stage.name;
      const result = await runGate(deps, octokit, toGateRequest(p, login, pull, target, context.id));
      if (result.decision?.decision !== 'allow') {
        const failing =
          failingRules(result.decision?.rules ?? []).map(
            (r) => `- ${inlineCode(r.code)}: ${escapeMarkdown(r.message)}`,
          ) ?? [];
        await reply(
          `@${login} not promoted to ${escapeMarkdown(stage.name)}: the gate says **${result.decision?.decision ?? 'unknown'}**.\n\n${failing.join('\n')}`,
        );
        return 'replied: promote held';
      }
      const id = await createDeployment(octokit, {
        ...where,
        sha: pull.headSha,
        environment: target,
        payload: { [PROMOTION_PAYLOAD_KEY]: { promotedBy: login, stage: stage.name, sha: pull.headSha } },
        description: `Release gate: promotion to ${stage.name} by ${login}`,
      });
      await deps.store.recordEvent({
        repo: fullName,
        sha: pull.headSha,
        environment: target,
        type: 'PROMOTE',
        status: 'command',
        actor: login,
        at: deps.clock(),
        notes: `Deployment ${id} created by /release-gate promote`,
        deliveryId: context.id,
      });
      await reply(`@${login} promoted ${pull.headSha.slice(0, 7)} to ${stage.name}: deployment ${id} created.`);
      return 'replied: promoted';
    }
    // override
    const teams = policy.policy.overrides.teams;
    let member = false;
    for (const team of teams) if (!member && (await teamMembership(octokit, where.owner, team, login))) member = true;
    if (!member) {
      await reply(
        `@${login} refused: only members of ${teams.length > 0 ? teams.map((t) => inlineCode(t)).join(', ') : 'an override team (the policy names none)'} may grant an override.`,
      );
      await deps.store.recordEvent({
        repo: fullName,
        sha: pull.headSha,
        environment: stage.name,
        type: 'NOTE',
        status: 'override refused',
        actor: login,
        at: deps.clock(),
        notes: `Override by a non-member refused: ${command.reason}`,
        deliveryId: context.id,
      });
      return 'replied: override refused';
    }
    const now = deps.clock();
    const existing = (
      await deps.store.listOverrides({ repo: fullName, sha: pull.headSha, environment: stage.name })
    ).filter((o) => !o.usedAt && (!o.expiresAt || o.expiresAt > now));
    const toConfirm = policy.policy.overrides.secondApprover
      ? existing.find((o) => !o.confirmedBy && o.grantedBy.toLowerCase() !== login.toLowerCase())
      : undefined;
    if (toConfirm) {
      await deps.store.confirmOverride(toConfirm.id, login, now);
      await deps.store.recordEvent({
        repo: fullName,
        sha: pull.headSha,
        environment: stage.name,
        type: 'OVERRIDE',
        status: 'confirmed',
        actor: login,
        at: now,
        notes: `Override ${toConfirm.id} by ${toConfirm.grantedBy} confirmed`,
        deliveryId: context.id,
      });
      await reply(`@${login} confirmed the override of ${toConfirm.grantedBy} for ${stage.name}.`);
    } else {
      const o = await deps.store.createOverride({
        repo: fullName,
        sha: pull.headSha,
        environment: stage.name,
        rules: command.rules,
        grantedBy: login,
        reason: command.reason,
        risk: command.risk,
        grantedAt: now,
        expiresAt: new Date(now.getTime() + policy.policy.overrides.expiresMs),
      });
      await deps.store.recordEvent({
        repo: fullName,
        sha: pull.headSha,
        environment: stage.name,
        type: 'OVERRIDE',
        status: 'granted',
        actor: login,
        at: now,
        notes: `reason: ${command.reason}; risk: ${command.risk}${command.rules.length ? `; rules: ${command.rules.join(', ')}` : ''}`,
        deliveryId: context.id,
      });
      const confirm = policy.policy.overrides.secondApprover
        ? ' A second member must confirm it with the same command.'
        : '';
      await reply(
        `@${login} override granted for ${stage.name} on ${pull.headSha.slice(0, 7)} (id ${o.id}), until ${o.expiresAt?.toISOString() ?? 'used'}; it lets one deployment through.${confirm}`,
      );
    }
    // An auto-promotion of the commit held on what the override lets through may go now.
    const changed = await factsChanged(deps, octokit, {
      ...where,
      shas: [pull.headSha],
      trigger: 'override',
      actor: login,
      deliveryId: context.id,
      ...defaultBranchOf(p),
    });
    return `override recorded; ${changed.summary}`;
  });
}
