import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';

/** Tells when the SQLite file the App opened is gone, replaced or no longer writable. */
export interface FileGuard {
  /** SQLite: null while the file opened is still at its path and writable, else what is wrong. */
  fileProblem(): string | null;
}

/** No file to watch (PostgreSQL, or SQLite in memory). */
export const NO_FILE: FileGuard = { fileProblem: () => null };

/**
 * Remembers the SQLite file at `path` as opened now, so `health()` can tell when it is gone
 * or replaced. A deleted or replaced file keeps the open handle working, and every write
 * after that is lost at the next start.
 */
export function sqliteFileGuard(path: string): FileGuard {
  const opened = statSync(path);
  const { dev, ino } = opened;
  return {
    fileProblem() {
      let st;
      try {
        st = statSync(path);
      } catch {
        return `The SQLite file ${path} was deleted while the App had it open: writes would be lost. Restore it from a backup and restart the App.`;
      }
      if (st.ino !== ino || st.dev !== dev)
        return `The SQLite file ${path} was replaced while the App had it open: writes would go to the old file. Restart the App.`;
      try {
        accessSync(path, constants.W_OK);
        accessSync(dirname(path), constants.W_OK);
      } catch {
        return `The SQLite file ${path} (or its directory) is not writable: give the App's user write access to both.`;
      }
      return null;
    },
  };
}
