import { createHash } from 'node:crypto';
import { repoKey } from '../../github/types.js';
import { isUniqueViolation } from '../../store/sql-dialect.js';
import type { OverrideRow } from '../../store/types.js';
import { factsChanged } from '../facts-changed.js';
import type { AppDeps } from '../gate.js';
import { gateOutcomes, requireRoleAndPolicy, requireStage, short } from './release-state.js';
import { refused } from './types.js';
import type { ActionAnswer, ActionScope, GateOutcome } from './types.js';

export interface OverrideInput {
  sha: string;
  stage: string;
  reason: string;
  risk: string;
  /** Rule codes the override lifts (case ignored); every overridable rule when empty. */
  rules: string[];
}

export interface OverrideResult {
  override: { status: 'granted' | 'confirmed'; id: string; needsConfirmation: boolean; expiresAt: string | null };
  stage: string;
  by: string;
  gates: GateOutcome[];
  promotions: number;
}

/** Rule codes as the gate compares them: upper case, each once, in order. */
export function normaliseRules(rules: readonly string[]): string[] {
  return [...new Set(rules.map((r) => r.trim().toUpperCase()).filter(Boolean))].sort();
}

function sameRules(a: readonly string[], b: readonly string[]): boolean {
  const x = normaliseRules(a);
  const y = normaliseRules(b);
  return x.length === y.length && x.every((r, i) => r === y[i]);
}

function rulesText(rules: readonly string[]): string {
  return rules.length > 0 ? rules.join(', ') : 'every overridable rule';
}

/** Overrides of the release for the stage that may still be used: not used, not expired. */
export function openOverrides(list: readonly OverrideRow[], now: Date): OverrideRow[] {
  return list.filter((o) => !o.usedAt && (!o.expiresAt || o.expiresAt > now));
}

/**
 * Grants an exception for a stage (members of the policy's `overrides.teams` with write
 * permission), or, when the policy wants a second member, confirms another member's: never
 * one's own. An override the same as one still open (same stage and rules) is one: the
 * second request is answered as unchanged, also when two arrive at once on two replicas
 * (the override's id is made from what it is, so the second insert collides).
 */
