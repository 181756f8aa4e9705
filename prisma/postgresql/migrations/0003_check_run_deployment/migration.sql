-- A check run kept for a deployment evaluated outside a protection rule request
-- (deployment.created) gets its own column. Until this migration it was stored with
-- runId = minus the deployment's id. Those rows move to deploymentId below, with runId 0.

-- DropIndex
DROP INDEX "CheckRun_repo_sha_environment_runId_key";

-- AlterTable
ALTER TABLE "CheckRun" ADD COLUMN     "deploymentId" BIGINT NOT NULL DEFAULT 0,
ALTER COLUMN "runId" SET DEFAULT 0;

-- CreateIndex
CREATE UNIQUE INDEX "CheckRun_repo_sha_environment_runId_deploymentId_key" ON "CheckRun"("repo", "sha", "environment", "runId", "deploymentId");

-- Move the deployments' check runs kept under a negative runId.
UPDATE "CheckRun" SET "deploymentId" = -"runId", "runId" = 0 WHERE "runId" < 0;
