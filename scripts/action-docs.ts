// Render the README's Action section (inputs and outputs) from action.yml, between the
// `<!-- action-docs:start -->` and `<!-- action-docs:end -->` markers, so the two never
// disagree. `npm run docs:action` writes it; `--check` fails when the README is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const START = '<!-- action-docs:start -->';
export const END = '<!-- action-docs:end -->';

interface ActionYml {
  inputs?: Record<string, { description?: string; required?: boolean; default?: string }>;
  outputs?: Record<string, { description?: string }>;
}

const cell = (s: string): string =>
  s
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
    .trim();

const USAGE = `One step scores the evidence, evaluates the policy for an environment with the same core as
the App and the CLI, writes the job summary and a \`Release evidence\` check run on the commit (with
annotations on failing tests and error-level SARIF results, and the block the App reads), and
fails the step on \`block\` or \`wait\` in \`enforce\` mode, so the job can be a required check.

\`\`\`yaml
permissions:
  contents: read
  checks: write         # the evidence check run
  pull-requests: read   # the PR's reviews, on pull_request events
  deployments: read     # the previous stage's deployments of the commit
  actions: read         # this run's deployment reviews, on other events
  statuses: read        # required checks reported as commit statuses
steps:
  - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
  - run: npm ci && npm test   # writes reports/junit.xml and coverage/lcov.info
  - uses: release-gate/release-gate@v1
    with:
      environment: PRE_PROD
      junit: reports/*.xml
      coverage: coverage/lcov.info
\`\`\`

Inside CI the Action knows the commit (the PR head on pull request events, else \`GITHUB_SHA\`), the
ref (\`GITHUB_REF\`), the PR's reviews (pull request events) or the run's deployment reviews
(other events), and the previous stage's deployments of the same commit (a few API calls). It
does not read the files changed since the last stage's deployment, so every \`requiredReviewers\`
path rule applies in CI.

**Teams.** A stage whose roles name teams (\`approvals.fromTeams\`, \`requiredReviewers\`, the
override teams of a warning-band score) needs a token that may read team membership: a workflow's
\`GITHUB_TOKEN\` cannot (GitHub answers it 404 for every team), and the Action then blocks with
\`TEAMS_UNREADABLE\`, naming the token to give, rather than count nobody. Give it a GitHub App
installation token with the organization permission **Members: read** (plus what the workflow
token had: Checks write, Pull requests, Deployments, Actions and Commit statuses read):

\`\`\`yaml
  - uses: actions/create-github-app-token@1b10c78c7865c340bc4f6099eb2f838309f1e8c3 # v3.1.1
    id: app-token
    with:
      client-id: \${{ vars.RELEASE_GATE_APP_CLIENT_ID }}
      private-key: \${{ secrets.RELEASE_GATE_APP_PRIVATE_KEY }}
      permission-members: read
  - uses: release-gate/release-gate@v1
    with:
      environment: PROD
      token: \${{ steps.app-token.outputs.token }}
\`\`\`

Or run the step of such a stage with \`mode: report\` and let the App decide it: the App reads teams
with its own installation. See \`examples/\`
for DEV -> PRE_PROD -> PROD with the App.`;

/** The Markdown tables of an action.yml's inputs and outputs. */
export function renderActionDocs(actionYml: string): string {
  const doc = parse(actionYml) as ActionYml;
  const inputs = Object.entries(doc.inputs ?? {}).map(([name, i]) => {
    const def = i.default === undefined || i.default === '' ? '' : `\`${i.default}\``;
    return `| \`${name}\` | ${i.required ? 'yes' : 'no'} | ${def} | ${cell(i.description ?? '')} |`;
  });
  const outputs = Object.entries(doc.outputs ?? {}).map(
    ([name, o]) => `| \`${name}\` | ${cell(o.description ?? '')} |`,
  );
  return [
    '<!-- Generated from action.yml by scripts/action-docs.ts; edit action.yml, then run npm run docs:action. -->',
    '',
    USAGE,
    '',
    '### Inputs',
    '',
    '| Input | Required | Default | Description |',
    '|---|---|---|---|',
    ...inputs,
    '',
    '### Outputs',
    '',
    '| Output | Description |',
    '|---|---|',
    ...outputs,
  ].join('\n');
}

/** The README with the section between the markers replaced (appended at the end when the markers are missing). */
export function updateReadme(readme: string, docs: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  const section = `${START}\n${docs}\n${END}`;
  if (start < 0 || end < start) return `${readme.replace(/\n*$/, '\n')}\n## The Action\n\n${section}\n`;
  return readme.slice(0, start) + section + readme.slice(end + END.length);
}

async function cli(argv: string[]): Promise<number> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const [actionYml, readme] = await Promise.all([
    readFile(`${root}action.yml`, 'utf8'),
    readFile(`${root}README.md`, 'utf8').catch(() => ''),
  ]);
  const next = updateReadme(readme, renderActionDocs(actionYml));
  if (argv.includes('--check')) {
    if (next === readme) return 0;
    console.error("README.md's Action section does not match action.yml: run npm run docs:action and commit README.md");
    return 1;
  }
  if (next !== readme) await writeFile(`${root}README.md`, next);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = await cli(process.argv.slice(2));
