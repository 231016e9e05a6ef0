import { STANDARD_WEBHOOKS, ed25519Verify, header, hmacCheck, perParams, refuse, signHmac, timestampCheck, type Clock, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import type { StandardWebhooksParams } from './params.js';

const { id: ID, timestamp: TIMESTAMP, signature: SIGNATURE, signed: MESSAGE } = STANDARD_WEBHOOKS;

// v1: base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed with base64-decode(whsec_…); several
// space-separated signatures may stand in the header while keys rotate. v1a: Ed25519 over the same.
const checks = perParams((params: StandardWebhooksParams) => {
  const timestamp = { key: TIMESTAMP, tolerance: params.tolerance };
  const hmac = { key: SIGNATURE, prefix: 'v1,', separator: ' ', encoding: 'base64', secret_encoding: 'base64', secret: params.secret, message: MESSAGE } as const;
  const publicKeys = (params.public_keys ?? []).map((k) => Buffer.from(k.replace(/^whpk_/, ''), 'base64'));
  return { timestamp: timestampCheck(timestamp), hmac: hmacCheck(hmac, timestamp), publicKeys };
});

export async function verifyStandardWebhooks(req: RawRequest, params: StandardWebhooksParams, clock: Clock): Promise<Verdict<void>> {
  const { timestamp, hmac, publicKeys } = checks(params);
  if (header(req, ID) === undefined) return refuse('missing_header', `header ${ID} is missing (or repeated)`);
  const fresh = await timestamp(req, clock);
  if (!fresh.ok) return fresh;
  const asymmetric = (header(req, SIGNATURE) ?? '').split(' ').filter((p) => p.startsWith('v1a,'));
  if (publicKeys.length > 0 && asymmetric.length > 0) {
    const message = Buffer.from(`${header(req, ID)}.${header(req, TIMESTAMP)}.`);
    const signed = Buffer.concat([message, req.body]);
    const ok = asymmetric.some((part) => publicKeys.some((key) => ed25519Verify(key, signed, Buffer.from(part.slice(4), 'base64'))));
    if (ok) return { ok: true, value: undefined };
  }
  return hmac(req, clock);
}

export function signStandardWebhooks(body: Buffer, contentType: string, params: StandardWebhooksParams, nowMs: number): Record<string, string> {
  const id = `msg_${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
  const timestamp = String(Math.floor(nowMs / 1000));
  const signature = signHmac({ secret: params.secret[0]!, secretEncoding: 'base64', encoding: 'base64', message: MESSAGE }, { body, timestamp, headers: { [ID]: id } });
  return { 'content-type': contentType, [ID]: id, [TIMESTAMP]: timestamp, [SIGNATURE]: `v1,${signature}` };
}

export function sampleStandardWebhooks(params: StandardWebhooksParams): { body: string; contentType: string } {
  return { body: JSON.stringify({ type: params.types?.[0] ?? 'hooklaunch.test', timestamp: new Date().toISOString(), data: { test: true } }), contentType: 'application/json' };
}

/** What this connector verifies, in words (`hooklaunch check`, the page), from the same constants as the check. */
export const describeStandardWebhooksVerification = (params: StandardWebhooksParams): string =>
  `HMAC-SHA256 (base64) "v1,"${(params.public_keys ?? []).length > 0 ? ' or Ed25519 "v1a,"' : ''} in ${SIGNATURE} over "${MESSAGE}"; ${TIMESTAMP} within ±${params.tolerance} s`;
