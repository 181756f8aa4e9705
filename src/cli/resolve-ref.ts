import { execFile } from 'node:child_process';

/** A short ref resolved in a local clone, and why it was left short when it was. */
export interface ResolvedRef {
  ref: string;
  /** Why a short ref stayed short (printed as a note), or null. */
  note: string | null;
}

/**
 * What `release-gate evaluate --ref v1.2.0` means: the App resolves a short ref on GitHub
 * (src/github/facts.ts); the CLI, which never calls GitHub, resolves it the same way in the
 * git repository of the working directory. `refs/tags/NAME` when that tag exists (pointing
 * at `--sha`'s commit, when `--sha` is given) and no branch has the name; `refs/heads/NAME`
 * when only a branch (local, or `origin`'s) has it. Anything else stays short, and the core
 * matches a short ref against no `refs/tags/*` or `refs/heads/*` pattern.
 */
export async function resolveShortRef(ref: string, sha: string | undefined, cwd: string): Promise<ResolvedRef> {
  if (ref.startsWith('refs/')) return { ref, note: null };
  const inRepo = await git(cwd, ['rev-parse', '--git-dir']);
  if (inRepo.error !== null)
    return {
      ref,
      note: `--ref ${ref} is a short name and ${cwd} is not in a git repository to resolve it in (${inRepo.error}): give the full ref, refs/tags/${ref} or refs/heads/${ref}.`,
    };
  const tag = await git(cwd, ['rev-parse', '--verify', '--quiet', `refs/tags/${ref}^{commit}`]);
  const branches = await Promise.all(
    [`refs/heads/${ref}`, `refs/remotes/origin/${ref}`].map((r) => git(cwd, ['rev-parse', '--verify', '--quiet', r])),
  );
  const tagCommit = tag.error === null ? tag.out : null;
  const branch = branches.some((b) => b.error === null);
  const ofRelease = tagCommit !== null && (sha === undefined || tagCommit.startsWith(sha.toLowerCase()));
  if (ofRelease && !branch) return { ref: `refs/tags/${ref}`, note: null };
  if (branch && tagCommit === null) return { ref: `refs/heads/${ref}`, note: null };
  return {
    ref,
    note:
      tagCommit !== null && branch
        ? `--ref ${ref} names both a branch and a tag in this repository: it is ambiguous and is not taken for either; give the full ref.`
        : tagCommit !== null
          ? `--ref ${ref}: tag ${ref} points at ${tagCommit.slice(0, 7)}, not at --sha ${sha}: it is not taken for a tag of this release.`
          : `--ref ${ref} is neither a tag nor a branch in this repository: give the full ref, refs/tags/${ref} or refs/heads/${ref}.`,
  };
}

function git(cwd: string, args: string[]): Promise<{ out: string; error: string | null }> {
  return new Promise((done) => {
    execFile('git', args, { cwd, encoding: 'utf8', timeout: 10_000 }, (error, stdout, stderr) => {
      if (error === null) done({ out: stdout.trim(), error: null });
      else {
        const code = (error as NodeJS.ErrnoException).code;
        done({
          out: '',
          error:
            code === 'ENOENT' ? 'git is not installed' : stderr.trim().split('\n')[0] || `git exited ${String(code)}`,
        });
      }
    });
  });
}
