/**
 * The org-wide default and a repository's file that builds on it (`extends: org`).
 *
 * Merge rules (the README's "Org-wide default" says the same):
 * 1. A repository file without `extends` stands alone; the org default is not used.
 * 2. `environments` are merged by stage `name` (exact). A stage both files name keeps the
 *    org's keys and takes each key the repository gives instead (a key's whole value:
 *    `approvals`, `freezeWindows`, `refs`... are replaced, not merged inside).
 * 3. The org default sets the order of the promotion path: the stages both name must come
 *    in the org's order in the repository file too. A stage only the repository names goes
 *    right after the stage listed before it in the repository file (first when it is listed
 *    first). A repository cannot remove an org stage.
 * 4. `scoring`, `overrides` and `evidence` are merged key by key (the repository's value
 *    wins; a list such as `overrides.teams` or `evidence.workflows` is replaced whole). A
 *    weight of 0 drops an evidence kind.
 * 5. `strict` is the repository's when it gives one, else the org's.
 * 6. Each file is validated on its own (errors point at its own lines); the merged policy is
 *    validated again: weights summing to 100, each GitHub environment in one stage.
 * The org default is a default, not a floor: a repository may loosen any key.
 */
import { EVIDENCE_KINDS } from './types.js';
import type { Policy } from './types.js';
import { buildPolicy, formatPolicyProblem, warnScoreWarnings } from './policy-load.js';
import type { PolicyDocument, PolicyPath, PolicyProblem } from './policy-load.js';
import { suggest } from './suggest.js';

type Data = Readonly<Record<string, unknown>>;
type Stage = Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stagesOf(data: Data): Stage[] {
  return Array.isArray(data.environments) ? (data.environments as unknown[]).filter(isRecord) : [];
}

/**
 * The plain data of a policy: the org default's with a repository file's (one that says
 * `extends: org`) merged in by the rules above. Pure and total: it does not validate (a
 * repository listing shared stages out of the org's order still gets an answer; that is
 * refused by {@link mergePolicyDocuments}). Neither input is changed.
 */
export function mergePolicyData(org: Data, repo: Data): Record<string, unknown> {
  const out: Record<string, unknown> = { version: 1 };
  const stages: Stage[] = stagesOf(org).map((s) => ({ ...s }));
  let insertAt = 0;
  for (const stage of stagesOf(repo)) {
    const index = stages.findIndex((s) => s.name === stage.name);
    if (index >= 0) {
      stages[index] = { ...stages[index], ...stage };
      insertAt = index + 1;
    } else {
      stages.splice(insertAt, 0, { ...stage });
      insertAt++;
    }
  }
  out.environments = stages;
  for (const key of ['scoring', 'overrides', 'evidence'] as const) {
    const a = isRecord(org[key]) ? org[key] : undefined;
    const b = isRecord(repo[key]) ? repo[key] : undefined;
    if (a !== undefined || b !== undefined) out[key] = { ...a, ...b };
  }
  const strict = repo.strict ?? org.strict;
  if (strict !== undefined) out.strict = strict;
  const sync = repo.sync ?? org.sync;
  if (sync !== undefined) out.sync = sync;
  return structuredClone(out);
}

export type MergedPolicyResult =
  { ok: true; policy: Policy; warnings: PolicyProblem[]; extendsOrg: boolean } | { ok: false; errors: PolicyProblem[] };

const place = (p: PolicyProblem): string => `${p.source}:${p.line}:${p.column}`;

/**
 * The policy of a repository file that says `extends: org`, merged onto the org default,
 * with every problem of the merged result pointing at the file that caused it (and naming
 * the other). Both documents must have been read by `readPolicyDocument` without errors.
 */
export function mergePolicyDocuments(org: PolicyDocument, repo: PolicyDocument): MergedPolicyResult {
  if (org.extendsOrg) {
    return fail([
      org.problemAt(
        ['extends'],
        `the org default cannot extend anything: remove "extends" from it (${repo.source} extends it)`,
      ),
    ]);
  }
  if (org.format !== 'v1') {
    return fail([
      repo.problemAt(
        ['extends'],
        `the org default ${org.source} is in the Aurora format ("policy:"); a repository file can extend only a version 1 org default`,
      ),
    ]);
  }
  const errors: PolicyProblem[] = [];
  const warnings: PolicyProblem[] = [...org.warnings, ...repo.warnings];
  const orgStages = stagesOf(org.data);
  const repoStages = stagesOf(repo.data);
  const orgIndex = (name: unknown) => orgStages.findIndex((s) => s.name === name);

  // The order of the promotion path is the org's.
  let last: { name: string; index: number } | null = null;
  repoStages.forEach((stage, i) => {
    const index = orgIndex(stage.name);
    if (index < 0) {
      const near = suggest(
        String(stage.name),
        orgStages.map((s) => String(s.name)),
      );
      if (near !== undefined) {
        warnings.push(
          repo.problemAt(
            ['environments', i, 'name'],
            `stage "${String(stage.name)}" is not in the org default, so it is added as a new stage (stage names match exactly)`,
            'value',
            { suggestion: near },
          ),
        );
      }
      return;
    }
    if (last !== null && index < last.index) {
      errors.push(
        repo.problemAt(
          ['environments', i, 'name'],
          `stage ${String(stage.name)} is listed after ${last.name}, but the org default ${org.source} puts it before (${orgStages.map((s) => String(s.name)).join(' -> ')}); the org default sets the order of the promotion path`,
          'value',
        ),
      );
    }
    last = { name: String(stage.name), index };
  });

  const merged = mergePolicyData(org.data, repo.data);
  errors.push(...githubConflicts(org, repo, merged));
  const weights = weightProblem(org, repo);
  if (weights) errors.push(weights);
  if (errors.length > 0) return fail(errors);

  const policy = buildPolicy(merged);
  const warnScoreFrom = isRecord(repo.data.scoring) && 'warnScore' in repo.data.scoring ? repo : org;
  for (const w of warnScoreWarnings(policy))
    warnings.push(warnScoreFrom.problemAt(['scoring', 'warnScore'], w.message, w.at));
  return { ok: true, policy, warnings: dedupe(warnings), extendsOrg: true };
}

