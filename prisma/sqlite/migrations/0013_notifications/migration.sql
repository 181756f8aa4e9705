-- AlterTable
ALTER TABLE "ReleasePull" ADD COLUMN "firstCommitAt" DATETIME;

-- CreateTable
CREATE TABLE "Notification" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "eventId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "repo" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL,
    "claimedBy" TEXT,
    "claimedUntil" DATETIME,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL,
    "deliveredAt" DATETIME
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
