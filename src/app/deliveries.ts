import type { Context } from 'probot';
import { describeError } from '../github/types.js';
import { DELIVERY_ERROR_PREFIX } from '../store/types.js';
import type { AppDeps } from './gate.js';

/** What any event's payload may say about itself (some events name no repository). */
interface PayloadLike {
  action?: string;
  repository?: { full_name?: string } | null;
}

/**
 * Runs a delivery's handler and records its outcome. The inbox hands each delivery id to
 * one worker at a time and never again once it was handled to the end (src/app/inbox.ts is
 * the one place deliveries are de-duplicated); here the handler's result is stored as the
 * outcome, and a failure is stored as `error: ...` and rethrown, so the inbox retries it and
 * a redelivery of that id is handled again.
 */
export async function handleOnce(deps: AppDeps, context: Context, handler: () => Promise<string>): Promise<void> {
  const payload: PayloadLike = context.payload;
  const repo = payload.repository?.full_name ?? null;
  const log = context.log.child({ deliveryId: context.id, event: context.name, ...(repo ? { repo } : {}) });
  try {
    const outcome = await handler();
    await deps.store.finishDelivery(context.id, outcome, deps.clock());
    deps.metrics.deliveries.inc({ event: context.name, result: 'handled' });
  } catch (error) {
    deps.metrics.deliveries.inc({ event: context.name, result: 'error' });
    log.error({ err: describeError(error) }, 'Handling the delivery failed');
    await deps.store.finishDelivery(
      context.id,
      `${DELIVERY_ERROR_PREFIX} ${describeError(error)}`.slice(0, 1000),
      deps.clock(),
    );
    throw error;
  }
}
