import { passesAll, perParams, signHmac, signedRequestChecks, type Clock, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import type { StripeParams } from './params.js';

const SIGNATURE = 'stripe-signature';
/** What Stripe's v1 signature covers: the check and `signStripe` share it. */
const SIGNED = '{timestamp}.{body}';

// Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]: HMAC-SHA256 of "{t}.{raw body}" keyed with the
// whsec_ string as is; any v1 may match (several while the secret is rolled), t within 300 s.
const checks = perParams((params: StripeParams) =>
  signedRequestChecks({ key: SIGNATURE, prefix: 'v1=', separator: ',', secret: params.secret, message: SIGNED }, { key: SIGNATURE, prefix: 't=', separator: ',', tolerance: params.tolerance }),
);

export async function verifyStripe(req: RawRequest, params: StripeParams, clock: Clock): Promise<Verdict<void>> {
  return passesAll(checks(params), req, clock);
}

export function signStripe(body: Buffer, contentType: string, params: StripeParams, nowMs: number): Record<string, string> {
  const t = String(Math.floor(nowMs / 1000));
  return { 'content-type': contentType, [SIGNATURE]: `t=${t},v1=${signHmac({ secret: params.secret[0]!, message: SIGNED }, { body, timestamp: t })}` };
}

export function sampleStripe(params: StripeParams): { body: string; contentType: string } {
  const type = params.events?.find((e) => !e.includes('*')) ?? 'checkout.session.completed';
  return { body: JSON.stringify({ id: `evt_test_${Date.now()}`, object: 'event', type, created: Math.floor(Date.now() / 1000), livemode: false, api_version: '2024-06-20', data: { object: { id: 'cs_test_1', object: type.split('.').slice(0, -1).join('.') } } }), contentType: 'application/json' };
}

/** What this connector verifies, in words (`hooklaunch check`, the page), from the same constants as the check. */
export const describeStripeVerification = (params: StripeParams): string => `HMAC-SHA256 v1= in ${SIGNATURE} over "${SIGNED}" (t=); t= within ±${params.tolerance} s`;
