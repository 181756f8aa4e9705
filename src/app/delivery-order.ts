import type { DeliveryPriority } from '../store/inbox-store.js';

/** What a delivery's payload says about where it belongs (any event; some name no repository). */
export interface PayloadForOrder {
  action?: string;
  environment?: string;
  repository?: { full_name?: string } | null;
  installation?: { id?: number } | null;
  deployment?: { sha?: string; environment?: string } | null;
  deployment_status?: { state?: string } | null;
  comment?: { body?: string } | null;
}

/**
 * The key that orders deliveries: those of one gate (the repository, commit and
 * environment of a deployment or its protection rule request) are handled one after the
 * other; other events of a repository are handled in order among themselves.
 */
export function orderKeyOf(event: string, payload: PayloadForOrder): string {
  const repo = payload.repository?.full_name ?? `installation:${payload.installation?.id ?? 'none'}`;
  if (event === 'deployment_protection_rule' || event === 'deployment' || event === 'deployment_status') {
    const environment = payload.environment ?? payload.deployment?.environment ?? '';
    return `${repo}|${payload.deployment?.sha ?? ''}|${environment}`;
  }
  return `${repo}|events`;
}

/** Events a person or GitHub waits on an answer to: handled before anything else. */
const ANSWERED: ReadonlySet<string> = new Set(['deployment_protection_rule', 'deployment']);
/** Events that can change what a waiting gate decides. */
const WAKING: ReadonlySet<string> = new Set(['pull_request_review', 'deployment_review', 'check_run', 'check_suite']);

/**
 * How soon a delivery is handled. GitHub (and the person watching the deploy job) waits on a
 * protection rule's answer, a deploy tool on the status of a deployment it created, a person
 * on the bot's reply to a command; nobody waits on a status event. So: those first (0), then
 * what can wake a waiting gate (1: reviews, finished checks, a successful deployment), then
 * what only adds to the record (2). Order within one gate is kept by {@link orderKeyOf}.
 */
export function deliveryPriority(event: string, payload: PayloadForOrder): DeliveryPriority {
  if (ANSWERED.has(event)) return 0;
  if (event === 'issue_comment') return /^\s*\/release-gate\b/.test(payload.comment?.body ?? '') ? 0 : 2;
  if (WAKING.has(event)) return 1;
  if (event === 'deployment_status') return payload.deployment_status?.state === 'success' ? 1 : 2;
  return 2;
}
