/**
 * The facts a rule can read. A shell (the App, the Action, the CLI) fetches only the facts the
 * rules of the asked stage need: no pull request reviews for a stage without approval rules,
 * no check runs for a stage without required checks.
 */
export const FACT_KINDS = {
  deployments: "This release's deployments in the predecessor stage.",
  reviews: 'The pull requests the release commit came from, and their reviews.',
  contributors: 'Who wrote the release: the authors of its pull requests and of their commits.',
  deploymentReviews: 'GitHub deployment reviews recorded for the release.',
  teams: 'Membership of the teams the stage names.',
  evidence: "The evidence block of the release's `Release evidence` check run.",
  checks: 'Check runs and commit statuses of the release commit.',
  changedFiles: 'Files changed since the last deployment to the last stage.',
  ref: "The release's ref, resolved on GitHub to a branch or a tag of this commit.",
  overrides: 'Overrides granted for the release.',
  pulls: 'The pull requests the release came from: their number, title and body.',
} as const;

export type FactKind = keyof typeof FACT_KINDS;

/** The facts about people a rule on approvals reads: reviews, deployment reviews and who wrote the release. */
export const PEOPLE: readonly FactKind[] = ['reviews', 'deploymentReviews', 'contributors'];
