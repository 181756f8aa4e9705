/**
 * The policy keys of what happens after a deploy: a stage's `verify` (measurements of live
 * signals from data sources the operator configured), `rollback` and `rollbackDuringFreeze`,
 * and the policy's `notify` channels (named by the operator's variable names). Composed into
 * `policy-schema.ts`; their checks beyond the schema are {@link checkVerifyStage}.
 */
import { DURATION_FORM, DURATION_PATTERN, parseDuration } from '../time-values.js';
import type { Segment } from './problems.js';
import { isRecord, show } from './problems.js';

/** Bounds of a stage's verification: a verification holds a queue row and a check run while it runs. */
export const VERIFY_LIMITS = {
  /** The longest watch after a deploy. */
  duration: { ms: 24 * 3_600_000, text: '24h' },
  /** The shortest time between two measurements. */
  minIntervalMs: 1_000,
  /** Measurements of one check in one verification, at most (duration / interval). */
  rounds: 1_440,
  checks: 20,
  failureLimit: 100,
} as const;

const text = { type: 'string', minLength: 1, maxLength: 256 } as const;
const queryText = { type: 'string', minLength: 1, maxLength: 4_096 } as const;
/** An operator's variable name: never a URL or a secret in a repository. */
const variableName = {
  type: 'string',
  pattern: '^[A-Z][A-Z0-9_]{0,127}$',
  description: "The name of an environment variable of the App's operator (e.g. SLACK_WEBHOOK_URL), never a URL.",
} as const;

const checkSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'source'],
  properties: {
    name: { ...text, description: 'Shown in the check run and the incident issue.' },
    source: {
      ...text,
      description:
        'A data source the operator configured, by name: "prometheus" (PROMETHEUS_URL) or one named in the RELEASE_GATE_SOURCES file. Never a URL.',
    },
    query: { ...queryText, description: 'A PromQL instant query (Prometheus sources), with max and/or min.' },
    max: { type: 'number', description: 'The measured value must be at most this.' },
    min: { type: 'number', description: 'The measured value must be at least this.' },
    path: {
      type: 'string',
      pattern: '^/[^\\s]{0,1023}$',
      description: "The path asked of an HTTP source, appended to the source's URL (default: the URL itself).",
    },
    expectStatus: {
      type: 'integer',
      minimum: 100,
      maximum: 599,
      description: 'HTTP sources: the status the probe must answer.',
    },
    jsonPath: {
      type: 'string',
      pattern: '^\\$(\\.[A-Za-z0-9_-]+|\\[[0-9]+\\])*$',
      description:
        'HTTP sources: where in the JSON answer the value is ($.status, $.checks[0].ok); compared with equals, or with max/min when a number.',
    },
    equals: {
      type: ['string', 'number', 'boolean'],
      description: 'HTTP sources: the value at jsonPath must be this.',
    },
  },
} as const;

/** The stage keys (`verify`, `rollback`, `rollbackDuringFreeze`) as schema properties. */
export const verifyStageProperties = {
  verify: {
    type: 'object',
    additionalProperties: false,
    required: ['duration', 'interval', 'checks'],
    description:
      "Watch live signals after a deployment of this stage succeeds; a later stage then needs this stage verified, not only deployed. A 'Release gate / verify <STAGE>' check run shows each measurement.",
    properties: {
      duration: {
        type: 'string',
        pattern: DURATION_PATTERN,
        description: `How long to watch after the deployment's success (at most ${VERIFY_LIMITS.duration.text}): ${DURATION_FORM}.`,
      },
      interval: {
        type: 'string',
        pattern: DURATION_PATTERN,
        description: `Time between measurements (at least 1s, at most the duration): ${DURATION_FORM}.`,
      },
      failureLimit: {
        type: 'integer',
        minimum: 0,
        maximum: VERIFY_LIMITS.failureLimit,
        description: 'Failed measurement rounds tolerated; one more fails the verification (default 0).',
      },
      noData: {
        enum: ['inconclusive', 'fail', 'pass'],
        description:
          'What an empty, NaN or unreachable measurement means (default inconclusive): inconclusive (more such rounds than failureLimit make the verification inconclusive), fail (a failed measurement) or pass. A check that never had data is never a pass.',
      },
      checks: {
        type: 'array',
        minItems: 1,
        maxItems: VERIFY_LIMITS.checks,
        items: checkSchema,
        description: 'The measurements of each round.',
      },
    },
  },
  rollback: {
    enum: ['auto', 'propose', 'off'],
    description:
      'When verification fails: auto deploys the last release verified in this environment at once; propose opens an incident with the /release-gate rollback command; off only reports (default off).',
  },
  rollbackDuringFreeze: {
    type: 'boolean',
    description: "A rollback is let through during this stage's freeze windows (default true).",
  },
} as const;

/** The policy's `notify` key: channels by the operator's variable names. */
export const notifyProperty = {
  notify: {
    type: 'object',
    additionalProperties: false,
    description:
      'Where the App tells people about releases: channels named by the operator’s variable names, never URLs or secrets.',
    properties: {
      slack: { ...variableName, description: 'The variable holding a Slack incoming-webhook URL (SLACK_WEBHOOK_URL).' },
      webhook: {
        ...variableName,
        description: 'The variable holding the URL of a CloudEvents receiver (RELEASE_EVENTS_URL).',
      },
    },
  },
} as const;

