import * as rrulePackage from 'rrule';

/**
 * The `rrule` package's `RRule` class, whichever way the package was loaded: Node's ESM
 * loader sees its CommonJS build (everything under `default`), bundlers and CommonJS
 * loaders see named exports.
 */
type RRuleModule = typeof import('rrule');
const loaded = rrulePackage as RRuleModule & { default?: RRuleModule };
export const RRule: RRuleModule['RRule'] = loaded.RRule ?? loaded.default!.RRule;
