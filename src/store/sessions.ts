import type { PrismaClient } from './generated/sqlite/client.js';
import type { ConsoleSessionRow, SessionStore } from './types.js';

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
