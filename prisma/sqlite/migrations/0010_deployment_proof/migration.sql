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
    "latestState" TEXT,
    "latestStateAt" DATETIME,
    "approvedVia" TEXT,
    "approvedAt" DATETIME,
    "approvedStage" TEXT,
    "approvedEnvironment" TEXT,
    "approvedRunId" BIGINT,
    "provenAt" DATETIME,
    "legacySuccessAt" DATETIME
);
-- Deployments recorded before the gate kept its approval on each deployment carry none, so
-- none of them proves a stage (fail closed). The success the earlier rule took (a status set
-- by the deployment's creator, on a deployment the gate had not blocked) is kept as
-- legacySuccessAt: the gate then waits, saying why, instead of rejecting a release on its way.
INSERT INTO "new_Deployment" ("byApp", "createdAt", "creator", "environment", "id", "latestState", "latestStateAt", "payload", "ref", "repo", "sha", "stage", "legacySuccessAt") SELECT "byApp", "createdAt", "creator", "environment", "id", "latestState", "latestStateAt", "payload", "ref", "repo", "sha", "stage", CASE WHEN "gateBlocked" THEN NULL ELSE "firstSuccessAt" END FROM "Deployment";
DROP TABLE "Deployment";
ALTER TABLE "new_Deployment" RENAME TO "Deployment";
CREATE INDEX "Deployment_repo_sha_idx" ON "Deployment"("repo", "sha");
CREATE INDEX "Deployment_repo_environment_idx" ON "Deployment"("repo", "environment");
CREATE INDEX "Deployment_repo_environment_provenAt_idx" ON "Deployment"("repo", "environment", "provenAt");
CREATE INDEX "Deployment_repo_environment_createdAt_idx" ON "Deployment"("repo", "environment", "createdAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
