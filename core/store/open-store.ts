import { hostname } from 'node:os';
import { openPostgresStore } from './postgres/postgres-store.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';
import { displayStoreUrl } from './display-store-url.js';

/**
 * Opens the store a `store.url` names: `sqlite:<path>` (one instance), or `postgres://…`
 * (several instances; `instance` names this one, the owner of the executions it runs).
 */
/** Whether `store.url` names a PostgreSQL store. */
export function isPostgresStoreUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

export async function openStore(url: string, instance = process.env.HOOKLAUNCH_INSTANCE ?? hostname()): Promise<Store> {
  if (url.startsWith('sqlite:')) return openSqliteStore(url.slice('sqlite:'.length));
  if (isPostgresStoreUrl(url)) return openPostgresStore(url, instance);
  throw new Error(`unsupported store URL "${displayStoreUrl(url)}": use sqlite:<path> or postgres://user:password@host/database`);
}
