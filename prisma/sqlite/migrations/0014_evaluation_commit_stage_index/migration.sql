-- CreateIndex
CREATE INDEX "Evaluation_repo_sha_environment_at_idx" ON "Evaluation"("repo", "sha", "environment", "at");
