-- AlterTable
ALTER TABLE "Evaluation" ADD COLUMN "engineVersion" TEXT;
ALTER TABLE "Evaluation" ADD COLUMN "notReplayable" TEXT;
ALTER TABLE "Evaluation" ADD COLUMN "policyFiles" TEXT;

-- CreateTable
CREATE TABLE "PolicyBlob" (
    "sha256" TEXT NOT NULL PRIMARY KEY,
    "text" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL
);

-- Evaluations recorded before this migration kept the facts and the instant but not the
-- policy text. Those decided without any policy file (the gate failed closed on the
-- problems it recorded) replay from those problems. The others name the blob they were
-- decided under, whose text the record does not have: they are marked not replayable.
UPDATE "Evaluation" SET "policyFiles" = '[]'
  WHERE "policyFiles" IS NULL AND "policySha" IS NULL AND json_valid("inputs") AND json_type("inputs", '$.problems') = 'array';
UPDATE "Evaluation" SET "notReplayable" = 'recorded before policy texts were kept: the record names the policy blob ' || "policySha" || ' of ' || COALESCE("policyPath", 'the policy file') || ' but not its text'
  WHERE "policyFiles" IS NULL AND "notReplayable" IS NULL AND "policySha" IS NOT NULL;
UPDATE "Evaluation" SET "notReplayable" = 'recorded before policy texts were kept, without the name of the policy it was decided under'
  WHERE "policyFiles" IS NULL AND "notReplayable" IS NULL;