export async function override(
  deps: AppDeps,
  scope: ActionScope,
  input: OverrideInput,
): Promise<ActionAnswer<OverrideResult>> {
  const login = scope.actor.login;
  const p = await requireRoleAndPolicy(scope, 'Granting an override');
  if ('outcome' in p) return p;
  const policy = p.policy;
  const s = requireStage(policy, input.stage, 'stage');
  if ('outcome' in s) return s;
  const stage = s.stage;
  const teams = policy.overrides.teams;
  if (teams.length === 0 || !(await scope.people.inAnyTeam(teams, login))) {
    // An attempt is part of the release's record, whoever made it.
    await deps.store.recordEvent({
      repo: repoKey(scope.repo),
      sha: input.sha,
      environment: stage.name,
      type: 'NOTE',
      status: 'override refused',
      actor: login,
      at: deps.clock(),
      notes: `Override by a non-member refused: ${input.reason}`,
      deliveryId: scope.actor.deliveryId ?? null,
    });
    return refused(
      'forbidden',
      'forbidden',
      `Only members of ${teams.length > 0 ? teams.join(', ') : 'an override team (the policy names none)'} may grant an override.`,
    );
  }
  const rules = normaliseRules(input.rules);
  const repo = repoKey(scope.repo);
  const now = deps.clock();
  const all = await deps.store.listOverrides({ repo, sha: input.sha, environment: stage.name });
  const open = openOverrides(all, now);
  const me = login.toLowerCase();
  const second = policy.overrides.secondApprover;
  const via = scope.actor.via === 'console' ? ' (release console)' : '';
  const record = (status: string, notes: string) =>
    deps.store.recordEvent({
      repo,
      sha: input.sha,
      environment: stage.name,
      type: 'OVERRIDE',
      status,
      actor: login,
      at: now,
      notes,
      deliveryId: scope.actor.deliveryId ?? null,
    });
  const result = (o: OverrideRow, status: 'granted' | 'confirmed') => ({
    status,
    id: o.id,
    needsConfirmation: status === 'granted' && second,
    expiresAt: o.expiresAt?.toISOString() ?? null,
  });
  const unchanged = (message: string, o: OverrideRow): ActionAnswer<OverrideResult> => ({
    outcome: 'unchanged',
    message,
    result: {
      override: result(o, o.confirmedBy ? 'confirmed' : 'granted'),
      stage: stage.name,
      by: login,
      gates: [],
      promotions: 0,
    },
  });
  let answer: { message: string; override: OverrideResult['override'] };
  const toConfirm = second ? open.find((o) => !o.confirmedBy && o.grantedBy.toLowerCase() !== me) : undefined;
  const same = open.find((o) => sameRules(o.rules, rules) && (!second || o.confirmedBy));
  if (toConfirm) {
    if (!(await deps.store.confirmOverride(toConfirm.id, login, now))) {
      const now2 = await deps.store.getOverride(toConfirm.id);
      return unchanged(
        `The override of ${toConfirm.grantedBy} for ${stage.name} was confirmed already${now2?.confirmedBy ? ` by ${now2.confirmedBy}` : ''}.`,
        toConfirm,
      );
    }
    await record('confirmed', `Override ${toConfirm.id} by ${toConfirm.grantedBy} confirmed${via}`);
    answer = {
      message: `Confirmed the override of ${toConfirm.grantedBy} for ${stage.name}.`,
      override: { ...result(toConfirm, 'confirmed'), needsConfirmation: false },
    };
  } else if (second && open.some((o) => !o.confirmedBy && o.grantedBy.toLowerCase() === me)) {
    return refused(
      'conflict',
      'awaiting_confirmation',
      `Your override for ${stage.name} waits for a second member of ${teams.join(', ')} to confirm it; you cannot confirm your own.`,
    );
  } else if (same) {
    return unchanged(
      `An override of ${rulesText(same.rules)} for ${stage.name} on ${short(input.sha)} is in force already: granted by ${same.grantedBy}${same.confirmedBy ? `, confirmed by ${same.confirmedBy}` : ''}, until ${same.expiresAt?.toISOString() ?? 'used'} (id ${same.id}).`,
      same,
    );
  } else {
    const id = overrideId(repo, input.sha, stage.name, rules, all);
    let o: OverrideRow;
    try {
      o = await deps.store.createOverride({
        id,
        repo,
        sha: input.sha,
        environment: stage.name,
        rules,
        grantedBy: login,
        reason: input.reason,
        risk: input.risk,
        grantedAt: now,
        expiresAt: new Date(now.getTime() + policy.overrides.expiresMs),
      });
    } catch (error) {
      // The same override asked for at the same moment elsewhere: that one stands.
      if (!isUniqueViolation(error)) throw error;
      const other = await deps.store.getOverride(id);
      if (!other) throw error;
      return unchanged(
        `An override of ${rulesText(other.rules)} for ${stage.name} on ${short(input.sha)} was just granted by ${other.grantedBy} (id ${other.id}).`,
        other,
      );
    }
    await record(
      'granted',
      `reason: ${input.reason}; risk: ${input.risk}${rules.length ? `; rules: ${rules.join(', ')}` : ''}${via}`,
    );
    answer = {
      message: `Override granted for ${stage.name} on ${short(input.sha)} (id ${o.id}), until ${o.expiresAt?.toISOString() ?? 'used'}; it lets one deployment through.${second ? ' A second member must confirm it with the same command.' : ''}`,
      override: result(o, 'granted'),
    };
  }
  // What waits on the stage (a gate, a held promotion) may go now.
  const changed = await factsChanged(deps, scope.octokit, {
    owner: scope.repo.owner,
    repo: scope.repo.repo,
    shas: [input.sha],
    trigger: 'override',
    actor: login,
    deliveryId: scope.actor.deliveryId ?? null,
    defaultBranch: scope.repo.defaultBranch,
  });
  return {
    outcome: 'done',
    message: answer.message,
    result: {
      override: answer.override,
      stage: stage.name,
      by: login,
      gates: gateOutcomes(changed.gates),
      promotions: changed.promotions,
    },
  };
}

/**
 * The id of a new override: made from the release, the stage and the rules, and how many
 * such overrides there were, so that two identical requests at once insert the same id and
 * only one of them succeeds.
 */
function overrideId(repo: string, sha: string, stage: string, rules: string[], existing: OverrideRow[]): string {
  const key = createHash('sha256')
    .update(JSON.stringify([repo, sha, stage.toLowerCase(), rules]))
    .digest('hex');
  const prefix = `o-${key.slice(0, 24)}-`;
  return `${prefix}${existing.filter((o) => o.id.startsWith(prefix)).length}`;
}
