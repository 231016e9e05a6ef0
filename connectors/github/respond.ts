import type { Delivery, ResponseSpec } from '../../core/connector-kit.js';
import type { GithubPayload } from './payload.js';

/** GitHub sends `ping` when a hook is created: answer 2xx and launch nothing. */
export function handshakeGithub(delivery: Delivery<GithubPayload>): ResponseSpec | undefined {
  return delivery.kind === 'ping' ? { status: 200, json: { pong: true, hook_id: delivery.payload.hook_id ?? null } } : undefined;
}

export function acceptedGithub(runId: string): ResponseSpec {
  return { status: 200, json: { triggered: true, run_id: runId } };
}

/** 2xx, so GitHub shows the delivery as delivered; the reason is in the body and the trigger log. */
export function ignoredGithub(reason: string): ResponseSpec {
  return { status: 200, json: { triggered: false, reason } };
}
