import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { RepeatCount, Store, UnlaunchedRequest } from '../../../core/store/store.js';
import { createRedaction } from '../../../core/trigger-log/redaction.js';
import { createRejectionLog, type Unlaunched } from '../../../core/trigger-log/rejection-log.js';
import { PendingRecord } from '../../../core/trigger-log/request-record.js';

/** A store whose writes commit only when the test says so, recording what reached it. */
function slowStore() {
  const releases: Array<() => void> = [];
  const committed: string[] = [];
  const repeats: RepeatCount[] = [];
  const store = {
    unauthenticatedLogBytes: async () => 0,
    recordUnlaunched: (entry: UnlaunchedRequest) =>
      new Promise<void>((resolve, reject) => {
        releases.push(() => {
          if (entry.path === '/fails') return reject(new Error('store unavailable'));
          committed.push(entry.requestId);
          resolve();
        });
      }),
    addRepeats: async (counts: readonly RepeatCount[]) => {
      // A repeat count updates its line: the line must be there.
      for (const c of counts) expect(committed).toContain(c.requestId);
      repeats.push(...counts);
    },
    recordAnswers: async () => undefined,
  } as Partial<Store> as Store;
  return { store, releases, committed, repeats };
}

const request = (path = '/', remoteAddress = '127.0.0.1') => new PendingRecord('t', { method: 'POST', path, headers: {}, query: new URLSearchParams(), body: Buffer.from('{}'), remoteAddress, receivedAtMs: 0 }, createRedaction([]));
const refused = (code: Unlaunched['code'] = 'rate_limited'): Unlaunched => ({ outcome: 'rejected', status: 429, code, message: 'no' });
const options = { clock: { now: () => 0 }, capture: { bodySampleBytes: 64, headerBytes: 256 }, aggregateMs: 60_000, budgetBytes: 1e6, flushEveryMs: 60_000 };

describe('the rejection log', () => {
  // Issue #14: on PostgreSQL every refusal waited for a commit before its answer.
  it('answers a refusal before its line is committed, and flushing waits for the line', async () => {
    const { store, releases, committed, repeats } = slowStore();
    const log = await createRejectionLog({ ...options, store, logger: pino({ level: 'silent' }) });
    const [authenticated, anonymous, again] = [request(), request(), request()];
    expect(await log.record(authenticated, refused(), 'authenticated')).toBe('logged');
    expect(await log.record(anonymous, refused('signature_mismatch'), 'anonymous')).toBe('logged');
    expect(await log.record(again, refused('signature_mismatch'), 'anonymous')).toBe('aggregated');
    expect(committed).toEqual([]);
    let flushed = false;
    const flushing = log.flush().then(() => (flushed = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toBe(false);
    for (const release of releases.splice(0)) release();
    await flushing;
    expect(committed).toEqual([authenticated.requestId, anonymous.requestId]);
    expect(repeats).toEqual([{ requestId: anonymous.requestId, repeats: 1, lastAtMs: 0 }]);
    await log.close();
  });

  it('reports a line the store could not write in the service log instead of failing the request', async () => {
    const { store, releases } = slowStore();
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
    const log = await createRejectionLog({ ...options, store, logger });
    expect(await log.record(request('/fails'), refused(), 'authenticated')).toBe('logged');
    for (const release of releases.splice(0)) release();
    await log.flush();
    expect(lines.join('')).toContain('could not write a request to the trigger log');
    await log.close();
  });

  // Issue #14: a flood of forged requests is mostly repeats; each waited a promise and its ticks.
  it('tells an aggregated repeat and a request past the budget at once, not as a promise, and still counts them', async () => {
    const { store, releases, repeats } = slowStore();
    const dropped: string[] = [];
    const log = await createRejectionLog({ ...options, budgetBytes: 1_000, store, logger: pino({ level: 'silent' }), onDropped: (id) => void dropped.push(id) });
    const first = request();
    expect(log.record(first, refused('signature_mismatch'), 'anonymous')).toBeInstanceOf(Promise);
    expect(log.record(request(), refused('signature_mismatch'), 'anonymous')).toBe('aggregated');
    expect(log.record(request(), refused('signature_mismatch'), 'anonymous')).toBe('aggregated');
    // Another code opens a line of its own; past the 1,000-byte budget it is dropped, and counted.
    expect(log.record(request(), refused('timestamp_too_old'), 'anonymous')).toBe('dropped');
    expect(dropped).toEqual(['t']);
    for (const release of releases.splice(0)) release();
    await log.flush();
    expect(repeats).toEqual([{ requestId: first.requestId, repeats: 2, lastAtMs: 0 }]);
    await log.close();
  });

  it('folds a repeat only into the line of the same sender, reason and trigger, however they alternate', async () => {
    const { store, releases, committed, repeats } = slowStore();
    const log = await createRejectionLog({ ...options, store, logger: pino({ level: 'silent' }) });
    const sent = [
      [request('/', '10.0.0.1'), 'signature_mismatch'],
      [request('/', '10.0.0.2'), 'signature_mismatch'],
      [request('/', '10.0.0.1'), 'signature_mismatch'],
      [request('/', '10.0.0.1'), 'timestamp_too_old'],
      [request('/', '10.0.0.1'), 'signature_mismatch'],
      [request('/', '10.0.0.2'), 'signature_mismatch'],
    ] as const;
    const told = sent.map(([r, code]) => log.record(r, refused(code), 'anonymous'));
    expect(told.map((t) => (t instanceof Promise ? 'logged' : t))).toEqual(['logged', 'logged', 'aggregated', 'logged', 'aggregated', 'aggregated']);
    for (const release of releases.splice(0)) release();
    await log.flush();
    expect(committed).toEqual([sent[0][0].requestId, sent[1][0].requestId, sent[3][0].requestId]);
    expect(repeats).toEqual([
      { requestId: sent[0][0].requestId, repeats: 2, lastAtMs: 0 },
      { requestId: sent[1][0].requestId, repeats: 1, lastAtMs: 0 },
    ]);
    await log.close();
  });
});
