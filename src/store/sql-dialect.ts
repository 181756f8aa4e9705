/** The two databases the record runs on. */
export type DatabaseProvider = 'sqlite' | 'postgresql';

/**
 * Raw SQL written once, for PostgreSQL, and read by either provider: numbered placeholders
 * (`$1` on PostgreSQL, `?1` on SQLite), `GREATEST` (SQLite's two-argument `MAX`), and row
 * locks (SQLite has one writer at a time, so `FOR UPDATE SKIP LOCKED` is dropped).
 */
export function sqlFor(provider: DatabaseProvider): (text: string) => string {
  if (provider === 'postgresql') return (text) => text;
  // The statements are a few dozen texts run over and over: each is rewritten once.
  const rewritten = new Map<string, string>();
  return (text) => {
    let sqlite = rewritten.get(text);
    if (sqlite === undefined) {
      sqlite = text
        .replace(/\$(\d+)(::bigint)?/g, '?$1')
        .replace(/GREATEST\(/g, 'MAX(')
        .replace(/ FOR UPDATE SKIP LOCKED/g, '');
      if (rewritten.size >= 1000) rewritten.clear();
      rewritten.set(text, sqlite);
    }
    return sqlite;
  };
}

/** True for Prisma's unique-constraint violation (P2002). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'P2002';
}
