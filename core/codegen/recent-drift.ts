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

/**
 * The last `limit` payloads the trigger accepted, newest first (purged ones are skipped). A batched
 * trigger's deliveries are logged `batched` (issue #17): each is read through its request, whose body
 * is its own batch item, not its batch's run (batch.jsonl, or none until the batch launches).
 */
export async function acceptedPayloads(store: TriggerLog & ExecutionStore, triggerId: string, limit = RECENT_PAYLOADS): Promise<RecentPayloads> {
  const [accepted, batched] = await Promise.all([store.listLog({ triggerId, outcome: 'accepted', limit }), store.listLog({ triggerId, outcome: 'batched', limit })]);
  const entries = batched.length === 0 ? accepted : [...accepted, ...batched].sort((a, b) => b.seq - a.seq).slice(0, limit);
  const samples: DriftSample[] = [];
  const undecodable: string[] = [];
  for (const entry of entries) {
    if (entry.runId === undefined) continue;
    // A request's stored body: an accepted one's is its run's payload, a batched one's its batch item.
    const body = (await store.getRequest(entry.requestId))?.raw.body;
    if (!body) continue;
    try {
      samples.push({ requestId: entry.requestId, payload: decodeJsonOrForm(body) });
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
