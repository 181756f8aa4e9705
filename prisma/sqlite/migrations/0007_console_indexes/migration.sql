-- CreateIndex
CREATE INDEX "Deployment_repo_environment_createdAt_idx" ON "Deployment"("repo", "environment", "createdAt");

-- CreateIndex
CREATE INDEX "Evaluation_repo_environment_at_idx" ON "Evaluation"("repo", "environment", "at");

-- CreateIndex
CREATE INDEX "PendingGate_repo_status_idx" ON "PendingGate"("repo", "status");

-- CreateIndex
CREATE INDEX "ReleaseEvent_repo_type_at_idx" ON "ReleaseEvent"("repo", "type", "at");

-- CreateIndex
CREATE INDEX "ReleaseEvent_repo_actor_at_idx" ON "ReleaseEvent"("repo", "actor", "at");

-- CreateIndex
CREATE INDEX "ReleaseEvent_repo_environment_at_idx" ON "ReleaseEvent"("repo", "environment", "at");
