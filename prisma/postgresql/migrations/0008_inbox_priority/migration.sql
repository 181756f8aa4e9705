-- AlterTable
ALTER TABLE "InboxDelivery" ADD COLUMN     "priority" INTEGER NOT NULL DEFAULT 2;

-- CreateIndex
CREATE INDEX "InboxDelivery_status_priority_seq_idx" ON "InboxDelivery"("status", "priority", "seq");
