-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Delivery" (
    "id" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "action" TEXT,
    "repo" TEXT,
    "receivedAt" TIMESTAMP(3) NOT NULL,
    "redeliveries" INTEGER NOT NULL DEFAULT 0,
    "lastRedeliveryAt" TIMESTAMP(3),
    "outcome" TEXT,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "Delivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Release" (
    "id" SERIAL NOT NULL,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "tree" TEXT,
    "ref" TEXT,
    "version" TEXT,
    "tag" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Release_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Deployment" (
    "id" BIGINT NOT NULL,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "ref" TEXT,
    "environment" TEXT NOT NULL,
    "stage" TEXT,
    "creator" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "payload" TEXT,

    CONSTRAINT "Deployment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeploymentStatus" (
    "id" BIGINT NOT NULL,
    "deploymentId" BIGINT NOT NULL,
    "state" TEXT NOT NULL,
    "description" TEXT,
    "at" TIMESTAMP(3) NOT NULL,
    "deliveryId" TEXT,

    CONSTRAINT "DeploymentStatus_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Evaluation" (
    "id" SERIAL NOT NULL,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "stage" TEXT,
    "decision" TEXT NOT NULL,
    "rules" TEXT NOT NULL,
    "inputs" TEXT NOT NULL,
    "score" DOUBLE PRECISION,
    "policyPath" TEXT,
    "policySha" TEXT,
    "actor" TEXT,
    "deliveryId" TEXT,
    "checkRunId" BIGINT,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Evaluation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CheckRun" (
    "id" SERIAL NOT NULL,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "runId" BIGINT NOT NULL,
    "checkRunId" BIGINT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CheckRun_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Approval" (
    "id" SERIAL NOT NULL,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "environment" TEXT NOT NULL DEFAULT '',
    "login" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "submittedAt" TIMESTAMP(3) NOT NULL,
    "commitId" TEXT,
    "recordedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Approval_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Override" (
    "id" TEXT NOT NULL,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "rules" TEXT NOT NULL,
    "grantedBy" TEXT NOT NULL,
    "confirmedBy" TEXT,
    "confirmedAt" TIMESTAMP(3),
    "reason" TEXT NOT NULL,
    "risk" TEXT NOT NULL,
    "grantedAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3),
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "Override_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PendingGate" (
    "id" SERIAL NOT NULL,
    "repo" TEXT NOT NULL,
    "installationId" BIGINT NOT NULL,
    "runId" BIGINT NOT NULL,
    "environment" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "deploymentId" BIGINT,
    "callbackUrl" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "nextCheckAt" TIMESTAMP(3),
    "decision" TEXT,
    "decisionComment" TEXT,
    "decidedAt" TIMESTAMP(3),
    "answeredAt" TIMESTAMP(3),
    "answerError" TEXT,
    "reportsPosted" INTEGER NOT NULL DEFAULT 0,
    "claimedBy" TEXT,
    "claimedUntil" TIMESTAMP(3),

    CONSTRAINT "PendingGate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ReleaseEvent" (
    "id" SERIAL NOT NULL,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "version" TEXT,
    "environment" TEXT,
    "type" TEXT NOT NULL,
    "status" TEXT,
    "actor" TEXT,
    "at" TIMESTAMP(3) NOT NULL,
    "notes" TEXT,
    "deliveryId" TEXT,

    CONSTRAINT "ReleaseEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Release_repo_sha_key" ON "Release"("repo", "sha");

-- CreateIndex
CREATE INDEX "Deployment_repo_sha_idx" ON "Deployment"("repo", "sha");

-- CreateIndex
CREATE INDEX "Deployment_repo_environment_idx" ON "Deployment"("repo", "environment");

-- CreateIndex
CREATE INDEX "DeploymentStatus_deploymentId_at_idx" ON "DeploymentStatus"("deploymentId", "at");

-- CreateIndex
CREATE INDEX "Evaluation_repo_sha_at_idx" ON "Evaluation"("repo", "sha", "at");

-- CreateIndex
CREATE INDEX "Evaluation_repo_at_idx" ON "Evaluation"("repo", "at");

-- CreateIndex
CREATE UNIQUE INDEX "CheckRun_repo_sha_environment_runId_key" ON "CheckRun"("repo", "sha", "environment", "runId");

-- CreateIndex
CREATE UNIQUE INDEX "Approval_repo_sha_environment_login_source_submittedAt_key" ON "Approval"("repo", "sha", "environment", "login", "source", "submittedAt");

-- CreateIndex
CREATE INDEX "Override_repo_sha_environment_idx" ON "Override"("repo", "sha", "environment");

-- CreateIndex
CREATE INDEX "PendingGate_status_nextCheckAt_idx" ON "PendingGate"("status", "nextCheckAt");

-- CreateIndex
CREATE INDEX "PendingGate_repo_sha_idx" ON "PendingGate"("repo", "sha");

-- CreateIndex
CREATE UNIQUE INDEX "PendingGate_repo_runId_environment_key" ON "PendingGate"("repo", "runId", "environment");

-- CreateIndex
CREATE INDEX "ReleaseEvent_repo_sha_at_idx" ON "ReleaseEvent"("repo", "sha", "at");

-- CreateIndex
CREATE INDEX "ReleaseEvent_repo_at_idx" ON "ReleaseEvent"("repo", "at");
