/** The policy of a checkout, read from the file system: the CLI's and the Action's way to the one policy source (`src/core/policy-source.ts`). */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { formatPolicyProblem, type PolicyProblem } from '../core/policy-load.js';
import { loadPolicyFiles, POLICY_PATH } from '../core/policy-source.js';
import type { Policy } from '../core/types.js';

/**
 * What a policy that says `extends: org` gets when no org default is given: CI (the Action)
 * reads only the repository's file. The CLI says to pass `--org-policy` instead.
 */
export const EXTENDS_IN_CI =
  '"extends: org" builds on the org default (.github/release-policy.yml in the owner\'s .github repository), which is not read in CI: ' +
  'the Action reads only this file. Write the rules into this file without "extends", or let the Release Gate App judge this repository (it reads the org default)';

/** A policy file that could not be read or is invalid; `problems` are ready to print, one per line. */
export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
  constructor(
    readonly path: string,
    readonly problems: string[],
    readonly details: PolicyProblem[] = [],
  ) {
    super(problems.join('\n'));
  }
}

export interface PolicyFileOptions {
  /** The org default (`--org-policy`): merged when the policy says `extends: org`, used alone when the default policy path has no file. */
  orgPolicy?: string | undefined;
  /** What to say when the policy says `extends: org` and no org default is given (default: {@link EXTENDS_IN_CI}). */
  withoutOrg?: string;
}

export interface PolicyFile {
  policy: Policy;
  /** The policy file as shown (the org default's when it was used alone). */
  path: string;
  /** Its text (the repository file's, for digests). */
  text: string;
  /** The org default used (merged, or alone), as shown; null when none was. */
  orgPath: string | null;
  /** Doubtful but valid things, `file:line:column: message`. */
  warnings: string[];
}

function shownPath(given: string, cwd: string): { absolute: string; shown: string } {
  const absolute = isAbsolute(given) ? given : resolve(cwd, given);
  return { absolute, shown: isAbsolute(given) ? given : relative(cwd, absolute) || given };
}

async function readText(
  absolute: string,
  shown: string,
  defaultHint: string,
): Promise<string | { missing: true; error: PolicyFileError }> {
  try {
    return await readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `no such file${defaultHint}`
        : code === 'EISDIR'
          ? 'it is a directory, not a file'
          : code === 'EACCES'
            ? 'permission denied'
            : error instanceof Error
              ? error.message
              : String(error);
    const failure = new PolicyFileError(shown, [`${shown}: cannot read the policy: ${why}`]);
    if (code === 'ENOENT') return { missing: true, error: failure };
    throw failure;
  }
}

/**
 * Read and load a policy file, merged onto the org default when it says `extends: org`;
 * throws `PolicyFileError` with every problem found (in either file).
 */
export async function readPolicyFile(
  path: string | undefined,
  cwd: string,
  options: PolicyFileOptions = {},
): Promise<PolicyFile> {
  const repo = shownPath(path ?? POLICY_PATH, cwd);
  const org = options.orgPolicy === undefined ? null : shownPath(options.orgPolicy, cwd);
  const repoText = await readText(
    repo.absolute,
    repo.shown,
    path === undefined ? ' (the default policy path; pass --policy FILE to use another)' : '',
  );
  let orgText: string | null = null;
  if (org !== null) {
    const read = await readText(org.absolute, org.shown, '');
    if (typeof read !== 'string') throw read.error;
    orgText = read;
  }
  // No file at the default path: the org default judges the repository alone, as in the App.
  const alone = typeof repoText !== 'string' && path === undefined && org !== null && orgText !== null;
  if (typeof repoText !== 'string' && !alone) throw repoText.error;
  const result = loadPolicyFiles(
    typeof repoText === 'string' ? { text: repoText, source: repo.shown } : null,
    org === null || orgText === null ? null : { text: orgText, source: org.shown },
    options.withoutOrg ?? EXTENDS_IN_CI,
  );
  if (!result.ok) {
    const failing = org !== null && result.errors.every((e) => e.source === org.shown) ? org.shown : repo.shown;
    throw new PolicyFileError(failing, result.errors.map(formatPolicyProblem), result.errors);
  }
  return {
    policy: result.policy,
    path: alone ? org!.shown : repo.shown,
    text: typeof repoText === 'string' ? repoText : orgText!,
    orgPath: alone || result.extendsOrg ? org!.shown : null,
    warnings: result.warnings.map(formatPolicyProblem),
  };
}
