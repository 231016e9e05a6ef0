import { ed25519Verify, header, perParams, reject, timestampCheck, type Clock, type RawRequest, type Rejection, type Verdict } from '../../core/connector-kit.js';
import type { DiscordParams } from './params.js';

const SIGNATURE = 'x-signature-ed25519';
const TIMESTAMP = 'x-signature-timestamp';

// Discord probes endpoints with bad signatures and removes those that do not answer 401.
function unauthorized(rejection: Rejection): Verdict<void> {
  return { ok: false, rejection: { ...rejection, status: 401 } };
}

const checks = perParams((params: DiscordParams) => ({
  timestamp: timestampCheck({ key: TIMESTAMP, tolerance: params.tolerance }),
  keys: params.public_key.map((k) => Buffer.from(k, 'hex')),
}));

/** Ed25519 over "{X-Signature-Timestamp}{raw body}" with the application's public key. */
export async function verifyDiscord(req: RawRequest, params: DiscordParams, clock: Clock): Promise<Verdict<void>> {
  const { timestamp, keys } = checks(params);
  const signature = header(req, SIGNATURE);
  const sent = header(req, TIMESTAMP);
  if (signature === undefined) return unauthorized(reject('missing_header', `header ${SIGNATURE} is missing (or repeated)`));
  if (sent === undefined) return unauthorized(reject('missing_header', `header ${TIMESTAMP} is missing (or repeated)`));
  if (!/^[0-9a-fA-F]{128}$/.test(signature)) return unauthorized(reject('malformed_signature', `header ${SIGNATURE} is not 128 hex digits`));
  const message = Buffer.concat([Buffer.from(sent, 'utf8'), req.body]);
  const bytes = Buffer.from(signature, 'hex');
  if (!keys.some((key) => ed25519Verify(key, message, bytes))) return unauthorized(reject('signature_mismatch', `header ${SIGNATURE} does not match the request body`));
  const fresh = await timestamp(req, clock);
  return fresh.ok ? fresh : unauthorized(fresh.rejection);
}

/** A PING that passes this trigger's filters; only Discord holds the private key, so nothing is signed here. */
export function sampleDiscord(params: DiscordParams): { body: string; contentType: string } {
  return {
    body: JSON.stringify({ id: `${Date.now()}`, application_id: '1', type: 2, token: 'test', guild_id: params.guild_ids?.[0], member: { user: { id: params.user_ids?.[0] ?? '1' } }, data: { name: params.commands?.[0] ?? 'hooklaunch' } }),
    contentType: 'application/json',
  };
}

/** What this connector verifies, in words (`hooklaunch check`, the page), from the same constants as the check. */
export const describeDiscordVerification = (params: DiscordParams): string => `Ed25519 in ${SIGNATURE} over "{timestamp}{body}" with the application's public key; ${TIMESTAMP} within ±${params.tolerance} s`;
