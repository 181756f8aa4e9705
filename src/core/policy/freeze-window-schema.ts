/** The policy schema's time values and freeze windows (`$defs` spread into policy-schema.ts). */
import { WEEKDAYS } from '../types.js';
import {
  DURATION_FORM,
  DURATION_PATTERN,
  LOCAL_DATE_TIME_FORM,
  LOCAL_DATE_TIME_PATTERN,
  WALL_CLOCK_FORM,
  WALL_CLOCK_PATTERN,
} from '../time-values.js';
import { POLICY_LIMITS, ref } from './limits.js';

const windowCommon = {
  name: {
    type: 'string',
    minLength: 1,
    maxLength: POLICY_LIMITS.text,
    description: 'Shown in messages; defaults to the window itself, e.g. "22:00-23:59 America/Sao_Paulo".',
  },
  timezone: ref('timeZone'),
} as const;

/** The properties of a daily window (also those of an Aurora freeze window, with its `env`). */
export const dailyWindowProperties = {
  name: windowCommon.name,
  days: {
    type: 'array',
    items: { enum: [...WEEKDAYS] },
    minItems: 1,
    uniqueItems: true,
    description: 'Local days the window starts on; every day when left out.',
  },
  start: { ...ref('wallClock'), description: `Local start time, inclusive: ${WALL_CLOCK_FORM}.` },
  end: {
    ...ref('wallClock'),
    description: `Local end time, exclusive: ${WALL_CLOCK_FORM}; before start crosses midnight.`,
  },
  timezone: windowCommon.timezone,
} as const;

/** Wall-clock times, local date-times, durations, time zones and the three kinds of freeze window. */
export const freezeWindowDefs = {
  wallClock: { type: 'string', pattern: WALL_CLOCK_PATTERN, description: WALL_CLOCK_FORM },
  localDateTime: { type: 'string', pattern: LOCAL_DATE_TIME_PATTERN, description: LOCAL_DATE_TIME_FORM },
  duration: { type: 'string', pattern: DURATION_PATTERN, description: DURATION_FORM },
  timeZone: {
    type: 'string',
    minLength: 1,
    maxLength: POLICY_LIMITS.text,
    description: 'An IANA time zone, e.g. "Europe/Berlin" or "UTC".',
  },
  dailyWindow: {
    type: 'object',
    description: 'A daily (or weekday) window from start to end, local to timezone.',
    additionalProperties: false,
    required: ['start', 'end', 'timezone'],
    properties: dailyWindowProperties,
  },
  rangeWindow: {
    type: 'object',
    description: 'A one-off window from a local date-time to another.',
    additionalProperties: false,
    required: ['from', 'to', 'timezone'],
    properties: {
      name: windowCommon.name,
      from: { ...ref('localDateTime'), description: `Start, inclusive: ${LOCAL_DATE_TIME_FORM}.` },
      to: { ...ref('localDateTime'), description: `End, exclusive: ${LOCAL_DATE_TIME_FORM}.` },
      timezone: windowCommon.timezone,
    },
  },
  rruleWindow: {
    type: 'object',
    description: 'A recurring window: each occurrence of the RFC 5545 rule starts a window of duration.',
    additionalProperties: false,
    required: ['rrule', 'duration', 'timezone'],
    properties: {
      name: windowCommon.name,
      rrule: {
        type: 'string',
        minLength: 1,
        maxLength: POLICY_LIMITS.text,
        description: 'An RFC 5545 RRULE with FREQ, e.g. "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=12;BYMINUTE=0".',
      },
      duration: {
        ...ref('duration'),
        description: `How long each occurrence lasts (at most 366d): ${DURATION_FORM}.`,
      },
      timezone: windowCommon.timezone,
    },
  },
  freezeWindow: {
    description:
      'A freeze window: daily (start, end), range (from, to) or rrule (rrule, duration), each with a timezone.',
    if: { type: 'object', required: ['rrule'] },
    then: ref('rruleWindow'),
    else: {
      if: { type: 'object', anyOf: [{ required: ['from'] }, { required: ['to'] }] },
      then: ref('rangeWindow'),
      else: ref('dailyWindow'),
    },
  },
} as const;
