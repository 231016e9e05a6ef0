import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store.js';

/** Opens the store a `store.url` names: `sqlite:<path>` or `sqlite::memory:`. */
export async function openStore(url: string): Promise<Store> {
  if (url.startsWith('sqlite:')) return openSqliteStore(url.slice('sqlite:'.length));
  throw new Error(`unsupported store URL "${url}": use sqlite:<path>`);
}
