import { failingRules } from '../core/rule-results.js';
import type { Decision } from '../core/types.js';
import type { AuditStore } from '../store/audit.js';
import type { PromotionRow } from '../store/promotions.js';
import { WAIT_POLL_MS } from './gate.js';

/** A held promotion still waiting this long after it was held is dropped. */
export const PROMOTION_HOLD_MS = 7 * 86_400_000;

/** True when every failing rule of a `wait` clears with the clock (soak, freeze). */
export function clockOnly(decision: Decision): boolean {
  const failing = failingRules(decision.rules);
  return Boolean(decision.recheckAt) && failing.length > 0 && failing.every((r) => r.clearsAt);
}

/** What a promotion is called on the timeline: an auto-promotion, or the one a person asked for. */
export function promotionName(p: Pick<PromotionRow, 'fromStage' | 'toStage' | 'deployer' | 'requestedVia'>): string {
  return p.requestedVia
    ? `Promotion to ${p.toStage} asked by ${p.deployer ?? 'someone unknown'}`
    : `Auto-promotion from ${p.fromStage} to ${p.toStage}`;
}

/** The first sentence of a held promotion's NOTE: what it waits for, and until when. */
function heldHeadline(name: string, decision: Decision): string {
  if (clockOnly(decision)) return `${name} held until ${decision.recheckAt}:`;
  const codes = failingRules(decision.rules).map((r) => (r.clearsAt ? `${r.code} (until ${r.clearsAt})` : r.code));
  return `${name} held, waiting for ${codes.join(', ')}.`;
}

function heldNote(name: string, decision: Decision, expiresAt: Date): string {
  // The clock's own headline names no code, so its details do.
  const details = failingRules(decision.rules)
    .map((r) => (clockOnly(decision) ? `${r.code}: ${r.message}` : r.message))
    .join(' ');
  const expires = expiresAt.toISOString();
  const tail = clockOnly(decision)
    ? Date.parse(decision.recheckAt!) > expiresAt.getTime()
      ? ` The deployment is created when it clears, unless it still waits at ${expires}, when the promotion is dropped.`
      : ' The deployment is created when it clears.'
    : ` The deployment is created when the gate allows it; the promotion is dropped if the gate blocks, or if it still waits at ${expires}.`;
  // The details go last so that a long message is what gets cut.
  const head = heldHeadline(name, decision);
  const room = 1000 - head.length - tail.length - 1;
  return `${head} ${details.length > room ? `${details.slice(0, Math.max(0, room - 3))}...` : details}${tail}`;
}

/**
 * When a held promotion is looked at next: when its clock wait clears, else after the
 * poll interval (an event it waits for may have been missed), never after the bound.
 */
export function nextCheckOf(decision: Decision, now: Date, expiresAt: Date): Date {
  const recheck = decision.recheckAt ? Date.parse(decision.recheckAt) : Number.POSITIVE_INFINITY;
  const poll = clockOnly(decision) ? Number.POSITIVE_INFINITY : now.getTime() + WAIT_POLL_MS;
  return new Date(Math.min(recheck, poll, expiresAt.getTime()));
}

/** Records a held promotion's NOTE unless the last one of the commit and environment already says it waits for the same. */
export async function noteHeld(
  deps: { store: AuditStore; clock: () => Date },
  p: {
    repo: string;
    sha: string;
    environment: string;
    name: string;
    decision: Decision;
    expiresAt: Date;
    deliveryId: string | null;
  },
): Promise<void> {
  const headline = heldHeadline(p.name, p.decision);
  const previous = (await deps.store.timeline({ repo: p.repo, sha: p.sha }))
    .filter((e) => e.type === 'NOTE' && e.environment === p.environment && e.status?.startsWith('promotion '))
    .at(-1);
  if (previous?.status === 'promotion held' && previous.notes?.startsWith(headline)) return;
  await deps.store.recordEvent({
    repo: p.repo,
    sha: p.sha,
    environment: p.environment,
    type: 'NOTE',
    status: 'promotion held',
    actor: null,
    at: deps.clock(),
    notes: heldNote(p.name, p.decision, p.expiresAt),
    deliveryId: p.deliveryId,
  });
}
