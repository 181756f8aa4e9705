import type { ReleaseEvent, ReleaseEventSink } from '../core/release-events.js';
import { roleOf } from '../core/rules/roles.js';
import type { RuleResult } from '../core/types.js';
import type { DecisionWriteInput } from '../store/decision-write.js';
import type { RecordEvaluationInput, RecordEventInput, Store } from '../store/types.js';

/**
 * The App's record, telling a sink what happened as it is recorded: the gate's decisions
 * (the `WAITING`, `BLOCKED` and `REJECTED` timeline events it records when its word changes),
 * promotions (the `PROMOTE` events the App records when it creates a deployment) and proven
 * deployments (`proveDeployment`, the one place a stage is proven). Publishing happens after
 * the record's write succeeded and never fails or delays it: the sink only queues.
 */
export function publishingStore(store: Store, sink: ReleaseEventSink): Store {
  /**
   * The latest decision per release, read by the timeline event that follows it (which names
   * the stage where the decision names the GitHub environment).
   */
  const lastDecision = new Map<string, Decided>();
  const key = (repo: string, sha: string) => `${repo}\u0000${sha}`;

  /** Keeps the decision for the timeline event that follows it. */
  const noteDecision = (input: Pick<RecordEvaluationInput, 'repo' | 'sha' | 'environment' | 'stage' | 'rules'>) => {
    if (!Array.isArray(input.rules)) return;
    const k = key(input.repo, input.sha);
    lastDecision.delete(k);
    lastDecision.set(k, {
      environment: input.environment,
      stage: input.stage ?? null,
      rules: input.rules as RuleResult[],
    });
    // Kept only between a decision and its timeline event: a bound on what waits here.
    if (lastDecision.size > 1000) lastDecision.delete(lastDecision.keys().next().value!);
  };

  const publishEvent = (id: number, input: TimelineInput) => {
    const event = eventOfTimeline(id, input, (named) => {
      const k = key(input.repo, input.sha);
      const found = lastDecision.get(k);
      if (!found || (found.stage !== named && found.environment !== named)) return undefined;
      lastDecision.delete(k);
      return found;
    });
    if (event) sink.publish(event);
  };

  const recordEvaluation = async (input: RecordEvaluationInput) => {
    const row = await store.recordEvaluation(input);
    noteDecision(input);
    return row;
  };

  const recordEvent = async (input: RecordEventInput) => {
    const row = await store.recordEvent(input);
    publishEvent(row.id, input);
    return row;
  };

  /** The decision's one write (src/store/decision-write.ts): its evaluation, then its timeline events, as above. */
  const writeDecision = async (input: DecisionWriteInput) => {
    const written = await store.writeDecision(input);
    noteDecision(input.evaluation);
    input.events.forEach((event, i) => {
      const id = written.eventIds[i];
      if (id !== undefined) publishEvent(id, event);
    });
    return written;
  };

  const proveDeployment = async (id: number, at: Date) => {
    const proven = await store.proveDeployment(id, at);
    if (proven) {
      const d = await store.getDeployment(id);
      // A deployment let through as an ungated environment proves no stage: nothing to tell.
      if (d?.approvedStage) {
        const [owner = '', repo = ''] = d.repo.split('/');
        sink.publish({
          kind: 'deployed',
          id: `deployed:${d.id}`,
          at,
          repository: { owner, repo },
          sha: d.sha,
          stage: d.approvedStage,
          environment: d.environment,
          deploymentId: d.id,
          summary: `${d.repo} ${d.sha.slice(0, 7)} is deployed to ${d.approvedStage} (deployment ${d.id}).`,
        });
      }
    }
    return proven;
  };

  const overrides: Partial<Store> = { recordEvaluation, recordEvent, writeDecision, proveDeployment };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in overrides) return overrides[prop as keyof Store];
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

interface Decided {
  /** The GitHub environment decided. */
  environment: string;
  /** Its stage (null: ungated). */
  stage: string | null;
  rules: RuleResult[];
}

/** Who could fill the roles still missing an approval: their teams, or anyone with write access. */
export function whoCanApprove(rules: readonly RuleResult[]): string[] {
  const who = new Set<string>();
  for (const r of rules) {
    const role = roleOf(r);
    if (!role || role.missing === 0) continue;
    if (role.teams.length === 0) who.add('anyone with write access (not an author)');
    for (const team of role.teams) who.add(team.startsWith('@') ? team : `@${team}`);
  }
  return [...who];
}

/** What a timeline event tells of itself (as `recordEvent` or the decision's one write takes it). */
type TimelineInput = Pick<RecordEventInput, 'repo' | 'sha' | 'version' | 'environment' | 'status' | 'at' | 'notes'> & {
  type: string;
};

function eventOfTimeline(
  rowId: number,
  input: TimelineInput,
  decisionOf: (named: string) => Decided | undefined,
): ReleaseEvent | null {
  const named = input.environment ?? '';
  const [owner = '', repo = ''] = input.repo.split('/');
  const base = {
    id: `${input.type.toLowerCase()}:${input.repo}:${rowId}`,
    at: input.at,
    repository: { owner, repo },
    sha: input.sha,
    ...(input.version ? { version: input.version } : {}),
  };
  if (input.type === 'WAITING' || input.type === 'BLOCKED' || input.type === 'REJECTED') {
    const decision = decisionOf(named);
    // A decision on an environment no stage gates is not a release's stage: nothing to tell.
    if (!decision?.stage) return null;
    const failing = decision.rules.filter((r) => !r.ok);
    const waiting = input.type === 'WAITING';
    return {
      ...base,
      kind: waiting ? 'waiting' : 'blocked',
      stage: decision.stage,
      environment: decision.environment,
      summary:
        firstLine(input.notes) ?? (waiting ? `Waiting to enter ${decision.stage}.` : `Blocked from ${decision.stage}.`),
      codes: [...new Set(failing.map((r) => r.code))],
      ...(waiting ? { whoCanApprove: whoCanApprove(decision.rules) } : {}),
    };
  }
  // The App's own promotions (src/app/promotion-deployment.ts); a deployment seen from GitHub is `created`.
  if (input.type === 'PROMOTE' && input.status !== 'created') {
    const deployment = /Deployment (\d+)/.exec(input.notes ?? '');
    // An auto-promotion's note names the stage (`Auto-promoted from DEV to PROD`); otherwise the environment stands for it.
    const stage = / to (\S+?)(?: once|$)/.exec(input.notes ?? '')?.[1] ?? named;
    return {
      ...base,
      kind: 'promoted',
      stage,
      environment: named,
      summary: firstLine(input.notes) ?? `Promoted to ${named}.`,
      ...(deployment ? { deploymentId: Number(deployment[1]) } : {}),
    };
  }
  return null;
}

function firstLine(text: string | null | undefined): string | undefined {
  const line = text?.split('\n').find((l) => l.trim() !== '');
  return line?.trim();
}
