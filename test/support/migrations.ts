import { loadMigrationSet } from '../../src/store/migrate.js';

/** The migrations the repository ships, in order (both providers have the same names). */
export const MIGRATIONS: string[] = (await loadMigrationSet('sqlite')).names;
