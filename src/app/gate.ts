/**
 * The gate's entry: deciding (`gate-decide.ts`: the lease, the override race, decide and
 * record, re-evaluation), answering (`gate-answer.ts`: the protection rule's callback
 * protocol) and reporting (`gate-report.ts`: the check run written after the answer), with
 * the dependency bag and request types in `gate-deps.ts`.
 */
export { GATE_DEADLINE_MS, WAIT_POLL_MS } from './gate-deps.js';
export type { AppDeps, GateDeps, GateRecord, GateRequest, GateResult } from './gate-deps.js';
export { LEASE_MS } from './lease.js';
export { reevaluatePending, runGate } from './gate-decide.js';
export { requestForGate } from './gate-request.js';
export { answerStoredDecision } from './gate-answer.js';
