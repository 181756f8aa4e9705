-- Held auto-promotions get their own table. Until this migration they were kept in
-- "PendingGate" with runId = minus the source deployment's id and callbackUrl =
-- 'release-gate:promotion/<fromStage>/<toStage>' (the stage names URL-encoded, policy stage
-- names such as DEV, PRE_PROD and PROD encode to themselves). Those rows are moved into
-- "Promotion" below and deleted from "PendingGate", which from now on holds only
-- protection rule requests (positive workflow run ids). A moved promotion's created
-- deployment id was only written into its note, so its deploymentId stays empty.

-- CreateTable
CREATE TABLE "Promotion" (
    "id" SERIAL NOT NULL,
    "repo" TEXT NOT NULL,
    "installationId" BIGINT NOT NULL,
    "sha" TEXT NOT NULL,
    "sourceDeploymentId" BIGINT NOT NULL,
    "fromStage" TEXT NOT NULL,
    "toStage" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "nextCheckAt" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "deploymentId" BIGINT,
    "note" TEXT,
    "claimedBy" TEXT,
    "claimedUntil" TIMESTAMP(3),

    CONSTRAINT "Promotion_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Promotion_status_nextCheckAt_idx" ON "Promotion"("status", "nextCheckAt");

-- CreateIndex
CREATE INDEX "Promotion_repo_sha_idx" ON "Promotion"("repo", "sha");

-- CreateIndex
CREATE UNIQUE INDEX "Promotion_repo_sourceDeploymentId_environment_key" ON "Promotion"("repo", "sourceDeploymentId", "environment");

-- Move the promotions kept in "PendingGate" (negative runId) into "Promotion".
INSERT INTO "Promotion" ("repo", "installationId", "sha", "sourceDeploymentId", "fromStage", "toStage", "environment", "createdAt", "status", "nextCheckAt", "startedAt", "finishedAt", "note", "claimedBy", "claimedUntil")
SELECT "repo", "installationId", "sha", -"runId",
       split_part("callbackUrl", '/', 2),
       split_part("callbackUrl", '/', 3),
       "environment", "createdAt", "status", "nextCheckAt", "decidedAt", "answeredAt", "answerError", "claimedBy", "claimedUntil"
FROM "PendingGate"
WHERE "runId" < 0 AND "callbackUrl" LIKE 'release-gate:promotion/%/%';

DELETE FROM "PendingGate" WHERE "runId" < 0 AND "callbackUrl" LIKE 'release-gate:promotion/%/%';