/** The defaults of the stage keys, as a policy file would write them. */
export const VERIFY_STAGE_DEFAULTS = {
  verify: null as null | Record<string, unknown>,
  rollback: 'off' as 'auto' | 'propose' | 'off',
  rollbackDuringFreeze: true,
};

/** What the value checks need of the loader: a way to report a problem at a path. */
export interface VerifyCheckSink {
  error(segs: Segment[], message: string): void;
}

/** What a schema cannot say of a stage's `verify`: durations, their bounds and order, each check's form. */
export function checkVerifyStage(segs: Segment[], verify: unknown, sink: VerifyCheckSink): void {
  if (!isRecord(verify)) return;
  const duration = parseDuration(verify.duration);
  const interval = parseDuration(verify.interval);
  if (typeof verify.duration === 'string') {
    if (!duration.ok) sink.error([...segs, 'duration'], `verify.duration ${duration.error}`);
    else if (duration.ms === 0) sink.error([...segs, 'duration'], 'verify.duration must be longer than 0s');
    else if (duration.ms > VERIFY_LIMITS.duration.ms)
      sink.error(
        [...segs, 'duration'],
        `verify.duration is ${show(verify.duration)}, longer than the maximum of ${VERIFY_LIMITS.duration.text}; write ${VERIFY_LIMITS.duration.text} or less`,
      );
  }
  if (typeof verify.interval === 'string') {
    if (!interval.ok) sink.error([...segs, 'interval'], `verify.interval ${interval.error}`);
    else if (interval.ms < VERIFY_LIMITS.minIntervalMs)
      sink.error([...segs, 'interval'], `verify.interval is ${show(verify.interval)}; write 1s or more`);
    else if (duration.ok && interval.ms > duration.ms)
      sink.error(
        [...segs, 'interval'],
        `verify.interval ${show(verify.interval)} is longer than verify.duration ${show(verify.duration)}: no measurement would be taken`,
      );
    else if (
      duration.ok &&
      duration.ms <= VERIFY_LIMITS.duration.ms &&
      duration.ms / interval.ms > VERIFY_LIMITS.rounds
    )
      sink.error(
        [...segs, 'interval'],
        `verify.interval ${show(verify.interval)} takes ${Math.floor(duration.ms / interval.ms)} measurements over ${show(verify.duration)}, more than ${VERIFY_LIMITS.rounds}; measure less often`,
      );
  }
  const checks = Array.isArray(verify.checks) ? verify.checks : [];
  const seen = new Set<string>();
  checks.forEach((c, i) => {
    if (!isRecord(c)) return;
    const at: Segment[] = [...segs, 'checks', i];
    const label = `verify check ${show(c.name)}`;
    if (typeof c.name === 'string') {
      if (seen.has(c.name)) sink.error([...at, 'name'], `${label} is named twice; give each check its own name`);
      seen.add(c.name);
    }
    if (typeof c.query === 'string') {
      if (c.min === undefined && c.max === undefined)
        sink.error(at, `${label} has a query but neither max nor min: say what a good value is (max: 0.01)`);
      for (const key of ['expectStatus', 'jsonPath', 'equals', 'path'] as const)
        if (key in c)
          sink.error([...at, key], `${label} has a query (a Prometheus check), which takes no ${key}; leave it out`);
    } else if (c.expectStatus === undefined && c.jsonPath === undefined) {
      sink.error(
        at,
        `${label} has neither a query (a Prometheus check) nor expectStatus or jsonPath (an HTTP check): say what to measure`,
      );
    }
    if (typeof c.path === 'string' && !new RegExp(checkSchema.properties.path.pattern).test(c.path))
      sink.error(
        [...at, 'path'],
        `${label} path ${show(c.path)} is not a path: write it from the source's URL, starting with / (/health)`,
      );
    if (typeof c.jsonPath === 'string' && !new RegExp(checkSchema.properties.jsonPath.pattern).test(c.jsonPath))
      sink.error(
        [...at, 'jsonPath'],
        `${label} jsonPath ${show(c.jsonPath)} is not a JSON path of names and indexes: write $.status or $.checks[0].ok`,
      );
    if ('equals' in c && c.jsonPath === undefined)
      sink.error([...at, 'equals'], `${label} has equals without jsonPath: say where the value is ($.status)`);
    if (typeof c.min === 'number' && typeof c.max === 'number' && c.min > c.max)
      sink.error([...at, 'min'], `${label} has min ${c.min} above max ${c.max}: no value could pass`);
  });
}

/** The policy's `notify`: each channel is an operator's variable name, never a URL or a secret. */
export function checkNotify(notify: unknown, sink: VerifyCheckSink): void {
  if (!isRecord(notify)) return;
  for (const key of ['slack', 'webhook'] as const) {
    const value = notify[key];
    if (typeof value !== 'string' || new RegExp(variableName.pattern).test(value)) continue;
    sink.error(
      ['notify', key],
      `notify.${key} must name one of the App operator's environment variables (SLACK_WEBHOOK_URL), not ${/^[a-z]+:/i.test(value) ? 'a URL: a URL in the repository would be readable by everyone who reads it' : show(value)}`,
    );
  }
}
