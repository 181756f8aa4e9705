import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { formatPolicyProblem, loadPolicy, type PolicyProblem } from '../core/policy-load.js';
import type { Policy } from '../core/types.js';

/** Where a repository keeps its policy unless told otherwise. */
export const DEFAULT_POLICY_PATH = '.github/release-policy.yml';

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

/** Read and load a policy file; throws `PolicyFileError` with every problem found. */
export async function readPolicyFile(path: string | undefined, cwd: string): Promise<{ policy: Policy; path: string; text: string }> {
  const given = path ?? DEFAULT_POLICY_PATH;
  const absolute = isAbsolute(given) ? given : resolve(cwd, given);
  const shown = isAbsolute(given) ? given : relative(cwd, absolute) || given;
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `no such file${path === undefined ? ` (the default policy path; pass --policy FILE to use another)` : ''}`
        : code === 'EISDIR'
          ? 'it is a directory, not a file'
          : code === 'EACCES'
            ? 'permission denied'
            : error instanceof Error
              ? error.message
              : String(error);
    throw new PolicyFileError(shown, [`${shown}: cannot read the policy: ${why}`]);
  }
  const result = loadPolicy(text, shown);
  if (!result.ok) {
    throw new PolicyFileError(shown, result.errors.map(formatPolicyProblem), result.errors);
  }
  return { policy: result.policy, path: shown, text };
}
