/** templates/v7-train end to end: a V7 webhook-stage delivery → prepare → train pipeline. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { v7TokenRequest } from '../helpers/provider-requests.js';
import { startTemplate, type TemplateService } from '../helpers/template.js';

const TRIGGER = '0190fe82-7c6b-7a49-8827-41659e8d7c6b';
const TOKEN = 'v7-stage-token-for-tests';
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/v7/labeling-complete.json'), 'utf8')) as Record<string, unknown>;

describe('template v7-train', () => {
  let t: TemplateService;
  beforeAll(async () => {
    // The local runner hands its environment to the steps: prepare.py fetches no item files
    // (the fixture's URLs are V7's, and tests reach 127.0.0.1 only).
    vi.stubEnv('V7_SKIP_DOWNLOAD', '1');
    t = await startTemplate('v7-train', { V7_WEBHOOK_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await t?.close();
    vi.unstubAllEnvs();
  });

  const deliver = (payload: unknown, authorization = `Bearer ${TOKEN}`) => {
    const signed = v7TokenRequest(payload, authorization);
    return fetch(t.url(TRIGGER), { method: 'POST', headers: signed.headers, body: signed.body });
  };

  it('runs prepare → train on the labelled item and produces a model', async () => {
    const res = await deliver(fixture);
    // V7 wants an empty 2xx; the run id is in a header.
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const run_id = res.headers.get('x-hooklaunch-run-id')!;
    await t.service.settled();
    const run = (await t.service.store.getRun(run_id))!;
    expect(run.pipelines[0]).toMatchObject({ status: 'complete', spec: { pipeline: 'train-on-labels' } });
    const train = run.executions.find((e) => e.spec.node === 'train')!;
    expect(train.spec.parameters).toEqual({ classes: 2 });
    const model = JSON.parse(readFileSync(join(t.dir, '.hooklaunch', 'executions', train.id, 'outputs', 'model.json'), 'utf8')) as { classes: Record<string, { count: number; mean_area: number }>; trained_on: number };
    expect(model.trained_on).toBe(2);
    expect(model.classes).toEqual({ car: { count: 1, mean_area: 60000 }, wheel: { count: 1, mean_area: 3600 } });
    const info = await (await fetch(`${t.url(TRIGGER, 'run/')}?run_id=${run_id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    expect(info).toMatchObject({ status: 'completed', result: [{ action: 'run_pipeline', pipeline_status: 'complete' }] });
  });

  it('rejects a wrong token, launches a repeated delivery once, and ignores other datasets', async () => {
    const wrong = await deliver(fixture, 'Bearer nope');
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { code: 'token_mismatch' } });
    const again = await deliver(fixture);
    expect(again.status).toBe(200);
    expect((await t.service.store.listLog({ triggerId: TRIGGER, limit: 1 }))[0]).toMatchObject({ outcome: 'duplicate' });
    const item = fixture.item as { source_info: Record<string, unknown> };
    const bikes = { ...fixture, item: { ...item, source_info: { ...item.source_info, dataset: { name: 'Bikes', slug: 'bikes' } } } };
    const ignored = await deliver(bikes);
    expect(ignored.status).toBe(200);
    expect(await ignored.text()).toBe('');
    expect((await t.service.store.listLog({ triggerId: TRIGGER, limit: 1 }))[0]).toMatchObject({ outcome: 'ignored', message: 'dataset bikes is not one of cars' });
    await t.service.settled();
  });
});
