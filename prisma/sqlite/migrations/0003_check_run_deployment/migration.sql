-- A check run kept for a deployment evaluated outside a protection rule request
-- (deployment.created) gets its own column. Until this migration it was stored with
-- runId = minus the deployment's id. Those rows move to deploymentId below, with runId 0.

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_CheckRun" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "environment" TEXT NOT NULL,
    "runId" BIGINT NOT NULL DEFAULT 0,
    "deploymentId" BIGINT NOT NULL DEFAULT 0,
    "checkRunId" BIGINT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_CheckRun" ("checkRunId", "createdAt", "environment", "id", "repo", "runId", "sha", "updatedAt") SELECT "checkRunId", "createdAt", "environment", "id", "repo", "runId", "sha", "updatedAt" FROM "CheckRun";
DROP TABLE "CheckRun";
ALTER TABLE "new_CheckRun" RENAME TO "CheckRun";
CREATE UNIQUE INDEX "CheckRun_repo_sha_environment_runId_deploymentId_key" ON "CheckRun"("repo", "sha", "environment", "runId", "deploymentId");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- Move the deployments' check runs kept under a negative runId.
UPDATE "CheckRun" SET "deploymentId" = -"runId", "runId" = 0 WHERE "runId" < 0;
