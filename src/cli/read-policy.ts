import { POLICY_PATH } from '../core/policy-source.js';
import { readPolicyFile, type PolicyFile } from '../local/policy-file.js';
import type { CliIo } from './io.js';

/** What a policy that says `extends: org` gets from the CLI when `--org-policy` is missing. */
export const EXTENDS_WITHOUT_ORG_POLICY =
  '"extends: org" builds on the org default, which was not given: pass it with --org-policy FILE (the .github/release-policy.yml of the owner\'s .github repository)';

/** The help lines of `--org-policy`. */
export const ORG_POLICY_HELP = `  --org-policy FILE  the org default (.github/release-policy.yml of the owner's .github repository):
                     merged when the policy says "extends: org"; used alone when ${POLICY_PATH} does not exist`;

/** The policy of `--policy` and `--org-policy`, as the App would merge them. */
export function readPolicy(
  values: { policy?: string | undefined; 'org-policy'?: string | undefined },
  io: CliIo,
): Promise<PolicyFile> {
  return readPolicyFile(values.policy, io.cwd, {
    orgPolicy: values['org-policy'],
    withoutOrg: EXTENDS_WITHOUT_ORG_POLICY,
  });
}
