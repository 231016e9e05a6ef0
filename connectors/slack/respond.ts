import type { Delivery, ResponseSpec, RunProgress } from '../../core/connector-kit.js';
import type { SlackParams } from './params.js';
import { isSlashCommand, isUrlVerification, type SlackPayload } from './payload.js';

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

/**
 * Posts progress to the command's response_url. Only hosts in `response_url_hosts` are called,
 * so a payload cannot make hooklaunch send requests elsewhere; the URL itself is never logged.
 */
export async function followUpSlack(progress: RunProgress, { payload }: Delivery<SlackPayload>, params: SlackParams): Promise<void> {
  if (!params.follow_up) return;
  const target = typeof payload.response_url === 'string' ? payload.response_url : undefined;
  if (!target || !isAllowedResponseUrl(target, params.response_url_hosts)) return;
  const text = [PHASE_TEXT[progress.phase].replace('{run_id}', progress.runId), ...progress.details.map((d) => `• ${d}`)].join('\n');
  const response = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
    signal: AbortSignal.timeout(5000),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`Slack answered ${response.status} to a follow-up message`);
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
