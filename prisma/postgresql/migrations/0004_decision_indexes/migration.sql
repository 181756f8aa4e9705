-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "byApp" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "firstSuccessAt" TIMESTAMP(3),
ADD COLUMN     "gateBlocked" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "latestState" TEXT,
ADD COLUMN     "latestStateAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "DeploymentStatus" ADD COLUMN     "creator" TEXT,
ADD COLUMN     "trusted" BOOLEAN NOT NULL DEFAULT true;

-- CreateTable
CREATE TABLE "ReleasePull" (
    "id" SERIAL NOT NULL,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "pullNumber" INTEGER NOT NULL,
    "headSha" TEXT NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ReleasePull_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CommitCheck" (
    "id" SERIAL NOT NULL,
    "repo" TEXT NOT NULL,
    "sha" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "externalId" BIGINT NOT NULL,
    "status" TEXT NOT NULL,
    "conclusion" TEXT,
    "appSlug" TEXT,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CommitCheck_pkey" PRIMARY KEY ("id")
);

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

-- CreateIndex
CREATE INDEX "Deployment_repo_environment_firstSuccessAt_idx" ON "Deployment"("repo", "environment", "firstSuccessAt");

-- Fill the deployment columns from the status history recorded before this migration.
UPDATE "Deployment" SET "latestState" = (SELECT s."state" FROM "DeploymentStatus" s WHERE s."deploymentId" = "Deployment"."id" ORDER BY s."at" DESC, s."id" DESC LIMIT 1), "latestStateAt" = (SELECT s."at" FROM "DeploymentStatus" s WHERE s."deploymentId" = "Deployment"."id" ORDER BY s."at" DESC, s."id" DESC LIMIT 1), "firstSuccessAt" = (SELECT MIN(s."at") FROM "DeploymentStatus" s WHERE s."deploymentId" = "Deployment"."id" AND s."state" = 'success');
