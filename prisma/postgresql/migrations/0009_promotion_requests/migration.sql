-- AlterTable
ALTER TABLE "Promotion" ADD COLUMN     "deployer" TEXT,
ADD COLUMN     "openKey" TEXT,
ADD COLUMN     "requestedVia" TEXT,
ALTER COLUMN "sourceDeploymentId" DROP NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "Promotion_repo_openKey_key" ON "Promotion"("repo", "openKey");
