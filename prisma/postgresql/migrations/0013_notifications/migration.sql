-- AlterTable
ALTER TABLE "ReleasePull" ADD COLUMN     "firstCommitAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "Notification" (
    "id" SERIAL NOT NULL,
    "eventId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "repo" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL,
    "claimedBy" TEXT,
    "claimedUntil" TIMESTAMP(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "deliveredAt" TIMESTAMP(3),

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Notification_status_nextAttemptAt_idx" ON "Notification"("status", "nextAttemptAt");

-- CreateIndex
CREATE UNIQUE INDEX "Notification_eventId_channel_key" ON "Notification"("eventId", "channel");

-- CreateIndex
CREATE INDEX "Deployment_provenAt_idx" ON "Deployment"("provenAt");

-- CreateIndex
CREATE INDEX "Deployment_repo_provenAt_idx" ON "Deployment"("repo", "provenAt");

-- CreateIndex
CREATE INDEX "Deployment_byApp_createdAt_idx" ON "Deployment"("byApp", "createdAt");
