/**
 * Drift of a trigger's recent accepted payloads against its schema, read from the store (the
 * trigger log names the runs, each run keeps its payload): what `codegen --check` reports and the
 * trigger's page shows. Bodies are decoded the way the generic parsers decode them.
 */
import type { ExecutionStore, TriggerLog } from '../store/store.js';
import { decodeJsonOrForm } from './payload-encoding.js';
import { payloadDrift, type Drift, type DriftSample } from './payload-drift.js';
import type { JsonSchema } from './schema-model.js';

/** How many accepted payloads are read when none is asked for. */
export const RECENT_PAYLOADS = 50;

export interface RecentPayloads {
  readonly samples: readonly DriftSample[];
  /** Requests whose stored body is not JSON or form fields (left out). */
  readonly undecodable: readonly string[];
}

/** The last `limit` payloads the trigger accepted, newest first (purged runs are skipped). */
export async function acceptedPayloads(store: TriggerLog & ExecutionStore, triggerId: string, limit = RECENT_PAYLOADS): Promise<RecentPayloads> {
  const entries = await store.listLog({ triggerId, outcome: 'accepted', limit });
  const samples: DriftSample[] = [];
  const undecodable: string[] = [];
  for (const entry of entries) {
    if (entry.runId === undefined) continue;
    const stored = await store.getPayload(entry.runId);
    if (!stored) continue;
    try {
      samples.push({ requestId: entry.requestId, payload: decodeJsonOrForm(stored.body) });
    } catch {
      undecodable.push(entry.requestId);
    }
  }
  return { samples, undecodable };
}

export async function recentDrift(store: TriggerLog & ExecutionStore, triggerId: string, schema: JsonSchema, limit = RECENT_PAYLOADS): Promise<{ readonly checked: number; readonly drift: readonly Drift[] }> {
  const { samples } = await acceptedPayloads(store, triggerId, limit);
  return { checked: samples.length, drift: payloadDrift(schema, samples) };
}
