import type { Delivery, FollowUpResult, ResponseSpec, RunProgress } from '../../core/connector-kit.js';
import type { SlackParams } from './params.js';
import { isInteraction, isSlashCommand, isUrlVerification, type SlackPayload } from './payload.js';
import { postMessage } from './post-message.js';
import { createResponseUrlBudget, RESPONSE_URL_MAX_USES } from './response-url-budget.js';

const EMPTY: ResponseSpec = { status: 200 };

/**
 * url_verification is echoed (Events API setup); the SSL probe and app_rate_limited (Slack's
 * notice that events are being dropped; it is in the trigger log as a handshake) get an empty 200.
 */
export function handshakeSlack(delivery: Delivery<SlackPayload>): ResponseSpec | undefined {
  if (delivery.kind === 'ssl_check' || delivery.kind === 'app_rate_limited') return EMPTY;
  const { payload } = delivery;
  if (isUrlVerification(payload)) return { status: 200, json: { challenge: payload.challenge } };
  return undefined;
}

/** A slash command gets an ephemeral message inside Slack's 3 s; everything else an empty 200. */
export function acceptedSlack(runId: string, { payload }: Delivery<SlackPayload>, params: SlackParams): ResponseSpec {
  if (!isSlashCommand(payload)) return EMPTY;
  const text = params.ack_text.replaceAll('{run_id}', runId).replaceAll('{command}', payload.command).replaceAll('{text}', payload.text);
  return { status: 200, json: { response_type: 'ephemeral', text } };
}

/** Filtered out: the user sees why (ephemeral), and Slack does not retry. */
export function ignoredSlack(reason: string, { payload }: Delivery<SlackPayload>): ResponseSpec {
  return isSlashCommand(payload) ? { status: 200, json: { response_type: 'ephemeral', text: `Not run: ${reason}` } } : EMPTY;
}

/**
 * Paused: a slash command's user sees why in Slack (an ephemeral 200: Slack shows any other
 * status as a bare "failed with the error http_client_error"); an event gets an empty 200, as
 * Slack disables event subscriptions that keep failing and retries only three times anyway.
 */
export function pausedSlack({ payload }: Delivery<SlackPayload>): ResponseSpec {
  return isSlashCommand(payload) ? { status: 200, json: { response_type: 'ephemeral', text: 'Not run: this trigger is paused in hooklaunch.' } } : EMPTY;
}

const PHASE_TEXT: Record<RunProgress['phase'], string> = {
  started: ':hourglass_flowing_sand: Run {run_id} started',
  failed: ':x: Run {run_id} failed',
  completed: ':white_check_mark: Run {run_id} completed',
};

/** Only this process's count: see response-url-budget.ts for what happens across restarts. */
const responseUrls = createResponseUrlBudget();

/** What Slack's chat.postMessage errors mean for the operator (docs.slack.dev/reference/methods/chat.postMessage). */
const POST_ERROR_HINTS: Readonly<Record<string, string>> = {
  not_in_channel: 'the bot is not in the channel: invite it, or give the app the chat:write.public scope',
  channel_not_found: 'the bot cannot see the channel (a private channel or DM it is not in)',
  missing_scope: 'the bot token lacks the chat:write scope',
  invalid_auth: 'bot_token is not valid',
  not_authed: 'bot_token is not valid',
  token_revoked: 'bot_token was revoked',
  account_inactive: 'bot_token belongs to a deleted app or workspace',
};

/**
 * Posts progress to the command's response_url while Slack still honours it (30 minutes, 5 uses),
 * then, with a `bot_token`, to the command's channel through chat.postMessage; without one the
 * follow-up is dropped and the reason returned for the run's info. Only hosts in
 * `response_url_hosts` are called, so a payload cannot make hooklaunch send requests elsewhere;
 * neither the URL nor the token is ever logged.
 */
export async function followUpSlack(progress: RunProgress, { payload }: Delivery<SlackPayload>, params: SlackParams): Promise<FollowUpResult | void> {
  if (!params.follow_up) return;
  const target = typeof payload.response_url === 'string' ? payload.response_url : undefined;
  if (!target || !isAllowedResponseUrl(target, params.response_url_hosts)) return;
  const text = [PHASE_TEXT[progress.phase].replace('{run_id}', progress.runId), ...progress.details.map((d) => `• ${d}`)].join('\n');

  let why: string;
  const verdict = responseUrls.take(progress.runId, progress.acceptedAtMs, progress.atMs);
  if (verdict === 'usable') {
    const response = await fetch(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
      signal: AbortSignal.timeout(5000),
    });
    // Read, not cancelled: Slack's answer is a word ("ok", "expired_url", "used_url") worth reporting.
    const said = slackWord(await response.text());
    if (response.ok) return { sent: 'response_url' };
    // A 4xx is Slack refusing the URL (used up before a restart, or by another instance): the bot can still answer.
    if (response.status >= 500 || response.status < 400 || !params.bot_token) throw new Error(`Slack answered ${response.status}${said} to a follow-up message`);
    why = `response_url refused (HTTP ${response.status}${said})`;
  } else {
    why = verdict === 'expired' ? 'response_url expired (after 30 min)' : `response_url used ${RESPONSE_URL_MAX_USES} times`;
  }

  if (!params.bot_token) return { dropped: `${why} and no bot_token configured` };
  const channel = channelOf(payload);
  if (!channel) return { dropped: `${why} and the delivery names no channel to post to` };
  const user = userOf(payload);
  const posted = await postMessage(params.bot_token, { channel, text: user ? `<@${user}> ${text}` : text });
  if (posted.ok) return { sent: 'chat.postMessage' };
  const hint = posted.error === 'ratelimited' ? `rate limited${posted.retryAfterSeconds !== undefined ? `, retry after ${posted.retryAfterSeconds} s` : ''}` : POST_ERROR_HINTS[posted.error];
  return { dropped: `${why}; chat.postMessage failed: ${posted.error}${hint ? ` (${hint})` : ''}` };
}

/** Slack's short answer, when it is one word; anything else (an HTML error page) is left out. */
function slackWord(text: string): string {
  const word = text.trim();
  return /^[a-z_]{1,40}$/.test(word) ? ` ${word}` : '';
}

function channelOf(payload: SlackPayload): string | undefined {
  if (isSlashCommand(payload)) return payload.channel_id;
  if (isInteraction(payload)) return payload.channel?.id;
  return undefined;
}

function userOf(payload: SlackPayload): string | undefined {
  if (isSlashCommand(payload)) return payload.user_id;
  if (isInteraction(payload)) return payload.user.id;
  return undefined;
}

export function isAllowedResponseUrl(url: string, hosts: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // Real Slack hosts need https; an operator-listed loopback sink (tests) may be plain http.
  const loopback = parsed.hostname === '127.0.0.1' || parsed.hostname === 'localhost';
  if (parsed.protocol !== 'https:' && !(loopback && parsed.protocol === 'http:')) return false;
  return hosts.includes(parsed.host) || hosts.includes(parsed.hostname);
}
