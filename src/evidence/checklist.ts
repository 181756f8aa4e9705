import type { ChecklistItem, ChecklistReport } from '../core/evidence-types.js';
import { readLines, type ByteSource } from './read-helpers.js';

/** Most items kept in `list`; all are counted. */
export const MAX_CHECKLIST_ITEMS = 1000;
const MAX_ITEM_TEXT = 500;

const TASK_RE = /^\s{0,12}(?:>\s*)*(?:[-*+]|\d{1,9}[.)])\s+\[([ xX])\](?:\s+(.*))?$/;
const FENCE_RE = /^\s{0,3}(`{3,}|~{3,})/;

class ChecklistBuilder {
  private readonly report: ChecklistReport = { items: 0, checked: 0, unchecked: 0, list: [] };
  private fence: string | null = null;

  line(text: string): void {
    const f = FENCE_RE.exec(text);
    if (f) {
      const mark = f[1]!;
      if (this.fence === null) this.fence = mark;
      else if (mark[0] === this.fence[0] && mark.length >= this.fence.length) this.fence = null;
      return;
    }
    if (this.fence !== null) return; // Task-list syntax inside a code block is an example, not a task.
    const m = TASK_RE.exec(text);
    if (!m) return;
    const checked = m[1] !== ' ';
    const r = this.report;
    r.items++;
    if (checked) r.checked++;
    else r.unchecked++;
    if (r.list.length < MAX_CHECKLIST_ITEMS) {
      const item: ChecklistItem = { text: (m[2] ?? '').trim().slice(0, MAX_ITEM_TEXT), checked };
      r.list.push(item);
    }
  }

  done(): ChecklistReport {
    return this.report;
  }
}

/**
 * The Markdown task list of a PR or release body (`- [x] done`, `* [ ] to do`, `1. [X] ...`):
 * items, checked and unchecked. Lines inside fenced code blocks are not tasks.
 */
export function parseChecklistText(text: string): ChecklistReport {
  const b = new ChecklistBuilder();
  for (const line of text.split(/\r?\n/)) b.line(line);
  return b.done();
}

/** {@link parseChecklistText} over a stream (a file or stdin), line by line. */
export async function parseChecklist(source: ByteSource): Promise<ChecklistReport> {
  const b = new ChecklistBuilder();
  for await (const { line } of readLines(source)) b.line(line);
  return b.done();
}
