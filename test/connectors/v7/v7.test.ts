import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { v7 } from '../../../connectors/v7/index.js';
import { fixedClock } from '../../../core/clock.js';
import { rawRequest } from '../../helpers/raw-request.js';
import { v7SignedRequest, v7TokenRequest } from '../../helpers/provider-requests.js';

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/v7/labeling-complete.json'), 'utf8')) as Record<string, unknown>;
const params = (extra: Record<string, unknown> = {}) => v7.params.parse({ secret: 'stage-token', prefix: 'Bearer ', ...extra });

function decode(payload: unknown) {
  const signed = v7TokenRequest(payload, 'Bearer stage-token');
  const parsed = v7.parse(rawRequest({ headers: signed.headers, body: signed.body }), params());
  if (!parsed.ok) throw new Error(parsed.rejection.message);
  return parsed.value;
}

describe('V7 connector', () => {
  it('checks the stage token in constant time, naming the header', async () => {
    const good = v7TokenRequest(fixture, 'Bearer stage-token');
    expect(await v7.verify(rawRequest({ headers: good.headers, body: good.body }), params(), fixedClock(0))).toMatchObject({ ok: true });
    const wrong = v7TokenRequest(fixture, 'Bearer nope');
    expect(await v7.verify(rawRequest({ headers: wrong.headers, body: wrong.body }), params(), fixedClock(0))).toMatchObject({ ok: false, rejection: { code: 'token_mismatch', message: 'header Authorization does not carry a valid token' } });
    const custom = v7.params.parse({ secret: 's', header: 'X-V7-Token' });
    expect(await v7.verify(rawRequest({ headers: { 'x-v7-token': 's' }, body: '{}' }), custom, fixedClock(0))).toMatchObject({ ok: true });
  });

  it('verifies signed team webhooks (t=,v1=)', async () => {
    const signed = v7SignedRequest(fixture, 'signing-key-0123456789', 1_795_000_000);
    const p = v7.params.parse({ secret: 'signing-key-0123456789', mode: 'signed' });
    expect(await v7.verify(rawRequest({ headers: signed.headers, body: signed.body }), p, fixedClock(1_795_000_000_000))).toMatchObject({ ok: true });
  });

  it('decodes the payload and keys deliveries by item, stage and annotations', () => {
    const d = decode(fixture);
    expect(d.payload).toMatchObject({ item: { source_info: { dataset: { slug: 'cars' } } } });
    expect(d.deliveryId).toMatch(/^0185d2a1-3c6c-4a5e-8c0e-7a1b2c3d4e5f:Webhook:[0-9a-f]{16}$/);
    expect(decode(fixture).deliveryId).toBe(d.deliveryId);
    const reworked = decode({ ...fixture, annotations: [{ id: 'a1', name: 'truck' }] });
    expect(reworked.deliveryId).not.toBe(d.deliveryId);
  });

  it('names what is missing from a payload that is not V7', () => {
    const signed = v7TokenRequest({ item: { name: 'x' } }, 'Bearer stage-token');
    expect(v7.parse(rawRequest({ headers: signed.headers, body: signed.body }), params())).toMatchObject({ ok: false, rejection: { code: 'payload_invalid', message: expect.stringContaining('item.source_info') } });
  });

  it('filters on dataset and stage', () => {
    const d = decode(fixture);
    expect(v7.filter!(d, params({ datasets: ['cars'] }))).toBeUndefined();
    expect(v7.filter!(d, params({ datasets: ['Cars'] }))).toBeUndefined();
    expect(v7.filter!(d, params({ datasets: ['bikes'] }))).toBe('dataset cars is not one of bikes');
    expect(v7.filter!(d, params({ stages: ['Review'] }))).toBe('stage Webhook is not one of Review');
  });
});
