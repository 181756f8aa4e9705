-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Promotion" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repo" TEXT NOT NULL,
    "installationId" BIGINT NOT NULL,
    "sha" TEXT NOT NULL,
    "sourceDeploymentId" BIGINT,
    "fromStage" TEXT NOT NULL,
    "toStage" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "nextCheckAt" DATETIME,
    "startedAt" DATETIME,
    "finishedAt" DATETIME,
    "deploymentId" BIGINT,
    "note" TEXT,
    "claimedBy" TEXT,
    "claimedUntil" DATETIME,
    "deployer" TEXT,
    "requestedVia" TEXT,
    "openKey" TEXT
);
INSERT INTO "new_Promotion" ("claimedBy", "claimedUntil", "createdAt", "deploymentId", "environment", "finishedAt", "fromStage", "id", "installationId", "nextCheckAt", "note", "repo", "sha", "sourceDeploymentId", "startedAt", "status", "toStage") SELECT "claimedBy", "claimedUntil", "createdAt", "deploymentId", "environment", "finishedAt", "fromStage", "id", "installationId", "nextCheckAt", "note", "repo", "sha", "sourceDeploymentId", "startedAt", "status", "toStage" FROM "Promotion";
DROP TABLE "Promotion";
ALTER TABLE "new_Promotion" RENAME TO "Promotion";
CREATE INDEX "Promotion_status_nextCheckAt_idx" ON "Promotion"("status", "nextCheckAt");
CREATE INDEX "Promotion_repo_sha_idx" ON "Promotion"("repo", "sha");
CREATE UNIQUE INDEX "Promotion_repo_sourceDeploymentId_environment_key" ON "Promotion"("repo", "sourceDeploymentId", "environment");
CREATE UNIQUE INDEX "Promotion_repo_openKey_key" ON "Promotion"("repo", "openKey");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
