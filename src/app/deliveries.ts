import type { Context } from 'probot';
import { describeError } from '../github/types.js';
import { DELIVERY_ERROR_PREFIX } from '../store/types.js';
import type { GateDeps } from './gate.js';

/** What any event's payload may say about itself (some events name no repository). */
interface PayloadLike {
  action?: string;
  repository?: { full_name?: string } | null;
}

/**
 * Handles a webhook delivery once: a redelivery of the same `X-GitHub-Delivery` id is a
 * no-op, counted and recorded as such, unless the earlier handling failed. The handler's
 * result is stored as the outcome; a failure is stored as `error: ...` and rethrown, so
 * Probot answers GitHub with an error status (GitHub's "Recent Deliveries" shows it failed)
 * and a redelivery of that id is handled again.
 */
export async function handleOnce(deps: GateDeps, context: Context, handler: () => Promise<string>): Promise<void> {
  const payload: PayloadLike = context.payload;
  const repo = payload.repository?.full_name ?? null;
  const log = context.log.child({ deliveryId: context.id, event: context.name, ...(repo ? { repo } : {}) });
  const claim = await deps.store.claimDelivery({
    id: context.id,
    event: context.name,
    action: payload.action ?? null,
    repo,
    at: deps.clock(),
  });
  if (claim === 'duplicate') {
    deps.metrics.deliveries.inc({ event: context.name, result: 'duplicate' });
    log.info('Redelivery of a delivery already handled: nothing to do');
    return;
  }
  if (claim === 'retry') log.info('Redelivery of a delivery that failed: handling it again');
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
