import type { PrismaClient } from './generated/sqlite/client.js';

/** A console session as the record keeps it: the hash of the browser's key, never the key. */
export interface ConsoleSessionRow {
  /** SHA-256 (hex) of the key the browser holds. */
  id: string;
  login: string;
  userId: number;
  /** The user's GitHub token, encrypted by the console (src/console/session.ts). */
  token: string;
  createdAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
}

/** Console sessions, shared by every replica: a session ended on one is ended on all. */
export interface SessionStore {
  createSession(row: Omit<ConsoleSessionRow, 'endedAt'>): Promise<void>;
  /** The session with this id that has not ended and has not expired at `now`, or null. */
  findSession(id: string, now: Date): Promise<ConsoleSessionRow | null>;
  /** Ends the session (sign-out): false when it had ended already or does not exist. */
  endSession(id: string, at: Date): Promise<boolean>;
}

/** The console's sessions on the record's Prisma client (either provider: the model is the same). */
export function sessionStore(db: PrismaClient): SessionStore {
  return {
    async createSession(row) {
      await db.consoleSession.create({ data: { ...row, endedAt: null } });
    },
    async findSession(id: string, now: Date): Promise<ConsoleSessionRow | null> {
      return db.consoleSession.findFirst({ where: { id, endedAt: null, expiresAt: { gt: now } } });
    },
    async endSession(id: string, at: Date): Promise<boolean> {
      const { count } = await db.consoleSession.updateMany({ where: { id, endedAt: null }, data: { endedAt: at } });
      return count > 0;
    },
  };
}
