/**
 * Where a repository's policy comes from, decided once for every shell: the repository's
 * file; with `extends: org`, that file merged onto the org default (the same path in the
 * owner's `.github` repository); without a file, the org default alone; neither, an error.
 * The shells fetch the files (the App from GitHub's contents, the CLI and the Action from
 * the file system) and hand them here.
 */
import { EXTENDS_WITHOUT_ORG, readPolicyDocument } from './policy-load.js';
import type { PolicyDocumentResult } from './policy-load.js';
import { fail, mergePolicyDocuments } from './policy-merge.js';
import type { MergedPolicyResult } from './policy-merge.js';

/** Where a repository keeps its release policy; the org default is at the same path in the owner's `.github` repository. */
export const POLICY_PATH = '.github/release-policy.yml';
/** The repository of an org's (or a user's) defaults: `<owner>/.github`. */
export const ORG_POLICY_REPO = '.github';

/** How the org default is named in messages: `acme/.github/.github/release-policy.yml`. */
export function orgPolicySource(owner: string): string {
  return `${owner}/${ORG_POLICY_REPO}/${POLICY_PATH}`;
}

/** Said when the org default itself says `extends`. */
const ORG_CANNOT_EXTEND = 'the org default cannot extend anything: remove "extends" from it';

/** Reads one file's text into a policy document (the App passes one that remembers files it read). */
export type PolicyReader = (text: string, source: string) => PolicyDocumentResult;

/** A policy file's text and the name to show for it in messages. */
export interface PolicyText {
  text: string;
  source: string;
}

/**
 * Loads a policy from a repository file and, when it says `extends: org`, the org default;
 * without a repository file (`repo` null), from the org default alone, as the App does.
 * The org default, when given, is validated on its own even if the repository file does not
 * extend it. `withoutOrg` is what to say when the file extends the org default and none was
 * given (the CLI names its option, the Action says CI does not read it).
 */
export function loadPolicyFiles(
  repo: PolicyText | null,
  org: PolicyText | null,
  withoutOrg: string = EXTENDS_WITHOUT_ORG,
  read: PolicyReader = readPolicyDocument,
): MergedPolicyResult {
  const orgRead = org === null ? null : read(org.text, org.source);
  if (repo === null) {
    if (orgRead === null) throw new TypeError('loadPolicyFiles needs a repository file or an org default');
    if (!orgRead.ok) return fail(orgRead.errors);
    const { document } = orgRead;
    if (document.policy === null) return fail([document.problemAt(['extends'], ORG_CANNOT_EXTEND)]);
    return { ok: true, policy: document.policy, warnings: document.warnings, extendsOrg: false };
  }
  const repoRead = read(repo.text, repo.source);
  const errors = [...(repoRead.ok ? [] : repoRead.errors), ...(orgRead && !orgRead.ok ? orgRead.errors : [])];
  if (!repoRead.ok || (orgRead !== null && !orgRead.ok)) return fail(errors);
  const document = repoRead.document;
  if (!document.extendsOrg)
    return { ok: true, policy: document.policy!, warnings: document.warnings, extendsOrg: false };
  if (orgRead === null) return fail([document.problemAt(['extends'], withoutOrg, 'key')]);
  return mergePolicyDocuments(orgRead.document, document);
}
