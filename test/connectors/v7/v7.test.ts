import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { v7 } from '../../../connectors/v7/index.js';
import { fixedClock } from '../../../core/clock.js';
import { rawRequest } from '../../helpers/raw-request.js';
import { v7SignedRequest, v7TokenRequest } from '../../helpers/provider-requests.js';

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/v7/labeling-complete.json'), 'utf8')) as Record<string, unknown>;
// V7's own example body (docs.v7labs.com/docs/webhooks); see test/fixtures/v7/README.md.
const teamWebhook = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/v7/team-workflow-complete.json'), 'utf8')) as Record<string, unknown>;
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

  it('decodes a team webhook as its own shape, leaving repeats to body-hash dedupe', () => {
    const d = decode(teamWebhook);
    expect(d).toMatchObject({ kind: 'workflow_complete', deliveryId: undefined, payload: { event_type: 'workflow_complete', payload: { dataset_id: 1, filename: 'letter.png' } } });
  });

  it('names what is missing, in the shape the body was meant to be', () => {
    const refusal = (payload: unknown) => {
      const signed = v7TokenRequest(payload, 'Bearer stage-token');
      const parsed = v7.parse(rawRequest({ headers: signed.headers, body: signed.body }), params());
      return parsed.ok ? undefined : parsed.rejection;
    };
    expect(refusal({ item: { name: 'x' } })).toMatchObject({ code: 'payload_invalid', message: expect.stringMatching(/^not a V7 webhook-stage delivery: item\.source_info: /) });
    expect(refusal({ event_type: 'workflow_complete', payload: { dataset_id: 1 } })).toMatchObject({ code: 'payload_invalid', message: expect.stringMatching(/^not a V7 team webhook: payload\.filename: /) });
    expect(refusal({ hello: 'world' })).toMatchObject({ code: 'payload_invalid', message: expect.stringMatching(/^not a V7 webhook-stage delivery: item: /) });
    expect(refusal([1])).toMatchObject({ code: 'payload_invalid', message: expect.stringMatching(/^not a V7 webhook-stage delivery: \(body\): /) });
  });

  it('accepts null and missing metadata on a stage delivery; only the item id is required', () => {
    const d = decode({ item: { source_info: { item_id: 'i1', dataset: null, team: { name: null, slug: null } } }, annotations: null, stage: null, extra_field: { anything: true } });
    expect(d).toMatchObject({ kind: 'item', deliveryId: expect.stringMatching(/^i1::[0-9a-f]{16}$/) });
  });

  it('filters on dataset and stage', () => {
    const d = decode(fixture);
    expect(v7.filter!(d, params({ datasets: ['cars'] }))).toBeUndefined();
    expect(v7.filter!(d, params({ datasets: ['Cars'] }))).toBeUndefined();
    expect(v7.filter!(d, params({ datasets: ['bikes'] }))).toBe('dataset cars is not one of bikes');
    expect(v7.filter!(d, params({ stages: ['Review'] }))).toBe('stage Webhook is not one of Review');
    const bare = decode({ item: { source_info: { item_id: 'i1' } } });
    expect(v7.filter!(bare, params({ datasets: ['cars'] }))).toBe('dataset (none) is not one of cars');
  });

  it('filters team webhooks on their numeric dataset id; stages do not apply to them', () => {
    const d = decode(teamWebhook);
    expect(v7.filter!(d, params({ datasets: ['1'] }))).toBeUndefined();
    expect(v7.filter!(d, params({ datasets: ['cars'] }))).toBe('dataset 1 is not one of cars');
    expect(v7.filter!(d, params({ stages: ['Webhook'] }))).toBeUndefined();
  });

  it('answers V7 with an empty 2xx: the run id in a header, the reason for ignoring only in the log', () => {
    const d = decode(teamWebhook);
    expect(v7.accepted('run-1', d, params())).toEqual({ status: 200, headers: { 'x-hooklaunch-run-id': 'run-1' } });
    expect(v7.ignored('dataset 1 is not one of cars', d, params())).toEqual({ status: 200 });
  });

  it('samples a team webhook in signed mode unless a dataset is named by slug', () => {
    const signed = (extra: Record<string, unknown>) => JSON.parse(v7.sample!(v7.params.parse({ secret: 'v7-signing-key-0123', mode: 'signed', ...extra })).body) as Record<string, unknown>;
    expect(signed({})).toMatchObject({ event_type: 'workflow_complete', payload: { dataset_id: 1 } });
    expect(signed({ datasets: ['42'] })).toMatchObject({ payload: { dataset_id: 42 } });
    expect(signed({ datasets: ['cars'] })).toMatchObject({ item: { source_info: { dataset: { slug: 'cars' } } } });
  });
});
