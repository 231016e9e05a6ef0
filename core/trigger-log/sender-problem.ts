/**
 * Whether a trigger's sender is set up so that nothing it sends can launch (a connector refused a
 * delivery with `sender_misconfigured`, e.g. Datadog's default payload). Read from the trigger log,
 * so the web page and `hooklaunch check` (another process) see the same thing.
 */
import type { LogOutcome, TriggerLog } from '../store/store.js';

export interface SenderProblem {
  /** What is wrong and how to fix it, as the connector put it. */
  readonly message: string;
  readonly lastAtMs: number;
}

/** Outcomes that show the sender now sends what the connector reads. */
const FIXED: readonly LogOutcome[] = ['accepted', 'batched', 'duplicate', 'ignored'];

/** The latest such refusal, unless a delivery accepted or filtered since shows it was fixed. */
export async function senderProblem(store: TriggerLog, triggerId: string): Promise<SenderProblem | undefined> {
  const [refused] = await store.listLog({ triggerId, code: 'sender_misconfigured', limit: 1 });
  if (!refused) return undefined;
  for (const outcome of FIXED) {
    const [later] = await store.listLog({ triggerId, outcome, limit: 1 });
    if (later && later.seq > refused.seq) return undefined;
  }
  return { message: refused.message ?? 'the sender is misconfigured', lastAtMs: refused.receivedAtMs };
}
