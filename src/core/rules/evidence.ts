import type { EvaluationContext, GateRule, ResultOf } from './rule.js';
import type { EnvironmentPolicy, EvidenceKind, ReleaseFacts } from '../types.js';

/** The codes of the evidenceRule's results. */
export type EvidenceCode = 'EVIDENCE_OK' | 'EVIDENCE_MISSING';

/** What every result of the evidence rule carries: the kinds required, given, and missing. */
export type EvidenceValues = { required: EvidenceKind[]; present: EvidenceKind[]; missing: EvidenceKind[] };

/** The results of the evidence rule. */
export type EvidenceResult = ResultOf<EvidenceCode, Record<EvidenceCode, EvidenceValues>>;

/** Every kind of evidence in `requiredEvidence` was given. */
export const evidenceRule: GateRule<EvidenceCode, Record<EvidenceCode, EvidenceValues>> = {
  name: 'evidence',
  codes: ['EVIDENCE_OK', 'EVIDENCE_MISSING'],
  keys: ['requiredEvidence'],
  applies: (c) => c.stage.requiredEvidence.length > 0,
  facts: () => ['evidence'],
  evaluate: (c: EvaluationContext) => evidence(c.stage, c.facts),
};

function evidence(stage: EnvironmentPolicy, facts: ReleaseFacts): EvidenceResult {
  const present = new Set(facts.evidence.present);
  const missing = stage.requiredEvidence.filter((k) => !present.has(k));
  const values: EvidenceValues = { required: stage.requiredEvidence, present: [...present], missing };
  if (missing.length === 0) {
    return {
      code: 'EVIDENCE_OK',
      rule: 'evidence',
      ok: true,
      outcome: 'pass',
      message: `All required evidence is present: ${stage.requiredEvidence.join(', ')}.`,
      values,
    };
  }
  return {
    code: 'EVIDENCE_MISSING',
    rule: 'evidence',
    ok: false,
    outcome: 'block',
    message: `Required evidence missing for ${stage.name}: ${missing.join(', ')}.`,
    values,
  };
}
