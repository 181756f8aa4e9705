/**
 * How rows go in and out of the database's columns, for every aggregate of the record:
 * JSON text, GitHub ids kept as `BigInt`, optional fields that keep stored values, and the
 * bound on keys a query may be given.
 */

/** At most this many rows answer one deployment query: a decision never reads a repository's history. */
export const DEPLOYMENT_QUERY_LIMIT = 200;

export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function fromJson(text: string | null): unknown {
  if (text === null) return null;
  return JSON.parse(text) as unknown;
}

export function num(value: bigint): number;
export function num(value: bigint | null): number | null;
export function num(value: bigint | null): number | null {
  return value === null ? null : Number(value);
}

/** Drops keys whose value is undefined or null, so updates keep stored values. */
export function given<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null)) as Partial<T>;
}

/** Bounds a list of keys taken from a request (never from history). */
export function bounded<T>(list: readonly T[]): T[] {
  if (list.length > DEPLOYMENT_QUERY_LIMIT)
    throw new Error(`A store query was given ${list.length} keys; at most ${DEPLOYMENT_QUERY_LIMIT} are allowed.`);
  return [...list];
}
