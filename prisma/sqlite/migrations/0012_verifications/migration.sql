-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN "verificationAt" DATETIME;
ALTER TABLE "Deployment" ADD COLUMN "verificationState" TEXT;

-- CreateTable
CREATE TABLE "Verification" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repo" TEXT NOT NULL,
    "installationId" BIGINT NOT NULL,
    "deploymentId" BIGINT NOT NULL,
    "sha" TEXT NOT NULL,
    "ref" TEXT,
    "environment" TEXT NOT NULL,
    "stage" TEXT NOT NULL,
    "plan" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "nextCheckAt" DATETIME,
    "rounds" TEXT NOT NULL DEFAULT '[]',
    "outcome" TEXT,
    "reason" TEXT,
    "checkRunId" BIGINT,
    "finishedAt" DATETIME,
    "rollbackDeploymentId" BIGINT,
    "rollbackNote" TEXT,
    "incidentIssue" INTEGER,
    "incidentClosedAt" DATETIME,
    "claimedBy" TEXT,
    "claimedUntil" DATETIME
);

-- CreateIndex
CREATE UNIQUE INDEX "Verification_deploymentId_key" ON "Verification"("deploymentId");

-- CreateIndex
CREATE INDEX "Verification_status_nextCheckAt_idx" ON "Verification"("status", "nextCheckAt");

-- CreateIndex
CREATE INDEX "Verification_repo_environment_createdAt_idx" ON "Verification"("repo", "environment", "createdAt");

-- CreateIndex
CREATE INDEX "Verification_repo_sha_idx" ON "Verification"("repo", "sha");
