import type { EvaluationContext, GateRule, ResultOf } from './rule.js';

declare module '../types.js' {
  interface EnvironmentPolicy {
    /** Every pull request the release came from names an issue (`requireLinkedIssue`). */
    requireLinkedIssue?: boolean;
  }
}

/** `#123`, `owner/repo#123`, or an issue's URL (`https://github.com/owner/repo/issues/123`). */
const ISSUE_REFERENCE = /(?:^|[^\w&/#])(?:[\w.-]+\/[\w.-]+)?#\d+\b|https?:\/\/[^\s/]+\/[\w.-]+\/[\w.-]+\/issues\/\d+/;

/** The codes of the linkedIssueRule's results. */
export type LinkedIssueCode = 'LINKED_ISSUE_OK' | 'LINKED_ISSUE_MISSING';

/** What every result of the linked-issue rule carries: the release's pull requests (numbers), and those naming no issue (`#12`). */
export type LinkedIssueValues = { pulls: number[]; withoutIssue: string[] };

/** The results of the linked-issue rule. */
export type LinkedIssueResult = ResultOf<LinkedIssueCode, Record<LinkedIssueCode, LinkedIssueValues>>;

/** Every pull request the release came from names an issue in its title or body. */
export const linkedIssueRule: GateRule<LinkedIssueCode, Record<LinkedIssueCode, LinkedIssueValues>> = {
  name: 'linkedIssue',
  codes: ['LINKED_ISSUE_OK', 'LINKED_ISSUE_MISSING'],
  keys: ['requireLinkedIssue'],
  applies: (c) => c.stage.requireLinkedIssue === true,
  facts: () => ['pulls'],
  evaluate: ({ stage, facts }: EvaluationContext): LinkedIssueResult => {
    const pulls = facts.pulls ?? [];
    const without = pulls.filter((p) => !ISSUE_REFERENCE.test(`${p.title}\n${p.body}`)).map((p) => `#${p.number}`);
    const values: LinkedIssueValues = { pulls: pulls.map((p) => p.number), withoutIssue: without };
    if (pulls.length > 0 && without.length === 0) {
      return {
        code: 'LINKED_ISSUE_OK',
        rule: 'linkedIssue',
        ok: true,
        outcome: 'pass',
        message: `Every pull request of the release names an issue (${values.pulls.map((n) => `#${n}`).join(', ')}).`,
        values,
      };
    }
    return {
      code: 'LINKED_ISSUE_MISSING',
      rule: 'linkedIssue',
      ok: false,
      outcome: 'block',
      message:
        pulls.length === 0
          ? `${stage.name} requires a linked issue, and no pull request is known for this release (a direct push): release through a pull request that names its issue.`
          : `${stage.name} requires every pull request of the release to name an issue; ${without.join(', ')} name${without.length === 1 ? 's' : ''} none. Write the issue in the title or body (#123, owner/repo#123 or the issue's URL) and deploy again.`,
      values,
    };
  },
};
