import type { StoredEvaluation } from '../core/replay.js';
import type { EvaluationRow, EvaluationStore } from './evaluations.js';
import { StoreError } from './types.js';

export { storedRuleResults } from './evaluations.js';

/** Which stored evaluations a command looks at. */
export interface RecordSelection {
  id?: number;
  repo?: string;
  repoPrefix?: string;
  since?: Date;
  /** At most this many, the most recent ones (the impact check run's bound). */
  limit?: number;
}

/** A stored evaluation as the replay core reads it. */
export function storedEvaluation(row: EvaluationRow): StoredEvaluation {
  return {
    id: row.id,
    repo: row.repo,
    sha: row.sha,
    environment: row.environment,
    stage: row.stage,
    decision: row.decision,
    rules: row.rules,
    inputs: row.inputs,
    at: row.at,
    policyFiles: row.policyFiles,
    engineVersion: row.engineVersion,
    notReplayable: row.notReplayable,
  };
}

const PAGE = 2000;

/** The record's reads that replay and simulation make. */
export type StoredEvaluationReader = Pick<EvaluationStore, 'getEvaluation' | 'pageEvaluations' | 'getPolicyTexts'>;

/**
 * Calls `visit` with the selected evaluations, page by page in id order, and the policy
 * texts they reference (read once each).
 */
export async function forEachStoredEvaluation(
  store: StoredEvaluationReader,
  selection: RecordSelection,
  visit: (rows: EvaluationRow[], texts: Map<string, string>) => void | Promise<void>,
): Promise<void> {
  const texts = new Map<string, string>();
  const withTexts = async (rows: EvaluationRow[]) => {
    const missing = rows.flatMap((r) => (r.policyFiles ?? []).map((f) => f.sha256)).filter((h) => !texts.has(h));
    if (missing.length > 0) for (const [h, text] of await store.getPolicyTexts(missing)) texts.set(h, text);
    await visit(rows, texts);
  };
  if (selection.id !== undefined) {
    const row = await store.getEvaluation(selection.id);
    if (row === null) throw new StoreError(`There is no evaluation ${selection.id} in the record.`, 'NOT_FOUND');
    await withTexts([row]);
    return;
  }
  const query = {
    ...(selection.repo !== undefined
      ? { repo: selection.repo }
      : selection.repoPrefix !== undefined
        ? { repoPrefix: selection.repoPrefix }
        : {}),
    ...(selection.since ? { since: selection.since } : {}),
  };
  if (selection.limit !== undefined) {
    // The most recent `limit`, read newest first and given in id order.
    const rows: EvaluationRow[] = [];
    let beforeId: number | undefined;
    while (rows.length < selection.limit) {
      const page = await store.pageEvaluations({
        ...query,
        ...(beforeId !== undefined ? { beforeId } : {}),
        newestFirst: true,
        limit: Math.min(PAGE, selection.limit - rows.length),
      });
      rows.push(...page);
      if (page.length === 0) break;
      beforeId = page.at(-1)!.id;
    }
    await withTexts(rows.reverse());
    return;
  }
  let afterId: number | undefined;
  for (;;) {
    const page = await store.pageEvaluations({ ...query, ...(afterId !== undefined ? { afterId } : {}), limit: PAGE });
    if (page.length > 0) await withTexts(page);
    if (page.length < PAGE) return;
    afterId = page.at(-1)!.id;
  }
}
