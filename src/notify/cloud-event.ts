import { createHmac } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import type { ReleaseEvent, ReleaseEventKind } from '../core/release-events.js';

/**
 * Release events as CloudEvents 1.0 (structured mode) whose data is a CDEvent (spec 0.4.1):
 * `deployed` and `rolled_back` are CDEvents' service events, the verification is a test suite
 * run in the environment, and what has no CDEvents type (a gate waiting or blocking, a
 * promotion) is a `dev.cdeventsx.releasegate-*` custom event, as CDEvents' custom-events
 * section asks.
 */
export const CDEVENTS_SPEC_VERSION = '0.4.1';

/** The header carrying `sha256=<hex HMAC-SHA256 of the body with the channel's secret>`. */
export const SIGNATURE_HEADER = 'x-release-gate-signature';

export const CDEVENT_TYPES: Record<ReleaseEventKind, string> = {
  deployed: 'dev.cdevents.service.deployed.0.2.0',
  rolled_back: 'dev.cdevents.service.rolledback.0.2.0',
  verifying: 'dev.cdevents.testsuiterun.started.0.2.0',
  verified: 'dev.cdevents.testsuiterun.finished.0.2.0',
  verification_failed: 'dev.cdevents.testsuiterun.finished.0.2.0',
  waiting: 'dev.cdeventsx.releasegate-gate.waiting.0.1.0',
  blocked: 'dev.cdeventsx.releasegate-gate.blocked.0.1.0',
  promoted: 'dev.cdeventsx.releasegate-promotion.created.0.1.0',
};

/** The CloudEvent's `source`: the repository, as a URI reference. */
export function eventSource(event: ReleaseEvent): string {
  return `/repos/${event.repository.owner}/${event.repository.repo}`;
}

/** The release as a package URL (CDEvents' `artifactId`). */
export function artifactId(event: ReleaseEvent): string {
  const owner = encodeURIComponent(event.repository.owner.toLowerCase());
  const repo = encodeURIComponent(event.repository.repo.toLowerCase());
  return `pkg:github/${owner}/${repo}@${event.sha}`;
}

function subjectOf(event: ReleaseEvent): Record<string, unknown> {
  const source = eventSource(event);
  const environment = { id: event.environment, source };
  switch (event.kind) {
    case 'deployed':
    case 'rolled_back':
      return {
        id: `${source}/${event.stage}`,
        source,
        type: 'service',
        content: { environment, artifactId: artifactId(event) },
      };
    case 'verifying':
    case 'verified':
    case 'verification_failed':
      return {
        id: `verify-${event.deploymentId ?? event.id}`,
        source,
        type: 'testSuiteRun',
        content: {
          environment,
          testSuite: { id: `verify-${event.stage}`, name: `Release gate / verify ${event.stage}` },
          // A run that finished says how; one that started says nothing yet.
          ...(event.kind === 'verified' ? { outcome: 'pass' } : {}),
          ...(event.kind === 'verification_failed'
            ? { outcome: 'fail', severity: 'critical', reason: event.summary }
            : {}),
        },
      };
    case 'waiting':
    case 'blocked':
    case 'promoted':
      return {
        id: `${source}/${event.sha}/${event.environment}`,
        source,
        type: event.kind === 'promoted' ? 'releasegate-promotion' : 'releasegate-gate',
        content: {
          stage: event.stage,
          environment: event.environment,
          artifactId: artifactId(event),
          ...(event.whoCanApprove ? { whoCanApprove: event.whoCanApprove } : {}),
          ...(event.codes ? { codes: event.codes } : {}),
          ...(event.deploymentId !== undefined ? { deploymentId: event.deploymentId } : {}),
        },
      };
  }
}

/** The CDEvent (the CloudEvent's data) for a release event. */
export function cdEvent(event: ReleaseEvent): Record<string, unknown> {
  const type = CDEVENT_TYPES[event.kind];
  return {
    context: {
      version: CDEVENTS_SPEC_VERSION,
      id: event.id,
      source: eventSource(event),
      type,
      timestamp: event.at.toISOString(),
    },
    subject: subjectOf(event),
    customData: {
      summary: event.summary,
      sha: event.sha,
      ...(event.version ? { version: event.version } : {}),
      ...(event.url ? { url: event.url } : {}),
      ...(event.deploymentId !== undefined ? { deploymentId: event.deploymentId } : {}),
      ...(event.rollbackOf !== undefined ? { rollbackOf: event.rollbackOf } : {}),
      ...(event.measurements ? { measurements: event.measurements } : {}),
    },
    customDataContentType: 'application/json',
  };
}

/** The HTTP request for a release event: a structured-mode CloudEvent, signed. */
export function cloudEventRequest(
  event: ReleaseEvent,
  secret: string,
): { headers: Record<string, string>; body: string } {
  const ce = new CloudEvent({
    specversion: '1.0',
    id: event.id,
    source: eventSource(event),
    type: CDEVENT_TYPES[event.kind],
    time: event.at.toISOString(),
    subject: `${event.sha}/${event.environment}`,
    datacontenttype: 'application/json',
    data: cdEvent(event),
  });
  const message = HTTP.structured(ce);
  const body = String(message.body);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(message.headers)) if (typeof v === 'string') headers[k] = v;
  headers[SIGNATURE_HEADER] = signBody(body, secret);
  return { headers, body };
}

/** `sha256=` and the hex HMAC-SHA256 of the body under the secret (what receivers compare in constant time). */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}
