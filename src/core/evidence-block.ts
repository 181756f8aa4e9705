import { EVIDENCE_KINDS } from './types.js';
import type { EvidenceKind } from './types.js';

/**
 * The machine-readable block the Action leaves in the `Release evidence` check run's
 * `output.text` and the App reads back. It travels as an HTML comment so the check run
 * page shows only the readable summary around it:
 *
 *     <!-- release-gate:evidence v1 {"version":1,...} -->
 *
 * The JSON is written with `<`, `>` and `&` escaped as `\u003c`, `\u003e`, `\u0026`, so
 * no value (a file name, a reason) can close the comment early or inject HTML.
 */
export interface EvidenceBlockData {
  version: 1;
  /** The environment the Action evaluated for, when it was given one. */
  environment?: string;
  /** The evidence score, or null when no evidence was given. */
  score: number | null;
  /** Points per kind (`ScoreComponent` objects or plain numbers), as the core computed them. */
  breakdown: Record<string, unknown>;
  /** Evidence kinds that were supplied. */
  present: EvidenceKind[];
  /** Artifact name or path -> `sha256:<hex>` digest of what was scored. */
  digests: Record<string, string>;
  /** The Action's own decision (`allow`, `wait`, `block`), when it evaluated a policy. */
  decision?: string;
}

const OPEN = '<!-- release-gate:evidence v1 ';
const CLOSE = ' -->';
const BLOCK_PATTERN = /<!-- release-gate:evidence v1 (\{[^\n]*?\}) -->/;

/** Render the block: one line, safe to embed anywhere in Markdown. */
export function renderEvidenceBlock(data: EvidenceBlockData): string {
  const json = JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `${OPEN}${json}${CLOSE}`;
}

/**
 * Find and read the block in a check run's text. Returns null when there is no block or
 * when it does not have the expected shape (a reader never trusts a malformed block).
 */
export function parseEvidenceBlock(text: string | null | undefined): EvidenceBlockData | null {
  if (!text) return null;
  const match = BLOCK_PATTERN.exec(text);
  if (!match) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(match[1]!);
  } catch (error) {
    if (error instanceof SyntaxError) return null;
    throw error;
  }
  return validateEvidenceBlock(raw);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validateEvidenceBlock(raw: unknown): EvidenceBlockData | null {
  if (!isRecord(raw) || raw.version !== 1) return null;
  const { score, breakdown, present, digests, environment, decision } = raw;
  if (!(score === null || (typeof score === 'number' && Number.isFinite(score)))) return null;
  if (!isRecord(breakdown)) return null;
  if (!Array.isArray(present) || !present.every((k) => (EVIDENCE_KINDS as readonly unknown[]).includes(k))) return null;
  if (!isRecord(digests) || !Object.values(digests).every((d) => typeof d === 'string')) return null;
  if (environment !== undefined && typeof environment !== 'string') return null;
  if (decision !== undefined && typeof decision !== 'string') return null;
  const data: EvidenceBlockData = {
    version: 1,
    score,
    breakdown,
    present: present as EvidenceKind[],
    digests: digests as Record<string, string>,
  };
  if (environment !== undefined) data.environment = environment;
  if (decision !== undefined) data.decision = decision;
  return data;
}
