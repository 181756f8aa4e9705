-- CreateTable
CREATE TABLE "ReleasePull" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "pullNumber" INTEGER NOT NULL,
    "headSha" TEXT NOT NULL,
    "recordedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "CommitCheck" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "externalId" BIGINT NOT NULL,
    "status" TEXT NOT NULL,
    "conclusion" TEXT,
    "appSlug" TEXT,
    "at" DATETIME NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Deployment" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "ref" TEXT,
    "environment" TEXT NOT NULL,
    "stage" TEXT,
    "creator" TEXT,
    "createdAt" DATETIME NOT NULL,
    "payload" TEXT,
    "byApp" BOOLEAN NOT NULL DEFAULT false,
    "gateBlocked" BOOLEAN NOT NULL DEFAULT false,
    "latestState" TEXT,
    "latestStateAt" DATETIME,
    "firstSuccessAt" DATETIME
);
INSERT INTO "new_Deployment" ("createdAt", "creator", "environment", "id", "payload", "ref", "repo", "sha", "stage") SELECT "createdAt", "creator", "environment", "id", "payload", "ref", "repo", "sha", "stage" FROM "Deployment";
DROP TABLE "Deployment";
ALTER TABLE "new_Deployment" RENAME TO "Deployment";
CREATE INDEX "Deployment_repo_sha_idx" ON "Deployment"("repo", "sha");
CREATE INDEX "Deployment_repo_environment_idx" ON "Deployment"("repo", "environment");
CREATE INDEX "Deployment_repo_environment_firstSuccessAt_idx" ON "Deployment"("repo", "environment", "firstSuccessAt");
CREATE TABLE "new_DeploymentStatus" (
    "id" BIGINT NOT NULL PRIMARY KEY,
    "deploymentId" BIGINT NOT NULL,
    "state" TEXT NOT NULL,
    "description" TEXT,
    "at" DATETIME NOT NULL,
    "deliveryId" TEXT,
    "creator" TEXT,
    "trusted" BOOLEAN NOT NULL DEFAULT true
);
INSERT INTO "new_DeploymentStatus" ("at", "deliveryId", "deploymentId", "description", "id", "state") SELECT "at", "deliveryId", "deploymentId", "description", "id", "state" FROM "DeploymentStatus";
DROP TABLE "DeploymentStatus";
ALTER TABLE "new_DeploymentStatus" RENAME TO "DeploymentStatus";
CREATE INDEX "DeploymentStatus_deploymentId_at_idx" ON "DeploymentStatus"("deploymentId", "at");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "ReleasePull_repo_pullNumber_idx" ON "ReleasePull"("repo", "pullNumber");

-- CreateIndex
CREATE UNIQUE INDEX "ReleasePull_repo_sha_pullNumber_key" ON "ReleasePull"("repo", "sha", "pullNumber");

-- CreateIndex
CREATE INDEX "CommitCheck_repo_sha_idx" ON "CommitCheck"("repo", "sha");

-- CreateIndex
CREATE UNIQUE INDEX "CommitCheck_repo_kind_externalId_key" ON "CommitCheck"("repo", "kind", "externalId");

-- CreateIndex
CREATE INDEX "Release_repo_tree_idx" ON "Release"("repo", "tree");

-- Fill the deployment columns from the status history recorded before this migration.
UPDATE "Deployment" SET "latestState" = (SELECT s."state" FROM "DeploymentStatus" s WHERE s."deploymentId" = "Deployment"."id" ORDER BY s."at" DESC, s."id" DESC LIMIT 1), "latestStateAt" = (SELECT s."at" FROM "DeploymentStatus" s WHERE s."deploymentId" = "Deployment"."id" ORDER BY s."at" DESC, s."id" DESC LIMIT 1), "firstSuccessAt" = (SELECT MIN(s."at") FROM "DeploymentStatus" s WHERE s."deploymentId" = "Deployment"."id" AND s."state" = 'success');
