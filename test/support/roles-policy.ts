import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './processes.js';

/**
 * The README's example of roles (release owners and technical reviewers): the first YAML
 * block under its "Roles" heading, read from the README itself so the tests judge what a
 * reader copies. `examples/policies/roles.yml` holds the same text for the CLI's example.
 */
export function readmeRolesPolicy(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const heading = readme.indexOf('### Roles: release owners and technical reviewers');
  if (heading < 0) throw new Error('README.md has no "Roles" section');
  const start = readme.indexOf('```yaml\n', heading);
  const end = readme.indexOf('\n```', start);
  return `${readme.slice(start + '```yaml\n'.length, end)}\n`;
}

/** The teams of the example, as GitHub's API answers them: olivia owns releases, tomas reviews, bea does both. */
export const ROLE_TEAMS = {
  'release-owners': ['olivia', 'bea'],
  'tech-reviewers': ['tomas', 'bea'],
};
