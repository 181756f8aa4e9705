import type { EvidenceBundle } from './evidence-types.js';
import { scoreEvidence } from './score.js';
import type { EvidenceFacts, EvidenceKind, ScoringPolicy } from './types.js';

/** The evidence kinds a bundle supplies, in the order of `EVIDENCE_KINDS`. */
export function presentEvidenceKinds(bundle: EvidenceBundle): EvidenceKind[] {
  const present: EvidenceKind[] = [];
  if (bundle.tests) present.push('tests');
  if (bundle.coverage) present.push('coverage');
  if (bundle.security) present.push('security');
  if (bundle.checklist) present.push('checklist');
  if (bundle.declared?.rollbackPlan) present.push('rollbackPlan');
  if (bundle.declared?.backup) present.push('backup');
  if (bundle.declared?.migrations) present.push('migrations');
  if (bundle.evidenceUrl) present.push('evidenceUrl');
  return present;
}

/**
 * The evidence facts the gate decides on: the score of a bundle under the policy's
 * weights, or `null` when no evidence at all was given (the gate then says so instead
 * of scoring zero).
 */
export function evidenceFacts(bundle: EvidenceBundle, scoring: ScoringPolicy, now: Date): EvidenceFacts {
  const present = presentEvidenceKinds(bundle);
  if (present.length === 0) return { score: null, breakdown: {}, present };
  const { score, breakdown } = scoreEvidence(bundle, scoring, now);
  return { score, breakdown, present };
}
