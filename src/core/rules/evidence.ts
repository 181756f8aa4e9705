import type { EvaluationContext, GateRule, TypedRuleResult } from './rule.js';
import type { EnvironmentPolicy, ReleaseFacts } from '../types.js';

/** The codes of the evidenceRule's results. */
export type EvidenceCode = 'EVIDENCE_OK' | 'EVIDENCE_MISSING';

/** Every kind of evidence in `requiredEvidence` was given. */
export const evidenceRule: GateRule<EvidenceCode> = {
  name: 'evidence',
  codes: ['EVIDENCE_OK', 'EVIDENCE_MISSING'],
  keys: ['requiredEvidence'],
  applies: (c) => c.stage.requiredEvidence.length > 0,
  facts: () => ['evidence'],
  evaluate: (c: EvaluationContext) => evidence(c.stage, c.facts),
};

function evidence(stage: EnvironmentPolicy, facts: ReleaseFacts): TypedRuleResult<EvidenceCode> {
  const present = new Set(facts.evidence.present);
  const missing = stage.requiredEvidence.filter((k) => !present.has(k));
  const values = { required: stage.requiredEvidence, present: [...present], missing };
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
