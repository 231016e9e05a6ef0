/**
 * When a delivery wakes the batch closer (issue #17): a full batch (max_items) and one sealed by
 * max_bytes launch at once, without waiting for the closer's poll; a delivery that merely opens a
 * batch of a new key wakes nothing. Every new batch used to start a closer pass (two queries over
 * every open batch), so with many distinct keys open each new-key delivery paid for a scan of all
 * of them on the event loop: with 30,000 open batches, new-key deliveries were answered at about
 * half the rate of deliveries joining an open batch. Through the real server, clock injected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fixedClock } from '../../../core/clock.js';
import { startTestService, type TestService } from '../../helpers/service.js';

const TRIGGER = '0190fe82-0000-7000-8000-0000000b3a4e';

describe('waking the batch closer', () => {
  let t: TestService | undefined;
  afterEach(async () => {
    await t?.close();
  });

  it('only for a batch due now: full, or sealed by its bytes; never for a new key', async () => {
    const clock = fixedClock(Date.parse('2026-11-28T12:00:00Z'));
    // max_bytes 60: two 26-byte bodies fit, a third seals the batch. A poll of an hour: only wake-ups close batches here.
    t = await startTestService(
      '- step: {name: noop, image: x, command: "true", inputs: [{name: payload}]}\n',
      `triggers:
  - id: ${TRIGGER}
    batch: {key: "{payload.k}", window: 600, max_items: 3, max_bytes: 60}
    actions: [{type: run-execution, step: noop, payload_input: payload}]
`,
      { clock, service: { batchPollMs: 3_600_000 } },
    );
    await t.service.batches.closeDue(); // the start-up pass
    const store = t.service.store;
    const dueBatches = store.dueBatches.bind(store);
    let passes = 0;
    store.dueBatches = (nowMs, limit) => (passes++, dueBatches(nowMs, limit));
    const send = async (k: string, pad = '') => {
      const res = await fetch(t!.url(TRIGGER), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ k, p: pad }) });
      expect(res.status).toBe(200);
      return res.headers.get('x-hooklaunch-batch-id')!;
    };

    for (let k = 0; k < 20; k++) await send(`key-${String(k).padStart(2, '0')}`);
    await new Promise((resolve) => setTimeout(resolve, 50)); // a wake-up is a zero-delay timer
    expect(passes).toBe(0);

    // Full at its third delivery: launched without the clock moving.
    const full = await send('full');
    await send('full');
    await send('full');
    await expect.poll(async () => (await store.getBatch(full))?.state, { timeout: 5_000, interval: 10 }).toBe('launched');
    // {"k":"bytes","p":"xxxxxx"} is 26 bytes: two fit in 60, a third would pass it: it seals the batch and opens the next.
    const sealed = await send('bytes', 'xxxxxx');
    await send('bytes', 'xxxxxx');
    expect(await send('bytes', 'xxxxxx')).not.toBe(sealed);
    await expect.poll(async () => (await store.getBatch(sealed))?.state, { timeout: 5_000, interval: 10 }).toBe('launched');
    expect(await store.getBatch(sealed)).toMatchObject({ items: 2, closeReason: 'max_bytes' });
  });
});
