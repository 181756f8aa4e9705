import type { ReleaseEvent, ReleaseEventSink } from '../core/release-events.js';
import type { Store } from '../store/types.js';
import { channelKey, channelsFromTexts, type ChannelRef } from './channels.js';

export interface OutboxLog {
  warn(obj: object, msg: string): void;
}

/** How many (stage, policy texts) pairs the outbox keeps the channels of. */
const CHANNELS_KEPT = 100;

/**
 * The App's `ReleaseEventSink`: an event is written to the outbox, one row per channel the
 * repository's policy in force names for the event's stage, and delivered later by the
 * notification worker (src/notify/notification-worker.ts). `publish` returns at once; the
 * write happens in the background and a failure is logged, never thrown at a decision.
 */
export class NotificationOutbox implements ReleaseEventSink {
  private readonly inFlight = new Set<Promise<number>>();
  /** The channels of the policy texts in force, by stage and texts (a policy changes rarely). */
  private readonly channelsByPolicy = new Map<string, ChannelRef[]>();

  constructor(
    private readonly store: Pick<Store, 'notifications' | 'deliveryRecord'>,
    private readonly clock: () => Date,
    private readonly log: OutboxLog,
  ) {}

  publish(event: ReleaseEvent): void {
    const work = this.enqueue(event);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Queues the event for each channel; resolves with the rows added (0 when none, or on failure). */
  async enqueue(event: ReleaseEvent, channels?: readonly ChannelRef[]): Promise<number> {
    const repo = `${event.repository.owner}/${event.repository.repo}`;
    try {
      const refs = channels ?? (await this.channelsOf(repo, event.stage));
      let added = 0;
      const text = JSON.stringify(event);
      for (const ref of refs) {
        const isNew = await this.store.notifications.enqueueNotification({
          eventId: event.id,
          channel: channelKey(ref),
          repo,
          kind: event.kind,
          event: text,
          at: this.clock(),
        });
        if (isNew) added++;
      }
      return added;
    } catch (error) {
      this.log.warn(
        { repo, event: event.id, err: error instanceof Error ? error.message : String(error) },
        'A release event could not be queued for notification',
      );
      return 0;
    }
  }

  /** The channels the repository's policy in force (as the record keeps it) names for the stage. */
  private async channelsOf(repo: string, stage: string): Promise<ChannelRef[]> {
    const policy = await this.store.deliveryRecord.policyInForce(repo);
    if (!policy) return [];
    const texts = [policy.repository, policy.org].filter((t) => t !== null);
    // Parsing the policy's YAML for every event cost more than the rest of publishing it.
    const key = JSON.stringify([stage, texts]);
    const known = this.channelsByPolicy.get(key);
    if (known) return known;
    const refs = channelsFromTexts(texts, stage);
    if (this.channelsByPolicy.size >= CHANNELS_KEPT) this.channelsByPolicy.clear();
    this.channelsByPolicy.set(key, refs);
    return refs;
  }

  /** Resolves when the events published so far are queued (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}

/** Reads a `ReleaseEvent` back from its outbox JSON (dates revived). */
export function eventFromJson(text: string): ReleaseEvent {
  const parsed = JSON.parse(text) as ReleaseEvent & { at: string };
  return { ...parsed, at: new Date(parsed.at) };
}
