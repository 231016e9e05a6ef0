/**
 * Where the embedded store's dedupe rows are, by key, in memory: the `dedupe` table itself is
 * append-only (no index on its keys), and a lookup goes to the table only to confirm a candidate.
 *
 * Why (issue #14, measured): dedupe keys are random (GitHub delivery ids, body hashes, Slack
 * trigger_ids), so a B-tree on them puts every insert on a random page, and a group commit wrote
 * each of those pages whole into the WAL: 29-54 µs per key against 4.6 µs appended, one key per
 * Slack accept and two per GitHub push. The store has one writer (the serve lock), as its rate
 * windows already assume, so this process sees every row it must know.
 *
 * Memory: a 30-bit hash of (trigger, key) to the rows' rowids, about 40 bytes per live key (a
 * million keys, ~40 MB) rather than the keys themselves; a hash shared by several keys is told
 * apart by reading the candidate rows. Rows leave with the purge of expired keys.
 */
export class DedupeIndex {
  /** Hash → rowid, or the rowids of every row whose (trigger, key) has that hash. */
  private readonly rows = new Map<number, number | number[]>();

  /** The rowids that may hold this (trigger, key), newest last. */
  candidates(triggerId: string, key: string): readonly number[] {
    const found = this.rows.get(hashOf(triggerId, key));
    return found === undefined ? NONE : typeof found === 'number' ? [found] : found;
  }

  add(triggerId: string, key: string, rowid: number): void {
    const hash = hashOf(triggerId, key);
    const found = this.rows.get(hash);
    if (found === undefined) this.rows.set(hash, rowid);
    else if (typeof found === 'number') this.rows.set(hash, [found, rowid]);
    else found.push(rowid);
  }

  remove(triggerId: string, key: string, rowid: number): void {
    const hash = hashOf(triggerId, key);
    const found = this.rows.get(hash);
    if (found === rowid) this.rows.delete(hash);
    else if (Array.isArray(found)) {
      const left = found.filter((r) => r !== rowid);
      if (left.length === 0) this.rows.delete(hash);
      else this.rows.set(hash, left.length === 1 ? left[0]! : left);
    }
  }

  get size(): number {
    return this.rows.size;
  }
}

const NONE: readonly number[] = [];

/**
 * FNV-1a over the UTF-16 code units of trigger, NUL, key, to 30 bits (a small integer V8 keeps
 * unboxed as a Map key). Hand-written: node:crypto's digests cost a microsecond and a Buffer per
 * key, and this hash never leaves the process, so it needs no stability across versions.
 */
export function hashOf(triggerId: string, key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < triggerId.length; i++) hash = Math.imul(hash ^ triggerId.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash, 0x01000193); // the NUL between them
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash & 0x3fffffff;
}
