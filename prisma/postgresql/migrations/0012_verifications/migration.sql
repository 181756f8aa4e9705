-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "verificationAt" TIMESTAMP(3),
ADD COLUMN     "verificationState" TEXT;

-- CreateTable
CREATE TABLE "Verification" (
    "id" SERIAL NOT NULL,
    "repo" TEXT NOT NULL,
    "installationId" BIGINT NOT NULL,
    "deploymentId" BIGINT NOT NULL,
    "sha" TEXT NOT NULL,
    "ref" TEXT,
    "environment" TEXT NOT NULL,
    "stage" TEXT NOT NULL,
    "plan" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "nextCheckAt" TIMESTAMP(3),
    "rounds" TEXT NOT NULL DEFAULT '[]',
    "outcome" TEXT,
    "reason" TEXT,
    "checkRunId" BIGINT,
    "finishedAt" TIMESTAMP(3),
    "rollbackDeploymentId" BIGINT,
    "rollbackNote" TEXT,
    "incidentIssue" INTEGER,
    "incidentClosedAt" TIMESTAMP(3),
    "claimedBy" TEXT,
    "claimedUntil" TIMESTAMP(3),

    CONSTRAINT "Verification_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Verification_deploymentId_key" ON "Verification"("deploymentId");

-- CreateIndex
CREATE INDEX "Verification_status_nextCheckAt_idx" ON "Verification"("status", "nextCheckAt");

-- CreateIndex
CREATE INDEX "Verification_repo_environment_createdAt_idx" ON "Verification"("repo", "environment", "createdAt");

-- CreateIndex
CREATE INDEX "Verification_repo_sha_idx" ON "Verification"("repo", "sha");
