import type { Delivery, ResponseSpec, RunProgress } from '../../core/connector-kit.js';
import type { DiscordParams } from './params.js';
import type { DiscordPayload } from './payload.js';

const EPHEMERAL = 64;

const PING = 1;
const PONG = 1;
const APPLICATION_COMMAND_AUTOCOMPLETE = 4;
const APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8;

/**
 * PING → PONG: Discord checks the endpoint with it. Autocomplete (sent as the user types an
 * option) may only be answered with an autocomplete result, never a deferred message (Discord:
 * "Receiving and Responding", interaction callback types); it launches nothing, so no choices.
 */
export function handshakeDiscord({ payload }: Delivery<DiscordPayload>): ResponseSpec | undefined {
  if (payload.type === PING) return { status: 200, json: { type: PONG } };
  if (payload.type === APPLICATION_COMMAND_AUTOCOMPLETE) return { status: 200, json: { type: APPLICATION_COMMAND_AUTOCOMPLETE_RESULT, data: { choices: [] } } };
  return undefined;
}

/** A deferred answer ("thinking…") inside Discord's 3 s; the message follows as the run goes. */
export function acceptedDiscord(): ResponseSpec {
  return { status: 200, json: { type: 5, data: { flags: EPHEMERAL } } };
}

export function ignoredDiscord(reason: string): ResponseSpec {
  return { status: 200, json: { type: 4, data: { content: `Not run: ${reason}`, flags: EPHEMERAL } } };
}

/** Paused: Discord needs an interaction answer within 3 s, else the user sees only "interaction failed". */
export function pausedDiscord(): ResponseSpec {
  return { status: 200, json: { type: 4, data: { content: 'Not run: this trigger is paused in hooklaunch.', flags: EPHEMERAL } } };
}

const PHASE: Record<RunProgress['phase'], string> = { started: '⏳ Run {run_id} started', failed: '❌ Run {run_id} failed', completed: '✅ Run {run_id} completed' };

/** Edits the deferred message through the interaction's webhook (valid 15 minutes). */
export async function followUpDiscord(progress: RunProgress, { payload }: Delivery<DiscordPayload>, params: DiscordParams): Promise<void> {
  if (!params.follow_up) return;
  const content = [PHASE[progress.phase].replace('{run_id}', progress.runId), ...progress.details.map((d) => `• ${d}`)].join('\n').slice(0, 2000);
  const url = `${params.api_base}/webhooks/${encodeURIComponent(payload.application_id)}/${encodeURIComponent(payload.token)}/messages/@original`;
  const response = await fetch(url, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content }), signal: AbortSignal.timeout(5000) });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`Discord answered ${response.status} to a follow-up`);
}
