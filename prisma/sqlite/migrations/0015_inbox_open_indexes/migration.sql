-- The inbox's claim and its per-gate order read only the deliveries still open (ready or
-- working), in the order they are claimed: a burst of 1,500 waiting deliveries no longer makes
-- every claim read all of them (src/store/inbox-store.ts, claimInboxDelivery). Partial indexes
-- have no form in schema.prisma: they are kept here only.
-- CreateIndex
CREATE INDEX "InboxDelivery_open_priority_seq_idx" ON "InboxDelivery"("priority", "seq") WHERE "status" IN ('ready', 'working');
-- CreateIndex
CREATE INDEX "InboxDelivery_open_orderKey_seq_idx" ON "InboxDelivery"("orderKey", "seq") WHERE "status" IN ('ready', 'working');
