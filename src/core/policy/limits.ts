/** What every fragment of the policy schema shares: its bounds and its references. */

/**
 * Sanity bounds: no real policy comes near them, and each keeps the work an evaluation
 * does bounded whatever the file says (the loader says which bound a value passes).
 */
export const POLICY_LIMITS = {
  /** Characters of a name, a pattern or a path. */
  text: 256,
  /** Items of a list of names, patterns or checks. */
  list: 100,
  stages: 50,
  freezeWindows: 100,
  minApprovals: 50,
  /** 30 days. */
  soakMinutes: 43_200,
} as const;

/** A reference to a definition of the policy schema's `$defs`. */
export const ref = (name: string) => ({ $ref: `#/$defs/${name}` }) as const;
