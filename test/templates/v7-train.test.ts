/**
 * templates/v7-train end to end (issue #17): V7 webhook-stage deliveries of labelled items are
 * gathered per dataset, and each batch runs the prepare → train pipeline once over all its items.
 * The clock is injected: the batches' quiet time passes without a sleep.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { v7TokenRequest } from '../helpers/provider-requests.js';
import { startTemplate, type TemplateService } from '../helpers/template.js';

const TRIGGER = '0190fe82-7c6b-7a49-8827-41659e8d7c6b';
const TOKEN = 'v7-stage-token-for-tests';
// A webhook-stage body as V7 documents it (test/fixtures/v7/README.md says where it comes from).
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/v7/labeling-complete.json'), 'utf8')) as {
  item: { name: string; source_info: { item_id: string; dataset: Record<string, unknown> } };
} & Record<string, unknown>;

/** The fixture as the delivery of another item (its own id and file name) of a dataset. */
function labelled(dataset: string, n: number) {
  return {
    ...fixture,
    item: { ...fixture.item, name: `${dataset}-${n}.jpg`, source_info: { ...fixture.item.source_info, item_id: `${dataset}-item-${n}`, dataset: { name: dataset, slug: dataset } } },
  };
}

describe('template v7-train', () => {
  let t: TemplateService;
  const clock = fixedClock(Date.parse('2026-11-28T12:00:00Z'));
  beforeAll(async () => {
    // The local runner hands its environment to the steps: prepare.py fetches no item files
    // (the fixture's URLs are V7's, and tests reach 127.0.0.1 only).
    vi.stubEnv('V7_SKIP_DOWNLOAD', '1');
    t = await startTemplate('v7-train', { V7_WEBHOOK_TOKEN: TOKEN }, undefined, { clock });
  });
  afterAll(async () => {
    await t?.close();
    vi.unstubAllEnvs();
  });

  const deliver = (payload: unknown, authorization = `Bearer ${TOKEN}`) => {
    const signed = v7TokenRequest(payload, authorization);
    return fetch(t.url(TRIGGER), { method: 'POST', headers: signed.headers, body: signed.body });
  };

  it('runs the pipeline once per dataset batch: 50 + 5 labelled items are two runs over 50 and 5 items in arrival order', async () => {
    const sent: Array<{ dataset: string; name: string }> = [];
    const answers: Array<{ dataset: string; runId: string; batchId: string; position: number }> = [];
    for (let i = 1; i <= 50; i++) {
      // A bikes item after every tenth cars item: the two datasets' batches fill side by side.
      const items = i % 10 === 0 ? [labelled('cars', i), labelled('bikes', i / 10)] : [labelled('cars', i)];
      for (const item of items) {
        const res = await deliver(item);
        // V7 wants an empty 2xx; where the item went is in headers.
        expect(res.status).toBe(200);
        expect(await res.text()).toBe('');
        const dataset = String(item.item.source_info.dataset.slug);
        sent.push({ dataset, name: item.item.name });
        answers.push({ dataset, runId: res.headers.get('x-hooklaunch-run-id')!, batchId: res.headers.get('x-hooklaunch-batch-id')!, position: Number(res.headers.get('x-hooklaunch-batch-position')) });
        clock.advance(1_000);
      }
    }
    for (const dataset of ['cars', 'bikes']) {
      const mine = answers.filter((a) => a.dataset === dataset);
      expect(new Set(mine.map((a) => a.batchId)).size).toBe(1);
      expect(new Set(mine.map((a) => a.runId)).size).toBe(1);
      expect(mine.map((a) => a.position)).toEqual(mine.map((_, i) => i + 1));
    }
    const carsRun = answers.find((a) => a.dataset === 'cars')!.runId;
    const bikesRun = answers.find((a) => a.dataset === 'bikes')!.runId;
    expect(carsRun).not.toBe(bikesRun);
    // Nothing launches while the batches are open; run info says where the run stands.
    expect(await t.service.batches.closeDue()).toBe(0);
    expect(await t.service.store.getRun(carsRun)).toBeUndefined();
    const waiting = await (await fetch(`${t.url(TRIGGER, 'run/')}?run_id=${carsRun}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
    expect(waiting).toMatchObject({ status: 'batched', batch: { state: 'open', items: 50, key: 'cars' } });

    // 120 s after the last item (the template's quiet time) both batches close, each once.
    clock.advance(120_000);
    expect(await t.service.batches.closeDue()).toBe(2);
    expect(await t.service.batches.closeDue()).toBe(0);
    await t.service.settled();
    expect(await t.service.store.pipelinesWithStatus('complete')).toHaveLength(2);

    for (const [runId, dataset, count] of [[carsRun, 'cars', 50], [bikesRun, 'bikes', 5]] as const) {
      const run = (await t.service.store.getRun(runId))!;
      expect(run.pipelines).toHaveLength(1);
      expect(run.pipelines[0]).toMatchObject({ status: 'complete', spec: { pipeline: 'train-on-labels' } });
      const prepare = run.executions.find((e) => e.spec.node === 'prepare')!;
      const inputs = join(t.dir, '.hooklaunch', 'executions', prepare.id, 'inputs', 'annotations');
      const lines = readFileSync(join(inputs, 'batch.jsonl'), 'utf8').trimEnd().split('\n');
      const expected = sent.filter((s) => s.dataset === dataset).map((s) => s.name);
      expect(lines.map((line) => (JSON.parse(line) as { item: { name: string } }).item.name)).toEqual(expected);
      const index = JSON.parse(readFileSync(join(inputs, 'index.json'), 'utf8')) as { key: string; close_reason: string; items: unknown[] };
      expect(index).toMatchObject({ key: dataset, close_reason: 'quiet' });
      expect(index.items).toHaveLength(count);
      // prepare.py read the batch through the generated parser: one labels.csv row per annotation, items in order.
      const labels = readFileSync(join(t.dir, '.hooklaunch', 'executions', prepare.id, 'outputs', 'labels.csv'), 'utf8').trim().split('\n').slice(1);
      expect(labels).toHaveLength(count * 2);
      expect([...new Set(labels.map((row) => row.split(',')[0]))]).toEqual(expected);
      const train = run.executions.find((e) => e.spec.node === 'train')!;
      expect(train.spec.parameters).toEqual({ classes: 2 });
      const model = JSON.parse(readFileSync(join(t.dir, '.hooklaunch', 'executions', train.id, 'outputs', 'model.json'), 'utf8')) as { trained_on: number };
      expect(model.trained_on).toBe(count * 2);
      const info = await (await fetch(`${t.url(TRIGGER, 'run/')}?run_id=${runId}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json();
      expect(info).toMatchObject({ status: 'completed', result: [{ action: 'run_pipeline', pipeline_status: 'complete' }], batch: { state: 'launched', items: count, close_reason: 'quiet' } });
    }
    // Every delivery is in the trigger log as batched, with its batch's run.
    const log = await t.service.store.listLog({ triggerId: TRIGGER, limit: 100 });
    expect(log.filter((e) => e.outcome === 'batched')).toHaveLength(55);
  });

  it('rejects a wrong token, batches a repeated delivery once, and ignores other datasets', async () => {
    const wrong = await deliver(fixture, 'Bearer nope');
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { code: 'token_mismatch' } });
    const first = await deliver(labelled('cars', 900));
    expect(first.headers.get('x-hooklaunch-batch-position')).toBe('1');
    const again = await deliver(labelled('cars', 900));
    expect(again.status).toBe(200);
    expect(again.headers.get('x-hooklaunch-run-id')).toBe(first.headers.get('x-hooklaunch-run-id'));
    expect((await t.service.store.listLog({ triggerId: TRIGGER, limit: 1 }))[0]).toMatchObject({ outcome: 'duplicate' });
    expect((await t.service.store.getBatch(first.headers.get('x-hooklaunch-batch-id')!))!.items).toBe(1);
    const ignored = await deliver(labelled('trucks', 1));
    expect(ignored.status).toBe(200);
    expect(await ignored.text()).toBe('');
    expect((await t.service.store.listLog({ triggerId: TRIGGER, limit: 1 }))[0]).toMatchObject({ outcome: 'ignored', message: 'dataset trucks is not one of cars, bikes' });
  });
});
