/**
 * The triggers a process serves right now. Both halves can change while it runs: the file-managed
 * ones on SIGHUP, the API-managed ones when the store's revision moves. A request takes its
 * trigger once (`get`) and keeps that object to the end, so it finishes under the revision it
 * started with while the next request sees the new one.
 */
import type { TriggerDef } from '../store/store.js';
import type { CompiledTrigger } from './compile-trigger.js';

export type TriggerSource =
  | { readonly kind: 'file'; readonly file: string; readonly line?: number | undefined; /** As written, `${env:…}` unresolved. */ readonly written: unknown }
  | { readonly kind: 'api'; readonly def: TriggerDef };

export type LiveTrigger = CompiledTrigger & { readonly source: TriggerSource };

export interface TriggerSet {
  get(id: string): LiveTrigger | undefined;
  has(id: string): boolean;
  /** File-managed first (in file order), then API-managed by id. */
  all(): LiveTrigger[];
  readonly size: number;
  /** The newest store revision applied (0: none). */
  readonly revision: number;
}

export interface MutableTriggerSet extends TriggerSet {
  /** Replaces every file-managed trigger (a reloaded hooklaunch.yaml). */
  setFile(triggers: readonly LiveTrigger[]): void;
  /** Replaces every API-managed trigger, as of store revision `revision`. */
  setStored(triggers: readonly LiveTrigger[], revision: number): void;
}

export function createTriggerSet(): MutableTriggerSet {
  let file = new Map<string, LiveTrigger>();
  let stored = new Map<string, LiveTrigger>();
  let revision = 0;
  // A file-managed trigger wins over a stored one with the same id: the file is what the operator reviewed.
  const get = (id: string): LiveTrigger | undefined => file.get(id) ?? stored.get(id);
  return {
    get,
    has: (id) => get(id) !== undefined,
    all: () => [...file.values(), ...[...stored.values()].filter((t) => !file.has(t.id))],
    get size() {
      return file.size + [...stored.keys()].filter((id) => !file.has(id)).length;
    },
    get revision() {
      return revision;
    },
    setFile(triggers) {
      file = new Map(triggers.map((t) => [t.id, t]));
    },
    setStored(triggers, at) {
      stored = new Map(triggers.map((t) => [t.id, t]));
      revision = at;
    },
  };
}
