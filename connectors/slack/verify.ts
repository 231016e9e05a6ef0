import { passesAll, header, parseBody, perParams, signHmac, signedRequestChecks, type Clock, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import type { SlackParams } from './params.js';

const SIGNATURE = 'x-slack-signature';
const TIMESTAMP = 'x-slack-request-timestamp';
/** What Slack's signature covers: the check and `signSlack` share it. */
const SIGNED = 'v0:{timestamp}:{body}';

// Slack's request signing: v0=hex(HMAC-SHA256(signing secret, "v0:{timestamp}:{raw body}")),
// with the timestamp within 5 minutes of now on both sides (Bolt checks only the past side).
const checks = perParams((params: SlackParams) =>
  signedRequestChecks({ key: SIGNATURE, prefix: 'v0=', secret: params.secret, message: SIGNED }, { key: TIMESTAMP, format: 'unix_s', tolerance: params.tolerance }),
);

export function verifySlack(req: RawRequest, params: SlackParams, clock: Clock): Verdict<void> | Promise<Verdict<void>> {
  if (isUnsignedSslCheck(req)) return { ok: true, value: undefined };
  return passesAll(checks(params), req, clock);
}

/**
 * Slack's SSL probe for slash commands carries no signature. It is let through only when the
 * body is nothing but the probe, and it is answered without launching (see handshake).
 */
export function isUnsignedSslCheck(req: RawRequest): boolean {
  if (header(req, SIGNATURE) !== undefined) return false;
  const body = parseBody(req);
  if (!body.ok || body.value.kind !== 'form') return false;
  const keys = Object.keys(body.value.value);
  return body.value.value.ssl_check === '1' && keys.every((k) => k === 'ssl_check' || k === 'token');
}

/** Signs a body as Slack does (hooklaunch send, test requests). */
export function signSlack(body: Buffer, contentType: string, params: SlackParams, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const signature = signHmac({ secret: params.secret[0]!, message: SIGNED }, { body, timestamp });
  return { 'content-type': contentType, [TIMESTAMP]: timestamp, [SIGNATURE]: `v0=${signature}` };
}

/** A slash command that passes this trigger's own filters. */
export function sampleSlack(params: SlackParams): { body: string; contentType: string } {
  const body = new URLSearchParams({
    command: params.commands?.[0] ?? '/hooklaunch-test',
    text: 'https://upload.wikimedia.org/wikipedia/commons/4/47/PNG_transparency_demonstration_1.png',
    response_url: 'https://hooks.slack.com/commands/T0000/0/test',
    trigger_id: `test.${Date.now()}`,
    user_id: params.user_ids?.[0] ?? 'U0000TEST',
    user_name: 'hooklaunch-test',
    team_id: params.team_ids?.[0] ?? 'T0000TEST',
    channel_id: params.channel_ids?.[0] ?? 'C0000TEST',
  }).toString();
  return { body, contentType: 'application/x-www-form-urlencoded' };
}

/** What this connector verifies, in words (`hooklaunch check`, the page), from the same constants as the check. */
export const describeSlackVerification = (params: SlackParams): string => `HMAC-SHA256 "v0=" in ${SIGNATURE} over "${SIGNED}"; ${TIMESTAMP} within ±${params.tolerance} s`;
