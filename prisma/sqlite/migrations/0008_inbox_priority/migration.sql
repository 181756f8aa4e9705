-- AlterTable: the column is added in place (no copy of the stored payloads)
ALTER TABLE "InboxDelivery" ADD COLUMN "priority" INTEGER NOT NULL DEFAULT 2;

-- CreateIndex
CREATE INDEX "InboxDelivery_status_priority_seq_idx" ON "InboxDelivery"("status", "priority", "seq");
