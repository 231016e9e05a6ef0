/**
 * Shutdown while the batch closer is at work (issue #17): with thousands of batches due at once
 * (many distinct keys whose windows end together), a closer pass launches them one commit at a
 * time. Stopping the service must not wait for the whole pass (SIGTERM promises an exit within
 * `launcher.grace` + 5 s): the closer stops between batches, and the batches it did not reach
 * launch after the restart — each exactly once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../core/clock.js';
import { uuidv7 } from '../../core/ids.js';
import { PendingRecord } from '../../core/trigger-log/request-record.js';
import { createRedaction } from '../../core/trigger-log/redaction.js';
import { startTestService, type TestService } from '../helpers/service.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000b5d01';
const T0 = Date.parse('2026-11-28T12:00:00Z');
const BATCHES = 3_000;

describe('stopping while many batches close', () => {
  let t: TestService | undefined;
  const paused = process.env.HOOKLAUNCH_PAUSE_LAUNCHES;
  // Launching is not under test: the runs stay queued, as with HOOKLAUNCH_PAUSE_LAUNCHES in production.
  beforeEach(() => void (process.env.HOOKLAUNCH_PAUSE_LAUNCHES = '1'));
  afterEach(async () => {
    if (paused === undefined) delete process.env.HOOKLAUNCH_PAUSE_LAUNCHES;
    else process.env.HOOKLAUNCH_PAUSE_LAUNCHES = paused;
    await t?.close();
  });

  it('stops between batches instead of closing every due one first; the rest launch once after the restart', async () => {
    const clock = fixedClock(T0);
    t = await startTestService('- step: {name: noop, image: x, command: "true", inputs: [{name: payload}]}\n', `triggers:
  - id: ${TRIGGER}
    batch: {key: "{payload.k}", window: 60}
    actions: [{type: run-execution, step: noop, payload_input: payload}]
`, { clock, service: { batchPollMs: 3_600_000 } });
    // One delivery per key (through the server for a few, straight into the store for the many: the setup, not what is tested).
    for (let k = 0; k < 3; k++) expect((await fetch(t.url(TRIGGER), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ k }) })).status).toBe(200);
    const trigger = t.service.triggers.get(TRIGGER)!;
    const redaction = createRedaction([]);
    const accepts = [];
    for (let k = 3; k < BATCHES; k++) {
      const body = Buffer.from(JSON.stringify({ k }));
      const raw = { method: 'POST', path: '/', headers: { 'content-type': ['application/json'] }, query: new URLSearchParams(), body, remoteAddress: '127.0.0.1', receivedAtMs: T0 };
      const request = new PendingRecord(TRIGGER, raw, redaction).complete();
      const runId = uuidv7(T0);
      const actions = trigger.resolveActions(raw, runId);
      if (!actions.ok) throw new Error(actions.rejection.message);
      const join = { key: String(k), newBatchId: uuidv7(T0), windowMs: 60_000, quietMs: undefined, maxItems: 1000, maxBytes: 1 << 20 };
      accepts.push(t.service.store.accept({ request, runId, payload: body, contentType: 'application/json', actions: actions.value, rateLimits: [], batch: join }));
    }
    await Promise.all(accepts);
    expect(await t.service.store.listBatches({ states: ['open'], limit: BATCHES + 1 })).toHaveLength(BATCHES);

    clock.advance(60_000);
    const pass = t.service.batches.closeDue();
    await expect.poll(async () => (await t!.service.store.listBatches({ states: ['launched'], limit: 10 })).length, { timeout: 10_000, interval: 5 }).toBeGreaterThan(0);
    const stopping = performance.now();
    await t.service.close();
    const stopMs = performance.now() - stopping;
    await pass.catch(() => undefined);
    // A whole pass over 3,000 batches takes seconds (a commit each); stopping waits for at most the batch in hand.
    expect(stopMs).toBeLessThan(1_000);

    // The restarted closer finishes what the stopped one left (its first pass runs at start).
    await t.restart();
    await t.service.batches.closeDue();
    const all = await t.service.store.listBatches({ limit: BATCHES + 1 });
    expect(all.filter((b) => b.state === 'launched')).toHaveLength(BATCHES);
    // Each launched once: one run per batch, one job per run.
    const runs = await Promise.all(all.map((b) => t!.service.store.getRun(b.runId)));
    expect(runs.filter((r) => r?.jobs.length === 1)).toHaveLength(BATCHES);
  });
});
