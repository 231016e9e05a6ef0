/**
 * chat.postMessage with the app's bot token: how a run reports back once its response_url has
 * expired or is used up. fetch rather than @slack/web-api: that client is only a devDependency
 * (through @slack/bolt), and one JSON POST does not warrant a runtime dependency.
 *
 * Slack's Web API answers HTTP 200 with `{"ok": false, "error": "<code>"}` on failure, and HTTP 429
 * with a Retry-After header (seconds) when rate limited (docs.slack.dev/reference/methods/chat.postMessage,
 * docs.slack.dev/apis/web-api/rate-limits). A rate-limited post is retried once when Slack asks for
 * a short wait; no error is retried beyond that.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';

const AUTHORIZATION = 'authorization';
const CONTENT_TYPE = 'content-type';
const RETRY_AFTER = 'retry-after';

export const CHAT_POST_MESSAGE_URL = 'https://slack.com/api/chat.postMessage';
/** Longer waits are not worth holding a follow-up for: it is reported as rate limited instead. */
const MAX_RETRY_AFTER_SECONDS = 10;

const answer = z.looseObject({ ok: z.boolean(), error: z.string().optional() });

export type PostOutcome = { readonly ok: true } | { readonly ok: false; readonly error: string; readonly retryAfterSeconds?: number };

export async function postMessage(botToken: string, message: { channel: string; text: string }, wait: (ms: number) => Promise<unknown> = delay): Promise<PostOutcome> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(CHAT_POST_MESSAGE_URL, {
      method: 'POST',
      headers: { [AUTHORIZATION]: `Bearer ${botToken}`, [CONTENT_TYPE]: 'application/json; charset=utf-8' },
      body: JSON.stringify(message),
      redirect: 'error',
      signal: AbortSignal.timeout(5000),
    });
    // Bodies are read to the end rather than cancelled; they are small JSON, and msw (the tests' Slack) never settles a cancel.
    const text = await response.text();
    if (response.status === 429) {
      const retryAfterSeconds = Number(response.headers.get(RETRY_AFTER));
      const valid = Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 0;
      if (attempt === 1 && valid && retryAfterSeconds <= MAX_RETRY_AFTER_SECONDS) {
        await wait(retryAfterSeconds * 1000);
        continue;
      }
      return { ok: false, error: 'ratelimited', ...(valid && { retryAfterSeconds }) };
    }
    if (response.status !== 200) {
      // Slack's Web API uses no other status on purpose; anything else is a proxy or an outage.
      throw new Error(`Slack answered ${response.status} to chat.postMessage`);
    }
    const parsed = answer.safeParse(parseJson(text));
    if (!parsed.success) throw new Error('Slack answered chat.postMessage with something that is not its JSON answer');
    return parsed.data.ok ? { ok: true } : { ok: false, error: parsed.data.error ?? 'unknown_error' };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
