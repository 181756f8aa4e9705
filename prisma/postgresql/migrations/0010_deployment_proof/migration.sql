-- DropIndex
DROP INDEX "Deployment_repo_environment_firstSuccessAt_idx";

-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "approvedAt" TIMESTAMP(3),
ADD COLUMN     "approvedEnvironment" TEXT,
ADD COLUMN     "approvedRunId" BIGINT,
ADD COLUMN     "approvedStage" TEXT,
ADD COLUMN     "approvedVia" TEXT,
ADD COLUMN     "legacySuccessAt" TIMESTAMP(3),
ADD COLUMN     "provenAt" TIMESTAMP(3);

-- Deployments recorded before the gate kept its approval on each deployment carry none, so
-- none of them proves a stage (fail closed). The success the earlier rule took (a status set
-- by the deployment's creator, on a deployment the gate had not blocked) is kept as
-- legacySuccessAt: the gate then waits, saying why, instead of rejecting a release on its way.
UPDATE "Deployment" SET "legacySuccessAt" = "firstSuccessAt" WHERE NOT "gateBlocked" AND "firstSuccessAt" IS NOT NULL;

-- AlterTable
ALTER TABLE "Deployment" DROP COLUMN "firstSuccessAt",
DROP COLUMN "gateBlocked";

-- CreateIndex
CREATE INDEX "Deployment_repo_environment_provenAt_idx" ON "Deployment"("repo", "environment", "provenAt");
