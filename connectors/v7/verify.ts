import { randomUUID } from 'node:crypto';
import { passesAll, perParams, signHmac, signedRequestChecks, staticTokenCheck, type Check, type Clock, type RawRequest, type Verdict } from '../../core/connector-kit.js';
import type { V7Params } from './params.js';

const SIGNATURE = 'v7-signature';
/** What a signed team webhook's v1 covers: the check and `signV7` share it. */
const SIGNED = '{timestamp}.{body}';

// Token mode: the webhook stage sends whatever was entered as its Authorization value.
// Signed mode: `v7-signature: t=<unix s>,v1=<hex>`, HMAC-SHA256 with the team's signing key; the
// signed string is taken to be "{t}.{body}" as in Stripe's scheme, which V7's docs resemble.
// Unverified: docs.v7labs.com/docs/webhooks shows the body and the empty-2xx rule, not the signing.
const checks = perParams((params: V7Params): Check[] => {
  if (params.mode === 'token') return [staticTokenCheck({ key: params.header, prefix: params.prefix, secret: params.secret })];
  return signedRequestChecks({ key: SIGNATURE, prefix: 'v1=', separator: ',', secret: params.secret, message: SIGNED }, { key: SIGNATURE, prefix: 't=', separator: ',', tolerance: params.tolerance });
});

export async function verifyV7(req: RawRequest, params: V7Params, clock: Clock): Promise<Verdict<void>> {
  return passesAll(checks(params), req, clock);
}

/** Signs a body as V7 does: the stage's Authorization value, or a signed team webhook. */
export function signV7(body: Buffer, contentType: string, params: V7Params, nowMs: number): Record<string, string> {
  if (params.mode === 'token') return { 'content-type': contentType, [params.header.toLowerCase()]: `${params.prefix}${params.secret[0]!}` };
  const timestamp = String(Math.floor(nowMs / 1000));
  const signature = signHmac({ secret: params.secret[0]!, message: SIGNED }, { body, timestamp });
  return { 'content-type': contentType, [SIGNATURE]: `t=${timestamp},v1=${signature}` };
}

/**
 * A test delivery that passes the trigger's own filters: a team webhook in signed mode (what
 * V7 signs) unless `datasets` names a dataset by slug, which only a stage delivery carries.
 */
export function sampleV7(params: V7Params): { body: string; contentType: string } {
  const dataset = params.datasets?.[0];
  if (params.mode === 'signed' && (dataset === undefined || /^\d+$/.test(dataset))) {
    const payload = {
      event_type: 'workflow_complete',
      payload: { dataset_id: Number(dataset ?? 1), filename: `test-item-${randomUUID()}.jpg`, annotations: [{ class_name: 'test-label', data: { bounding_box: { x: 0, y: 0, w: 10, h: 10 } } }] },
    };
    return { body: JSON.stringify(payload), contentType: 'application/json' };
  }
  const name = dataset ?? 'hooklaunch-test';
  const payload = {
    version: '2.0',
    item: { name: 'test-item.jpg', path: '/', source_info: { item_id: randomUUID(), dataset: { name, slug: name }, team: { name: 'test', slug: 'test' } }, slots: [] },
    annotations: [{ id: 'a1', name: 'test-label', bounding_box: { x: 0, y: 0, w: 10, h: 10 }, slot_names: ['0'] }],
    stage: { name: params.stages?.[0] ?? 'Webhook', type: 'webhook' },
  };
  return { body: JSON.stringify(payload), contentType: 'application/json' };
}

/** What this connector verifies, in words (`hooklaunch check`, the page), from the same constants as the check. */
export const describeV7Verification = (params: V7Params): string =>
  params.mode === 'token' ? `token in ${params.header}${params.prefix ? ` after "${params.prefix}"` : ''}` : `HMAC-SHA256 v1= in ${SIGNATURE} over "${SIGNED}" (t=); t= within ±${params.tolerance} s`;
