-- CreateTable
CREATE TABLE "Delivery" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "event" TEXT NOT NULL,
    "action" TEXT,
    "repo" TEXT,
    "receivedAt" DATETIME NOT NULL,
    "redeliveries" INTEGER NOT NULL DEFAULT 0,
    "lastRedeliveryAt" DATETIME,
    "outcome" TEXT,
    "finishedAt" DATETIME
);

-- CreateTable
CREATE TABLE "Release" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "tree" TEXT,
    "ref" TEXT,
    "version" TEXT,
    "tag" TEXT,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Deployment" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "ref" TEXT,
    "environment" TEXT NOT NULL,
    "stage" TEXT,
    "creator" TEXT,
    "createdAt" DATETIME NOT NULL,
    "payload" TEXT
);

-- CreateTable
CREATE TABLE "DeploymentStatus" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "deploymentId" BIGINT NOT NULL,
    "state" TEXT NOT NULL,
    "description" TEXT,
    "at" DATETIME NOT NULL,
    "deliveryId" TEXT
);

-- CreateTable
CREATE TABLE "Evaluation" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "stage" TEXT,
    "decision" TEXT NOT NULL,
    "rules" TEXT NOT NULL,
    "inputs" TEXT NOT NULL,
    "score" REAL,
    "policyPath" TEXT,
    "policySha" TEXT,
    "actor" TEXT,
    "deliveryId" TEXT,
    "checkRunId" BIGINT,
    "at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "CheckRun" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "runId" BIGINT NOT NULL,
    "checkRunId" BIGINT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Approval" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "environment" TEXT NOT NULL DEFAULT '',
    "login" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "submittedAt" DATETIME NOT NULL,
    "commitId" TEXT,
    "recordedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "Override" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "rules" TEXT NOT NULL,
    "grantedBy" TEXT NOT NULL,
    "confirmedBy" TEXT,
    "confirmedAt" DATETIME,
    "reason" TEXT NOT NULL,
    "risk" TEXT NOT NULL,
    "grantedAt" DATETIME NOT NULL,
    "expiresAt" DATETIME,
    "usedAt" DATETIME
);

-- CreateTable
CREATE TABLE "PendingGate" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repo" TEXT NOT NULL,
    "installationId" BIGINT NOT NULL,
    "runId" BIGINT NOT NULL,
    "environment" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "deploymentId" BIGINT,
    "callbackUrl" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "nextCheckAt" DATETIME,
    "decision" TEXT,
    "decisionComment" TEXT,
    "decidedAt" DATETIME,
    "answeredAt" DATETIME,
    "answerError" TEXT,
    "reportsPosted" INTEGER NOT NULL DEFAULT 0,
    "claimedBy" TEXT,
    "claimedUntil" DATETIME
);

-- CreateTable
CREATE TABLE "ReleaseEvent" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "version" TEXT,
    "environment" TEXT,
    "type" TEXT NOT NULL,
    "status" TEXT,
    "actor" TEXT,
    "at" DATETIME NOT NULL,
    "notes" TEXT,
    "deliveryId" TEXT
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
