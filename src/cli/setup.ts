import { POLICY_PATH } from '../core/policy-source.js';
import { EXIT, UsageError, parseFlags, parseWhole, writeLine, type CliIo } from './io.js';
import { FORMAT_FLAGS, formatHelp, outputFormat } from './output-format.js';
import { readPolicy } from './read-policy.js';

const SETUP_HELP = `Usage: release-gate setup --repo OWNER/REPO [--policy FILE] [--app-id N] [--apply] [--token TOKEN] [--api-url URL]

Makes the repository's GitHub environments match the policy's stages: creates the missing
environment of each stage, enables the App's custom deployment protection rule on them, and
gives environments it creates a deployment ref policy from the stage's refs. Never removes or
loosens what a person configured. A dry run unless --apply: it lists what it would change.
This is how a repository admin sets GitHub up with their own token: the App does not ask for
Administration: write unless its owner opts in.
Exit 0 when nothing failed, 2 when something could not be set up (a missing permission,
a plan without custom protection rules), 1 for a usage or policy error.

Options:
  --repo OWNER/REPO   the repository
  --policy FILE       the policy (default ${POLICY_PATH})
  --org-policy FILE   the org default, merged when the policy says "extends: org"
  --app-id N          the Release Gate App's id, whose protection rule to enable (default: APP_ID)
  --apply             make the changes (default: dry run)
  --token TOKEN       a repository admin's token (default: GITHUB_TOKEN or GH_TOKEN): a classic
                      token with the repo scope, or a fine-grained one with Administration: write
  --api-url URL       GitHub's API (default: GITHUB_API_URL, https://<GHE_HOST>/api/v3 with GHE_HOST, else https://api.github.com)
${formatHelp(['text', 'json', 'markdown'], { json: '{ repo, apply, ok, lines: [{ status, environment, message }] }', markdown: 'the table of the setup check run' })}

Example:
  GITHUB_TOKEN=... release-gate setup --repo acme/web --app-id 123456
  GITHUB_TOKEN=... release-gate setup --repo acme/web --app-id 123456 --apply`;

async function runSetup(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags('setup', argv, {
    repo: { type: 'string' },
    policy: { type: 'string' },
    'org-policy': { type: 'string' },
    'app-id': { type: 'string' },
    apply: { type: 'boolean' },
    token: { type: 'string' },
    'api-url': { type: 'string' },
    ...FORMAT_FLAGS,
  });
  const format = outputFormat('setup', values, ['text', 'json', 'markdown']);
  const repoMatch = /^([\w.-]+)\/([\w.-]+)$/.exec(values.repo ?? '');
  if (!repoMatch) throw new UsageError('setup: --repo OWNER/REPO is required, e.g. --repo acme/web.');
  const token = values.token ?? io.env.GITHUB_TOKEN ?? io.env.GH_TOKEN;
  if (!token)
    throw new UsageError(
      "setup: no token: pass --token or set GITHUB_TOKEN (a repository admin's token: a classic token with the repo scope, or a fine-grained one with Administration: write).",
    );
  const appIdText = values['app-id'] ?? io.env.APP_ID;
  const appId = appIdText === undefined ? null : parseWhole('--app-id', appIdText, 1, Number.MAX_SAFE_INTEGER);
  const apiUrl =
    values['api-url'] ??
    io.env.GITHUB_API_URL ??
    (io.env.GHE_HOST ? `${io.env.GHE_PROTOCOL ?? 'https'}://${io.env.GHE_HOST}/api/v3` : 'https://api.github.com');
  const { policy } = await readPolicy(values, io);
  const { ProbotOctokit } = await import('probot');
  const { setupEnvironments, renderSetupMarkdown, renderSetupText } = await import('../app/setup-environments.js');
  const octokit = new ProbotOctokit({
    auth: { token },
    baseUrl: apiUrl.replace(/\/$/, ''),
    retry: { enabled: false },
    throttle: { enabled: false },
  });
  const report = await setupEnvironments(octokit as never, {
    owner: repoMatch[1]!,
    repo: repoMatch[2]!,
    policy,
    appId,
    apply: values.apply === true,
    actor: 'token',
  });
  if (format === 'json') {
    const { repo, apply, ok, lines } = report;
    writeLine(io.stdout, JSON.stringify({ repo, apply, ok, lines }, null, 2));
  } else {
    writeLine(io.stdout, format === 'markdown' ? renderSetupMarkdown(report) : renderSetupText(report));
    if (appId === null)
      writeLine(
        io.stdout,
        "The protection rule was not looked at: pass --app-id (the App's id, from its settings page) or set APP_ID.",
      );
  }
  return report.ok ? EXIT.ok : EXIT.wait;
}

export const SETUP_COMMAND = { help: SETUP_HELP, run: runSetup };
