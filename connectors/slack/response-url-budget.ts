/**
 * Slack honours a command's response_url for 30 minutes and at most 5 posts ("up to 5 times within
 * 30 minutes", api.slack.com/interactivity/handling#message_responses). This decides, per run,
 * whether the next follow-up may still use it.
 *
 * Uses are counted in this process's memory: never more than 5 per run here. After a restart, or
 * when another instance reports on the same run, the count starts again, so Slack may see a sixth
 * post; it refuses it, and the follow-up falls back to chat.postMessage (or is dropped) as an
 * expired one does.
 */
export const RESPONSE_URL_LIFETIME_MS = 30 * 60_000;
export const RESPONSE_URL_MAX_USES = 5;
/** A minute short of Slack's 30: a post sent at 29:59 could arrive after the URL expired. */
const USABLE_FOR_MS = RESPONSE_URL_LIFETIME_MS - 60_000;

export type ResponseUrlVerdict = 'usable' | 'expired' | 'used_up';

export interface ResponseUrlBudget {
  /** Whether the run's response_url may be used now; a `usable` answer counts as one use. */
  take(runId: string, acceptedAtMs: number, nowMs: number): ResponseUrlVerdict;
}

export function createResponseUrlBudget(): ResponseUrlBudget {
  const uses = new Map<string, { readonly acceptedAtMs: number; count: number }>();
  return {
    take(runId, acceptedAtMs, nowMs) {
      // A run past the lifetime never uses its URL again: forgetting it keeps the map to the last 30 minutes' runs.
      for (const [id, entry] of uses) if (nowMs - entry.acceptedAtMs >= USABLE_FOR_MS) uses.delete(id);
      if (nowMs - acceptedAtMs >= USABLE_FOR_MS) return 'expired';
      const entry = uses.get(runId) ?? { acceptedAtMs, count: 0 };
      if (entry.count >= RESPONSE_URL_MAX_USES) return 'used_up';
      entry.count++;
      uses.set(runId, entry);
      return 'usable';
    },
  };
}
