/** The two databases the record runs on. */
export type DatabaseProvider = 'sqlite' | 'postgresql';

/**
 * Raw SQL written once, for PostgreSQL, and read by either provider: numbered placeholders
 * (`$1` on PostgreSQL, `?1` on SQLite), `GREATEST` (SQLite's two-argument `MAX`), and row
 * locks (SQLite has one writer at a time, so `FOR UPDATE SKIP LOCKED` is dropped).
 */
export function sqlFor(provider: DatabaseProvider): (text: string) => string {
  if (provider === 'postgresql') return (text) => text;
  return (text) =>
    text
      .replace(/\$(\d+)(::bigint)?/g, '?$1')
      .replace(/GREATEST\(/g, 'MAX(')
      .replace(/ FOR UPDATE SKIP LOCKED/g, '');
}

/** True for Prisma's unique-constraint violation (P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}
