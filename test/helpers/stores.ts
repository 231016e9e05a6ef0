/**
 * Every store a behaviour must hold on, for `describe.each(STORES)`: SQLite in a temp folder, and
 * PostgreSQL in a fresh database when HOOKLAUNCH_TEST_POSTGRES_URL is set (skipped, saying why,
 * when not). The same suite on both is what lets PostgreSQL replace SQLite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore } from '../../core/store/postgres/postgres-store.js';
import { openSqliteStore } from '../../core/store/sqlite/sqlite-store.js';
import type { Store } from '../../core/store/store.js';
import { POSTGRES_SKIP, freshDatabase } from './postgres.js';

export interface StoreFactory {
  readonly name: string;
  /** Why this store is skipped here, when it is. */
  readonly skip?: string | undefined;
  readonly open: () => Promise<{ store: Store; cleanup: () => Promise<void> }>;
}

export const STORES: readonly StoreFactory[] = [
  {
    name: 'SQLite',
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hooklaunch-store-'));
      const store = await openSqliteStore(join(dir, 'state.db'));
      return { store, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    skip: POSTGRES_SKIP,
    open: async () => {
      const database = await freshDatabase();
      return { store: await openPostgresStore(database.url, 'test-instance'), cleanup: database.drop };
    },
  },
];
