/**
 * Batches through the real server (issue #17), with an injected clock: `max_items`, `quiet` and
 * `window` close a batch as configured, its actions run once over every delivery, a rate limit
 * holds a batch rather than dropping it, and the answer says where a delivery went.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../core/clock.js';
import { startTestService, type TestService } from '../../helpers/service.js';

const TRIGGER = '0190fe82-0000-7000-8000-00000000ba7c';
const T0 = Date.parse('2026-11-28T12:00:00Z');
const VALOHAI = `- step:
    name: count
    image: x
    command: wc -l < "$VH_INPUTS_DIR/payload/batch.jsonl"
    inputs: [{name: payload}]
`;

function config(batch: string, extra = ''): string {
  return `triggers:
  - id: ${TRIGGER}
    conditions: [{type: deduplicate, lookup: json, key: n, window: 3600}${extra}]
    batch: ${batch}
    actions: [{type: run-execution, step: count, payload_input: payload, title: "batch of {payload.project}"}]
`;
}

describe('batched trigger through the server', () => {
  let t: TestService;
  const clock = fixedClock(T0);
  beforeEach(() => clock.set(T0));
  afterEach(async () => {
    await t?.close();
  });

  // A long poll: only what the test does (and a full batch's immediate close) closes batches.
  const start = (yaml: string) => startTestService(VALOHAI, yaml, { clock, service: { batchPollMs: 3_600_000 } });
  const send = async (body: Record<string, unknown>) => {
    const res = await fetch(t.url(TRIGGER), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
  };

  it('answers with the batch, its place in it and when it closes, and launches once when max_items is reached', async () => {
    t = await start(config('{key: "{payload.project}", window: 600, quiet: 60, max_items: 3}'));
    const answers = [];
    for (let n = 1; n <= 4; n++) answers.push(await send({ n, project: 'p1' }));
    expect(answers[0]!.status).toBe(200);
    const batchId = answers[0]!.headers.get('x-hooklaunch-batch-id')!;
    const runId = answers[0]!.json.run_id as string;
    expect(answers[0]!.json).toEqual({ run_id: runId, batch: { id: batchId, position: 1, closes_by: '2026-11-28T12:01:00.000Z' } });
    expect(answers.slice(0, 3).map((a) => [a.headers.get('x-hooklaunch-batch-id'), a.headers.get('x-hooklaunch-batch-position')])).toEqual([
      [batchId, '1'],
      [batchId, '2'],
      [batchId, '3'],
    ]);
    // The third fills it: it closes now, not at its quiet time.
    expect(answers[2]!.json).toMatchObject({ batch: { position: 3, closes_by: new Date(T0).toISOString() } });
    // The fourth finds the batch full: it opens the next one.
    expect(answers[3]!.json).toMatchObject({ batch: { position: 1 } });
    expect(answers[3]!.json.run_id).not.toBe(runId);
    // Full: launched at once, the clock never moved.
    await t.service.batches.closeDue();
    expect(await t.service.store.getBatch(batchId)).toMatchObject({ state: 'launched', items: 3, closeReason: 'max_items', closedAtMs: clock.now() });
    await t.service.settled();
    const run = (await t.service.store.getRun(runId))!;
    expect(run.executions).toHaveLength(1);
    expect(run.executions[0]).toMatchObject({ status: 'complete', spec: { title: 'batch of p1' } });
    const output = (await t.service.store.executionLog(run.executions[0]!.id)).filter((c) => c.stream === 'stdout');
    expect(output.map((c) => c.text.trim())).toEqual(['3']);
    const lines = readFileSync(join(t.project.dir, 'executions', run.executions[0]!.id, 'inputs', 'payload', 'batch.jsonl'), 'utf8');
    expect(lines).toBe('{"n":1,"project":"p1"}\n{"n":2,"project":"p1"}\n{"n":3,"project":"p1"}\n');
  });

  it('closes after the quiet time without a new delivery', async () => {
    t = await start(config('{key: "{payload.project}", window: 600, quiet: 60}'));
    const first = await send({ n: 1, project: 'quiet' });
    clock.advance(50_000);
    await send({ n: 2, project: 'quiet' });
    clock.advance(59_999);
    expect(await t.service.batches.closeDue()).toBe(0);
    clock.advance(1);
    expect(await t.service.batches.closeDue()).toBe(1);
    expect(await t.service.store.getBatch(first.headers.get('x-hooklaunch-batch-id')!)).toMatchObject({ state: 'launched', items: 2, closeReason: 'quiet', closedAtMs: T0 + 110_000 });
    await t.service.settled();
  });

  it('closes at the window when deliveries keep coming, and starts a new batch with the next one', async () => {
    t = await start(config('{window: 600, quiet: 60}'));
    const first = await send({ n: 0, project: 'busy' });
    const batchId = first.headers.get('x-hooklaunch-batch-id')!;
    // A delivery every 50 s: never quiet for 60 s.
    for (let n = 1; n <= 11; n++) {
      clock.advance(50_000);
      await send({ n, project: 'busy' });
      expect(await t.service.batches.closeDue()).toBe(0);
    }
    clock.advance(50_000); // 600 s after the first delivery
    const next = await send({ n: 12, project: 'busy' });
    expect(next.headers.get('x-hooklaunch-batch-id')).not.toBe(batchId);
    expect(next.json).toMatchObject({ batch: { position: 1 } });
    expect(await t.service.batches.closeDue()).toBe(1);
    expect(await t.service.store.getBatch(batchId)).toMatchObject({ state: 'launched', items: 12, closeReason: 'window', closedAtMs: T0 + 600_000 });
    await t.service.settled();
  });

  it('holds a batch a rate limit forbids, says so, and launches it when the limit frees', async () => {
    t = await start(config('{window: 60}', ', {type: rate-limit, period: 3600, quota: 1}'));
    const first = await send({ n: 1, project: 'x' });
    clock.advance(60_000);
    expect(await t.service.batches.closeDue()).toBe(1);
    const second = await send({ n: 2, project: 'x' });
    const heldId = second.headers.get('x-hooklaunch-batch-id')!;
    expect(heldId).not.toBe(first.headers.get('x-hooklaunch-batch-id'));
    clock.advance(60_000);
    expect(await t.service.batches.closeDue()).toBe(0);
    const held = (await t.service.store.getBatch(heldId))!;
    expect(held).toMatchObject({ state: 'held', closeReason: 'window' });
    expect(held.note).toMatch(/^rate limit of 1 launches per 3600 s reached; the batch launches at 2026-11-28T13:01:00.000Z$/);
    // Held, not dropped: deliveries go on into a new batch, and the held one launches once the hour is over.
    clock.advance(3_600_000 - 60_000 - 1);
    expect(await t.service.batches.closeDue()).toBe(0);
    clock.advance(1);
    expect(await t.service.batches.closeDue()).toBe(1);
    expect(await t.service.store.getBatch(heldId)).toMatchObject({ state: 'launched', items: 1 });
    await t.service.settled();
  });

  it('refuses a delivery whose batch key is not in the payload, naming the key', async () => {
    t = await start(config('{key: "{payload.project}"}'));
    const res = await send({ n: 1 });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: { code: 'payload_invalid', message: 'batch.key: the payload has no field project' } });
  });
});
