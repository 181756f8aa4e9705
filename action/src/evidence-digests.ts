import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { resolveSources } from '../../src/evidence/collect.js';
import type { EvidenceFileKind } from '../../src/evidence/errors.js';

/** Input kind -> `sha256:<hex>` over its files (sorted paths and their contents). */
export type EvidenceDigests = Record<string, string>;

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Digests of what the decision was made from: the policy text, each kind of report (its
 * files' paths and contents, in path order) and the checklist text, so the App can tell
 * which inputs a score came from.
 */
export async function digestInputs(
  inputs: {
    policyText: string;
    junit: string[];
    coverage: string[];
    sarif: string[];
    checklistFile?: string;
    checklistText?: string;
  },
  cwd: string,
): Promise<EvidenceDigests> {
  const out: EvidenceDigests = { policy: `sha256:${createHash('sha256').update(inputs.policyText).digest('hex')}` };
  const kinds: Array<[string, EvidenceFileKind, string[]]> = [
    ['junit', 'junit', inputs.junit],
    ['coverage', 'coverage', inputs.coverage],
    ['sarif', 'sarif', inputs.sarif],
    ...(inputs.checklistFile
      ? [['checklist', 'checklist', [inputs.checklistFile]] as [string, EvidenceFileKind, string[]]]
      : []),
  ];
  for (const [name, kind, patterns] of kinds) {
    if (patterns.length === 0) continue;
    const sources = (await resolveSources(patterns, cwd, kind)).filter((s) => s.path !== '-');
    sources.sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
    const hash = createHash('sha256');
    for (const s of sources) hash.update(`${s.display}\0${await fileDigest(s.path)}\n`);
    out[name] = `sha256:${hash.digest('hex')}`;
  }
  if (inputs.checklistText !== undefined)
    out.checklist = `sha256:${createHash('sha256').update(inputs.checklistText).digest('hex')}`;
  return out;
}
