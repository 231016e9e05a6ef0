import { randomUUID } from 'node:crypto';
import { passesAll, perParams, signHmac, signedRequestChecks, staticTokenCheck, type Check, type Clock, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import type { V7Params } from './params.js';

const SIGNATURE = 'v7-signature';

// Token mode: the webhook stage sends whatever was entered as its Authorization value.
// Signed mode: `v7-signature: t=<unix s>,v1=<hex>`, HMAC-SHA256 with the team's signing key; the
// signed string is taken to be "{t}.{body}" as in Stripe's scheme, which V7's docs resemble.
const checks = perParams((params: V7Params): Check[] => {
  if (params.mode === 'token') return [staticTokenCheck({ key: params.header, prefix: params.prefix, secret: params.secret })];
  return signedRequestChecks({ key: SIGNATURE, prefix: 'v1=', separator: ',', secret: params.secret, message: '{timestamp}.{body}' }, { key: SIGNATURE, prefix: 't=', separator: ',', tolerance: params.tolerance });
});

export async function verifyV7(req: RawRequest, params: V7Params, clock: Clock): Promise<Verdict<void>> {
  return passesAll(checks(params), req, clock);
}

/** Signs a body as V7 does: the stage's Authorization value, or a signed team webhook. */
export function signV7(body: Buffer, contentType: string, params: V7Params, nowMs: number): Record<string, string> {
  if (params.mode === 'token') return { 'content-type': contentType, [params.header.toLowerCase()]: `${params.prefix}${params.secret[0]!}` };
  const timestamp = String(Math.floor(nowMs / 1000));
  const signature = signHmac({ secret: params.secret[0]!, message: '{timestamp}.{body}' }, { body, timestamp });
  return { 'content-type': contentType, [SIGNATURE]: `t=${timestamp},v1=${signature}` };
}

/** A labelled item from the first configured dataset. */
export function sampleV7(params: V7Params): { body: string; contentType: string } {
  const dataset = params.datasets?.[0] ?? 'hooklaunch-test';
  const payload = {
    version: '2.0',
    item: { name: 'test-item.jpg', path: '/', source_info: { item_id: randomUUID(), dataset: { name: dataset, slug: dataset }, team: { name: 'test', slug: 'test' } }, slots: [] },
    annotations: [{ id: 'a1', name: 'test-label', bounding_box: { x: 0, y: 0, w: 10, h: 10 }, slot_names: ['0'] }],
    stage: { name: params.stages?.[0] ?? 'Webhook', type: 'webhook' },
  };
  return { body: JSON.stringify(payload), contentType: 'application/json' };
}
