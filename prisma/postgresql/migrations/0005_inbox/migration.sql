-- CreateTable
CREATE TABLE "InboxDelivery" (
    "seq" SERIAL NOT NULL,
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
    "finishedAtMs" BIGINT,

    CONSTRAINT "InboxDelivery_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "WriteSlot" (
    "installationId" BIGINT NOT NULL,
    "nextAtMs" BIGINT NOT NULL,

    CONSTRAINT "WriteSlot_pkey" PRIMARY KEY ("installationId")
);

-- CreateTable
CREATE TABLE "PoisonedPolicy" (
    "blobSha" TEXT NOT NULL,
    "repo" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PoisonedPolicy_pkey" PRIMARY KEY ("blobSha")
);

-- CreateTable
CREATE TABLE "EvaluationAttempt" (
    "id" SERIAL NOT NULL,
    "blobSha" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "started" INTEGER NOT NULL DEFAULT 0,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "EvaluationAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "InboxDelivery_deliveryId_key" ON "InboxDelivery"("deliveryId");

-- CreateIndex
CREATE INDEX "InboxDelivery_status_availableAtMs_idx" ON "InboxDelivery"("status", "availableAtMs");

-- CreateIndex
CREATE INDEX "InboxDelivery_orderKey_seq_idx" ON "InboxDelivery"("orderKey", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "EvaluationAttempt_blobSha_subject_key" ON "EvaluationAttempt"("blobSha", "subject");