export function fail(errors: PolicyProblem[]): MergedPolicyResult {
  return { ok: false, errors };
}

function dedupe(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${formatPolicyProblem(p)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Where each GitHub environment name of a merged stage comes from: the file and the path in it. */
function githubNamesOf(
  stageName: string,
  org: PolicyDocument,
  repo: PolicyDocument,
): Array<{ name: string; doc: PolicyDocument; path: PolicyPath }> {
  const inRepo = stagesOf(repo.data).findIndex((s) => s.name === stageName);
  const inOrg = stagesOf(org.data).findIndex((s) => s.name === stageName);
  const repoStage = inRepo >= 0 ? stagesOf(repo.data)[inRepo]! : undefined;
  const [doc, index] = repoStage && ('github' in repoStage || inOrg < 0) ? [repo, inRepo] : [org, inOrg];
  const stage = stagesOf(doc.data)[index]!;
  const github = stage.github;
  if (typeof github === 'string') return [{ name: github, doc, path: ['environments', index, 'github'] }];
  if (Array.isArray(github))
    return github.map((g, j) => ({ name: String(g), doc, path: ['environments', index, 'github', j] }));
  return [{ name: stageName, doc, path: ['environments', index, 'name'] }];
}

/** Each GitHub environment belongs to one stage of the merged policy (names ignore case). */
function githubConflicts(org: PolicyDocument, repo: PolicyDocument, merged: Data): PolicyProblem[] {
  const owner = new Map<string, { stage: string; doc: PolicyDocument; path: PolicyPath }>();
  const problems: PolicyProblem[] = [];
  for (const stage of stagesOf(merged)) {
    const stageName = String(stage.name);
    for (const g of githubNamesOf(stageName, org, repo)) {
      const first = owner.get(g.name.toLowerCase());
      if (first === undefined) {
        owner.set(g.name.toLowerCase(), { stage: stageName, ...g });
        continue;
      }
      if (first.stage === stageName) continue;
      // Both files are valid alone: the conflict is the repository's doing, so it is shown there.
      const [here, other, otherStage] = g.doc === repo ? [g, first, first.stage] : [first, g, stageName];
      const otherAt = place(other.doc.problemAt(other.path, '', 'value'));
      problems.push(
        repo.problemAt(
          here.path,
          `GitHub environment "${g.name}" is also covered by stage ${otherStage} (${otherAt}) once merged with the org default; each GitHub environment belongs to one stage (names ignore case)`,
          'value',
        ),
      );
    }
  }
  return problems;
}

/** The merged weights must sum to 100: the problem names every weight and the file it comes from. */
function weightProblem(org: PolicyDocument, repo: PolicyDocument): PolicyProblem | null {
  const repoScoring = isRecord(repo.data.scoring) ? repo.data.scoring : {};
  const orgScoring = isRecord(org.data.scoring) ? org.data.scoring : {};
  const repoKinds = EVIDENCE_KINDS.filter((k) => typeof repoScoring[k] === 'number');
  if (repoKinds.length === 0) return null; // the org default's own weights were checked with it
  const parts: string[] = [];
  let sum = 0;
  for (const kind of EVIDENCE_KINDS) {
    const [doc, scoring] = typeof repoScoring[kind] === 'number' ? [repo, repoScoring] : [org, orgScoring];
    const weight = scoring[kind];
    if (typeof weight !== 'number') continue;
    sum += weight;
    parts.push(`${kind} ${weight} (${place(doc.problemAt(['scoring', kind], '', 'value'))})`);
  }
  if (sum === 100) return null;
  return repo.problemAt(
    ['scoring'],
    `scoring weights sum to ${sum} once merged with the org default ${org.source}: ${parts.join(', ')}; they must sum to 100 (a weight of 0 drops a kind)`,
    'key',
    { expected: 'weights summing to 100' },
  );
}
