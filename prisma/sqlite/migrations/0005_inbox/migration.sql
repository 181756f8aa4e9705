-- CreateTable
CREATE TABLE "InboxDelivery" (
    "seq" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "deliveryId" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "action" TEXT,
    "orderKey" TEXT NOT NULL,
    "payload" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'ready',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "receivedAtMs" BIGINT NOT NULL,
    "availableAtMs" BIGINT NOT NULL,
    "claimedBy" TEXT,
    "claimedUntilMs" BIGINT,
    "lastError" TEXT,
    "finishedAtMs" BIGINT
);

-- CreateTable
CREATE TABLE "WriteSlot" (
    "installationId" BIGINT NOT NULL PRIMARY KEY,
    "nextAtMs" BIGINT NOT NULL
);

-- CreateTable
CREATE TABLE "PoisonedPolicy" (
    "blobSha" TEXT NOT NULL PRIMARY KEY,
    "repo" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "EvaluationAttempt" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "blobSha" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "started" INTEGER NOT NULL DEFAULT 0,
    "at" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "InboxDelivery_deliveryId_key" ON "InboxDelivery"("deliveryId");

-- CreateIndex
CREATE INDEX "InboxDelivery_status_availableAtMs_idx" ON "InboxDelivery"("status", "availableAtMs");

-- CreateIndex
CREATE INDEX "InboxDelivery_orderKey_seq_idx" ON "InboxDelivery"("orderKey", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "EvaluationAttempt_blobSha_subject_key" ON "EvaluationAttempt"("blobSha", "subject");
