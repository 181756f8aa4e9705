/**
 * What happened to a release, as the App tells people and other systems about it (Slack, a
 * CloudEvents receiver) and as delivery metrics count it. The deciders and the verifier produce
 * these; `src/notify` delivers them. Pure types: no I/O here.
 */
export type ReleaseEventKind =
  | 'waiting' // a gate waits (who can approve, which rule codes)
  | 'blocked' // a gate rejected a deployment
  | 'promoted' // the App created a deployment of the release to the next stage
  | 'deployed' // a deployment the gate let through reached success (a proven stage)
  | 'verifying' // a verification after the deploy started
  | 'verified' // the verification after the deploy passed
  | 'verification_failed' // the verification after the deploy failed
  | 'rolled_back'; // the App created a deployment of the last verified release after a failure

export interface ReleaseEventMeasurement {
  check: string;
  value: number | null;
  ok: boolean;
  note?: string;
}

export interface ReleaseEvent {
  kind: ReleaseEventKind;
  /** Stable and unique per event (used to de-duplicate deliveries and as the CloudEvent id). */
  id: string;
  at: Date;
  /**
   * The repository; its installation when the publisher acts for one (the verifier). Events
   * published by the record as it writes (decisions, promotions, proven deployments) leave
   * it out rather than guess: nothing sent depends on it.
   */
  repository: { owner: string; repo: string; installationId?: number };
  sha: string;
  version?: string;
  stage: string;
  environment: string;
  deploymentId?: number;
  /** One sentence a person reads first. */
  summary: string;
  /** The check run, the console page or the deployment this is about. */
  url?: string;
  /** For `waiting`: the people or teams whose action would count. */
  whoCanApprove?: string[];
  /** For `waiting` and `blocked`: the rule codes that hold the release. */
  codes?: string[];
  /** For `verified` and `verification_failed`. */
  measurements?: ReleaseEventMeasurement[];
  /** For `rolled_back`: the deployment that failed. */
  rollbackOf?: number;
}

/** Where events go. `publish` never throws and never waits on delivery. */
export interface ReleaseEventSink {
  publish(event: ReleaseEvent): void;
}

export const discardEvents: ReleaseEventSink = { publish() {} };
