/**
 * The changelog, kept from the commits of each release:
 *
 *   npm run changelog -- --version 0.2.0 [--from v0.1.0] [--to HEAD] [--write]
 *     the section of a release: the commits after the previous version tag (or --from) up to
 *     --to, newest first, each with its short sha; --write puts it at the top of CHANGELOG.md
 *     (replacing the section of that version if there is one), else it is printed.
 *   npm run changelog -- --notes 0.2.0
 *     prints that version's section of CHANGELOG.md without its heading: the GitHub release's
 *     notes (the release workflow uses it).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { parseArgs } from 'node:util';

export const CHANGELOG_HEADER = `# Changelog

Every release of Release Gate: the App, the Action (\`release-gate/release-gate@v1\`), the CLI and
the container image (\`ghcr.io/release-gate/release-gate\`) share one version. Each section lists
the commits of the release, newest first; \`npm run changelog\` writes it from \`git log\`.
`;

/** A version tag: v1.2.3, or a pre-release v1.2.3-rc.1. */
export const VERSION_TAG = /^v(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?$/;

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trimEnd();
}

/** The latest version tag reachable from `to` other than `v<version>`, or null (the first release). */
export function previousTag(cwd: string, to: string, version: string): string | null {
  const tags = git(cwd, ['tag', '--merged', to, '--sort=-v:refname'])
    .split('\n')
    .filter((t) => VERSION_TAG.test(t) && t !== `v${version}`);
  return tags[0] ?? null;
}

/** The section of `version`: its heading (with the date of `to`) and one line per commit. */
export function releaseSection(cwd: string, options: { version: string; from?: string | null; to?: string }): string {
  const to = options.to ?? 'HEAD';
  const from = options.from === undefined ? previousTag(cwd, to, options.version) : options.from;
  const range = from ? `${from}..${to}` : to;
  const date = git(cwd, ['log', '-1', '--format=%cs', to]);
  const commits = git(cwd, ['log', '--no-merges', '--format=%h%x1f%s', range])
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [sha, subject] = l.split('\x1f') as [string, string];
      return `- ${subject.replace(/\s+/g, ' ').trim()} (${sha})`;
    });
  const since = from ? `Since ${from}.` : 'The first release.';
  return [
    `## [${options.version}] - ${date}`,
    '',
    since,
    '',
    ...(commits.length > 0 ? commits : ['- No changes.']),
    '',
  ].join('\n');
}

/** CHANGELOG.md with `section` at the top, replacing the section of the same version. */
export function withSection(changelog: string | null, section: string): string {
  const version = /^## \[([^\]]+)\]/.exec(section)![1]!;
  const body = (changelog ?? CHANGELOG_HEADER).split(/^(?=## \[)/m);
  const header = body[0]!.startsWith('## [') ? CHANGELOG_HEADER : body.shift()!;
  const others = body.filter((s) => !s.startsWith(`## [${version}]`));
  return [header.trimEnd(), '', section.trimEnd(), ...others.map((s) => `\n${s.trimEnd()}`)].join('\n') + '\n';
}

/** The section of `version` in a changelog, without its heading; null when there is none. */
export function releaseNotes(changelog: string, version: string): string | null {
  const sections = changelog.split(/^(?=## \[)/m);
  const found = sections.find((s) => s.startsWith(`## [${version}]`));
  return found ? found.split('\n').slice(1).join('\n').trim() : null;
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      version: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      write: { type: 'boolean' },
      notes: { type: 'string' },
      cwd: { type: 'string' },
    },
  });
  const cwd = values.cwd ?? process.cwd();
  const file = join(cwd, 'CHANGELOG.md');
  if (values.notes !== undefined) {
    const notes = releaseNotes(readFileSync(file, 'utf8'), values.notes.replace(/^v/, ''));
    if (notes === null) {
      process.stderr.write(
        `changelog: CHANGELOG.md has no section for ${values.notes}: run npm run changelog -- --version ${values.notes.replace(/^v/, '')} --write\n`,
      );
      return 1;
    }
    process.stdout.write(`${notes}\n`);
    return 0;
  }
  const version =
    values.version ?? (JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { version: string }).version;
  const section = releaseSection(cwd, {
    version,
    ...(values.from ? { from: values.from } : {}),
    ...(values.to ? { to: values.to } : {}),
  });
  if (!values.write) {
    process.stdout.write(section);
    return 0;
  }
  let current: string | null = null;
  try {
    current = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  writeFileSync(file, withSection(current, section));
  process.stdout.write(`CHANGELOG.md: wrote the section of ${version}\n`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
